BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Remove-VirtMachineBreakpoint' {
    AfterEach { Remove-AllTestMachines }

    It 'removes piped breakpoints' {
        New-VirtMachine -Name pester-rbp -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        Set-VirtMachineBreakpoint -Name pester-rbp -Address 0x7c10 | Out-Null
        Set-VirtMachineBreakpoint -Name pester-rbp -Port 0x3f8 | Out-Null
        $removed = Get-VirtMachineBreakpoint -Name pester-rbp | Remove-VirtMachineBreakpoint -PassThru
        @($removed).Count | Should -Be 2
        @(Get-VirtMachineBreakpoint -Name pester-rbp).Count | Should -Be 0
    }

    It 'reports a breakpoint that is not set' {
        New-VirtMachine -Name pester-rbp2 -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        { Remove-VirtMachineBreakpoint -Name pester-rbp2 -Value 0x1234 -ErrorAction Stop } |
            Should -Throw -ErrorId 'BreakpointNotFound,VirtTools.PowerShell.Commands.Emulator.RemoveVirtMachineBreakpointCommand'
    }

    It 'keeps breakpoints with -WhatIf' {
        New-VirtMachine -Name pester-rbp3 -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        Set-VirtMachineBreakpoint -Name pester-rbp3 -Address 0x7c10 | Out-Null
        Remove-VirtMachineBreakpoint -Name pester-rbp3 -WhatIf
        @(Get-VirtMachineBreakpoint -Name pester-rbp3).Count | Should -Be 1
    }
}
