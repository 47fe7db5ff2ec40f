BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
    $script:manifest = Join-Path (Get-RepoRoot) 'VirtTools.psd1'

    # A child pwsh with redirected stdin plays the user at the keyboard: it runs $Script; for each
    # step it waits until the console has shown the step's WaitFor text (the child's start-up takes
    # seconds on a loaded host; keys typed before Enter-VirtMachine runs would arrive together with
    # the detach key), then types its Send text. Returns everything the child wrote to stdout.
    function script:Invoke-ConsoleSession {
        param([string] $Script, [hashtable[]] $Steps, [switch] $CloseInput)
        $psi = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        if ((Split-Path -Leaf $psi.FileName) -like 'dotnet*') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$manifest'; $Script") { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $process = [System.Diagnostics.Process]::Start($psi)
        try {
            $seen = [System.Text.StringBuilder]::new()
            $buffer = [char[]]::new(256)
            foreach ($step in $Steps) {
                $deadline = [DateTime]::UtcNow.AddSeconds(60)
                while (-not $seen.ToString().Contains($step.WaitFor)) {
                    $left = [int]($deadline - [DateTime]::UtcNow).TotalMilliseconds
                    if ($left -le 0) { throw "the console did not show '$($step.WaitFor)'; it showed: $seen" }
                    $read = $process.StandardOutput.ReadAsync($buffer, 0, $buffer.Length)
                    if (-not $read.Wait($left) -or $read.Result -eq 0) { throw "the console ended before showing '$($step.WaitFor)': $seen" }
                    [void] $seen.Append($buffer, 0, $read.Result)
                }
                $process.StandardInput.Write($step.Send)
                $process.StandardInput.Flush()
            }
            if ($CloseInput) { $process.StandardInput.Close() }
            $rest = $process.StandardOutput.ReadToEndAsync()
            $process.WaitForExit(60000) | Should -BeTrue -Because 'the console session should end'
            $seen.ToString() + $rest.Result
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            $process.Dispose()
        }
    }
}

Describe 'Enter-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'carries console input to an interrupt-driven UART echo guest and its output back' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name echo -Destination $TestDrive
        $output = Invoke-ConsoleSession -Script "New-VirtMachine -Name pester-console -Accelerator Kvm -MemoryMB 16 -Image '$guest' | Enter-VirtMachine" -Steps @{ WaitFor = 'echo> '; Send = 'hello' }, @{ WaitFor = 'hello'; Send = 'q' } -CloseInput
        $output | Should -BeLike '*echo> helloq*'
        # The guest ended on 'q'; its VMM process outlived the pwsh that created it.
        (Get-VirtMachine pester-console).State | Should -Be 'Stopped'
    }

    It 'works the same on a machine hosted in-process' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name echo -Destination $TestDrive
        $output = Invoke-ConsoleSession -Script "New-VirtMachine -Name pester-console-local -Accelerator Kvm -MemoryMB 16 -Image '$guest' -InProcess | Enter-VirtMachine" -Steps @{ WaitFor = 'echo> '; Send = 'hi' }, @{ WaitFor = 'hi'; Send = 'q' } -CloseInput
        $output | Should -BeLike '*echo> hiq*'
        Test-Path (Get-VmmDirectory pester-console-local) | Should -BeFalse
    }

    It 'detaches on Ctrl+] and leaves the machine running' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name echo -Destination $TestDrive
        $output = Invoke-ConsoleSession -Script "New-VirtMachine -Name pester-console2 -Accelerator Kvm -MemoryMB 16 -Image '$guest' | Enter-VirtMachine; (Get-VirtMachine pester-console2).State" -Steps @{ WaitFor = 'echo> '; Send = "ab$([char]0x1d)" }
        $output | Should -Match 'Running'
        (Get-VirtMachine pester-console2).State | Should -Be 'Running'
    }

    It 'reattaches from another pwsh later and sees the console continue' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name echo -Destination $TestDrive
        New-VirtMachine -Name pester-console3 -Accelerator Kvm -MemoryMB 16 -Image $guest | Start-VirtMachine
        $first = Invoke-ConsoleSession -Script 'Enter-VirtMachine pester-console3' -Steps @{ WaitFor = 'echo> '; Send = 'one' }, @{ WaitFor = 'one'; Send = "$([char]0x1d)" }
        $first | Should -BeLike '*echo> one*'
        # A second session, started after the first has gone: the kept output, then its own input echoed.
        $second = Invoke-ConsoleSession -Script 'Enter-VirtMachine pester-console3 -PassThru | ForEach-Object State' -Steps @{ WaitFor = 'echo> one'; Send = 'two' }, @{ WaitFor = 'two'; Send = "$([char]0x1d)" }
        $second | Should -BeLike '*echo> onetwo*'
        $second | Should -Match 'Running'
        (Get-VirtMachine pester-console3).OutputBytes | Should -Be ('echo> onetwo'.Length)
    }
}
