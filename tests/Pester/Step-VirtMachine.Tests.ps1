BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Step-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'executes exactly -Count instructions of a created emulator machine' {
        New-VirtMachine -Name pester-step -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        $s = Step-VirtMachine -Name pester-step -Count 3
        $s.Executed | Should -Be 3
        $s.Stop | Should -Be 'Count'
        # cli; xor ax, ax (2 bytes); mov ds, ax (2 bytes)
        $s.Rip | Should -Be 0x7c05
        $s.Next | Should -Be 'mov es,ax'
        (Get-VirtMachineRegister -Name pester-step).Rip | Should -Be 0x7c05
    }

    It 'reaches the guest devices while stepping and stops at HLT' {
        New-VirtMachine -Name pester-step2 -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        $s = Step-VirtMachine -Name pester-step2 -Count 100000
        $s.Stop | Should -BeIn @('Halt', 'Count')
        (Get-VirtMachine pester-step2).State | Should -BeIn @('Created', 'Stopped')
    }

    It 'refuses a KVM machine with a clear error' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-step3 -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Out-Null
        { Step-VirtMachine -Name pester-step3 -ErrorAction Stop } |
            Should -Throw -ErrorId 'DebuggerNeedsEmulator,VirtTools.PowerShell.Commands.Emulator.StepVirtMachineCommand'
    }

    It 'does nothing with -WhatIf' {
        New-VirtMachine -Name pester-step4 -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        Step-VirtMachine -Name pester-step4 -Count 5 -WhatIf
        (Get-VirtMachineRegister -Name pester-step4).Rip | Should -Be 0x7c00
    }

    It 'steps a machine from another pwsh, and this session sees where it stopped' {
        New-VirtMachine -Name pester-step5 -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        $other = Invoke-OtherSession "Step-VirtMachine -Name pester-step5 -Count 3 | ForEach-Object { '{0} {1} 0x{2:x} {3}' -f `$_.Executed, `$_.Stop, `$_.Rip, `$_.Next }"
        $other | Should -Be '3 Count 0x7c05 mov es,ax'
        (Get-VirtMachineRegister -Name pester-step5).Rip | Should -Be 0x7c05
        (Get-VirtDisassembly -Name pester-step5 -Count 1).Instruction | Should -Be 'mov es,ax'
    }

    It 'steps an in-process machine the same way' {
        New-VirtMachine -Name pester-step6 -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 -InProcess | Out-Null
        $s = Step-VirtMachine -Name pester-step6 -Count 3
        $s.Executed | Should -Be 3
        $s.Rip | Should -Be 0x7c05
        $s.Next | Should -Be 'mov es,ax'
        Test-Path (Get-VmmDirectory pester-step6) | Should -BeFalse
    }
}
