BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Get-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'lists machines by name and wildcard, with state and statistics' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name echo -Destination $TestDrive
        New-VirtMachine -Name pester-get-a -Accelerator Kvm -MemoryMB 16 -Image $guest | Start-VirtMachine
        New-VirtMachine -Name pester-get-b -Accelerator Kvm -MemoryMB 16 -Image $guest | Out-Null
        @(Get-VirtMachine -Name 'pester-get-*').Count | Should -Be 2
        $a = Get-VirtMachine -Name pester-get-a
        $a.State | Should -Be 'Running'
        $a.TotalExits | Should -BeGreaterThan 0
        $a.Exits['PortIo'] | Should -BeGreaterThan 0
        $a.Uptime | Should -BeGreaterThan ([TimeSpan]::Zero)
        (Get-VirtMachine -Name pester-get-b).State | Should -Be 'Created'
        (Get-VirtMachine -Name pester-get-a | Format-Table | Out-String) | Should -Match 'pester-get-a'
    }

    It 'reports a name that matches nothing' {
        { Get-VirtMachine -Name no-such-machine -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineNotFound,VirtTools.PowerShell.Commands.Machines.GetVirtMachineCommand'
    }
}
