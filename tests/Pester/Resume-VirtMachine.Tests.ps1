BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Resume-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'resumes a paused guest, which then finishes' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-resume -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name echo -Destination $TestDrive) | Start-VirtMachine
        Suspend-VirtMachine -Name pester-resume
        (Resume-VirtMachine -Name pester-resume -PassThru).State | Should -Be 'Running'
    }

    It 'refuses a machine that is not paused' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-notpaused -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name echo -Destination $TestDrive) | Start-VirtMachine
        { Resume-VirtMachine -Name pester-notpaused -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineStateInvalid,VirtTools.PowerShell.Commands.Machines.ResumeVirtMachineCommand'
    }
}
