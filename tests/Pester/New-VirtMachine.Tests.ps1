BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'New-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'creates a machine in the Created state' -Skip:(Test-VirtCapabilityMissing kvm) {
        $m = New-VirtMachine -Name pester-new -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name long -Destination $TestDrive)
        $m.State | Should -Be 'Created'
        $m.MemoryMB | Should -Be 16
        $m.Accelerator | Should -Be 'Kvm'
        (Get-VirtMachine -Name pester-new).Name | Should -Be 'pester-new'
    }

    It 'refuses a name that is taken' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name long -Destination $TestDrive
        New-VirtMachine -Name pester-dup -Accelerator Kvm -MemoryMB 16 -Image $guest | Out-Null
        { New-VirtMachine -Name pester-dup -Accelerator Kvm -MemoryMB 16 -Image $guest } |
            Should -Throw -ErrorId 'MachineExists,VirtTools.PowerShell.Commands.Machines.NewVirtMachineCommand'
    }

    It 'creates nothing with -WhatIf' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-whatif -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name long -Destination $TestDrive) -WhatIf
        Get-VirtMachine -Name pester-whatif -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses more than one vCPU for now' -Skip:(Test-VirtCapabilityMissing kvm) {
        { New-VirtMachine -Name pester-smp -Accelerator Kvm -ProcessorCount 2 -Image (Get-TestGuest -Name long -Destination $TestDrive) } |
            Should -Throw -ErrorId 'ProcessorCountNotSupported,VirtTools.PowerShell.Commands.Machines.NewVirtMachineCommand'
    }
}
