BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Remove-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'refuses a running machine without -Force and removes it with -Force' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-remove -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Start-VirtMachine
        { Remove-VirtMachine -Name pester-remove -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineRunning,VirtTools.PowerShell.Commands.Machines.RemoveVirtMachineCommand'
        Remove-VirtMachine -Name pester-remove -Force -Confirm:$false
        Get-VirtMachine -Name pester-remove -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'removes a machine that never started, from the pipeline' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-remove2 -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) |
            Remove-VirtMachine -Confirm:$false
        Get-VirtMachine -Name pester-remove2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
