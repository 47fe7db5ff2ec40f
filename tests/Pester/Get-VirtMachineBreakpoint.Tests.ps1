BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Get-VirtMachineBreakpoint' {
    AfterEach { Remove-AllTestMachines }

    It 'lists address and port breakpoints' {
        New-VirtMachine -Name pester-gbp -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        Set-VirtMachineBreakpoint -Name pester-gbp -Address 0x7c10 | Out-Null
        Set-VirtMachineBreakpoint -Name pester-gbp -Port 0xf4 | Out-Null
        $all = @(Get-VirtMachineBreakpoint -Name pester-gbp)
        $all.Count | Should -Be 2
        ($all | Where-Object Kind -eq 'Address').Value | Should -Be 0x7c10
        ($all | Where-Object Kind -eq 'Port').Value | Should -Be 0xf4
    }

    It 'names a missing machine' {
        { Get-VirtMachineBreakpoint -Name pester-none -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineNotFound,VirtTools.PowerShell.Commands.Emulator.GetVirtMachineBreakpointCommand'
    }
}
