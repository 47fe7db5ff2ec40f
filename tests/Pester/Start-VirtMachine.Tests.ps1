BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Start-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'runs the guest to its exit' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-start -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name garbage -Destination $TestDrive) |
            Start-VirtMachine -PassThru | Select-Object -ExpandProperty Name | Should -Be 'pester-start'
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Get-VirtMachine pester-start).State -eq 'Running' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        $m = Get-VirtMachine pester-start
        $m.State | Should -Be 'Stopped'
        $m.ExitCode | Should -Be 0x33
        $m.UnhandledPortAccesses | Should -Be 8
    }

    It 'refuses to start a machine twice' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-twice -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name echo -Destination $TestDrive) | Start-VirtMachine
        { Start-VirtMachine -Name pester-twice -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineNotStartable,VirtTools.PowerShell.Commands.Machines.StartVirtMachineCommand'
    }

    It 'reports an unknown name' {
        { Start-VirtMachine -Name no-such-machine -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineNotFound,VirtTools.PowerShell.Commands.Machines.StartVirtMachineCommand'
    }
}
