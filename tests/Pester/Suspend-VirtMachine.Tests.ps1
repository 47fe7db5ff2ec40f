BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Suspend-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'pauses a spinning guest' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-pause -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Start-VirtMachine
        Start-Sleep -Milliseconds 100
        (Suspend-VirtMachine -Name pester-pause -PassThru).State | Should -Be 'Paused'
        $exits = (Get-VirtMachine pester-pause).TotalExits
        Start-Sleep -Milliseconds 100
        (Get-VirtMachine pester-pause).TotalExits | Should -Be $exits
    }

    It 'refuses a machine that is not running' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-notrunning -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Out-Null
        { Suspend-VirtMachine -Name pester-notrunning -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineStateInvalid,VirtTools.PowerShell.Commands.Machines.SuspendVirtMachineCommand'
    }
}
