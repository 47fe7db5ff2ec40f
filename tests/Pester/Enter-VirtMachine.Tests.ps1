BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Enter-VirtMachine' {
    It 'carries console input to an interrupt-driven UART echo guest and its output back' -Skip:(Test-VirtCapabilityMissing kvm) {
        # A child pwsh with redirected stdin plays the user at the keyboard.
        $guest = Get-TestGuest -Name echo -Destination $TestDrive
        $manifest = Join-Path (Get-RepoRoot) 'VirtTools.psd1'
        $script = "Import-Module '$manifest'; New-VirtMachine -Name console -Accelerator Kvm -MemoryMB 16 -Image '$guest' | Enter-VirtMachine"
        $psi = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        if ((Split-Path -Leaf $psi.FileName) -like 'dotnet*') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $script) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $process = [System.Diagnostics.Process]::Start($psi)
        try {
            $process.StandardInput.Write('hello')
            $process.StandardInput.Flush()
            Start-Sleep -Milliseconds 300
            $process.StandardInput.Write('q')
            $process.StandardInput.Close()
            $process.WaitForExit(30000) | Should -BeTrue
            $process.StandardOutput.ReadToEnd() | Should -BeLike '*echo> helloq*'
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            $process.Dispose()
        }
    }

    It 'detaches on Ctrl+] and leaves the machine running' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name echo -Destination $TestDrive
        $manifest = Join-Path (Get-RepoRoot) 'VirtTools.psd1'
        $script = "Import-Module '$manifest'; New-VirtMachine -Name console -Accelerator Kvm -MemoryMB 16 -Image '$guest' | Enter-VirtMachine; (Get-VirtMachine console).State"
        $psi = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        if ((Split-Path -Leaf $psi.FileName) -like 'dotnet*') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $script) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $process = [System.Diagnostics.Process]::Start($psi)
        try {
            $process.StandardInput.Write("ab$([char]0x1d)")
            $process.StandardInput.Flush()
            $process.WaitForExit(30000) | Should -BeTrue
            $process.StandardOutput.ReadToEnd() | Should -Match 'Running'
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            $process.Dispose()
        }
    }
}
