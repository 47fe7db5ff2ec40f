BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Get-VirtDisassembly' {
    AfterEach { Remove-AllTestMachines }

    It 'disassembles the boot image at CS:IP in 16-bit mode' {
        New-VirtMachine -Name pester-dis -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        $lines = Get-VirtDisassembly -Name pester-dis -Count 3
        $lines.Count | Should -Be 3
        $lines[0].Address | Should -Be 0x7c00
        $lines[0].Instruction | Should -Be 'cli'
        $lines[1].Bytes | Should -Be '31c0'
        $lines[1].Instruction | Should -Be 'xor ax,ax'
    }

    It 'disassembles at an address in 64-bit mode' {
        New-VirtMachine -Name pester-dis64 -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name long -Destination $TestDrive) -Mode Long -LoadAddress 0x100000 | Out-Null
        $line = Get-VirtDisassembly -Name pester-dis64 -Address 0x100000 -Count 1
        $line.Instruction | Should -Match '^lea rsi,\[rel'
    }

    It 'reads guest-physical memory on KVM' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-diskvm -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name long -Destination $TestDrive) -Mode Long -LoadAddress 0x100000 | Out-Null
        (Get-VirtDisassembly -Name pester-diskvm -Count 1).Instruction | Should -Match '^lea rsi'
    }
}
