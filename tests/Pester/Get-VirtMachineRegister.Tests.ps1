BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Get-VirtMachineRegister' {
    AfterEach { Remove-AllTestMachines }

    It 'reads the registers the loader set for long mode' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-regs -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Out-Null
        $r = Get-VirtMachineRegister -Name pester-regs
        $r.Mode | Should -Be 'Long'
        $r.Rip | Should -Be 0x100000
        $r.Cr3 | Should -Be 0x9000
        $r.Cs | Should -Be 0x08
    }

    It 'reads a running guest by pausing it briefly' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-regs2 -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Start-VirtMachine
        Start-Sleep -Milliseconds 100
        $r = Get-VirtMachineRegister -Name pester-regs2
        $r.Rip | Should -BeGreaterThan 0x100000
        $r.Rip | Should -BeLessThan 0x100100
        (Get-VirtMachine pester-regs2).State | Should -Be 'Running'
    }

    It 'reads each vCPU of a 2-vCPU machine with -Processor' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-regs-smp -Accelerator Kvm -MemoryMB 16 -ProcessorCount 2 -Mode Protected -LoadAddress 0x10000 `
            -Image (Get-TestGuest -Name smpspin -Destination $TestDrive) | Out-Null
        # Before the start the AP sits in its reset state, waiting for INIT-SIPI-SIPI.
        $ap = Get-VirtMachineRegister -Name pester-regs-smp -Processor 1
        $ap.Processor | Should -Be 1
        $ap.Mode | Should -Be 'Real'
        $ap.Rip | Should -Be 0xfff0
        (Get-VirtMachineRegister -Name pester-regs-smp).Rip | Should -Be 0x10000
        Start-VirtMachine -Name pester-regs-smp
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            Start-Sleep -Milliseconds 50
            $ap = Get-VirtMachineRegister -Name pester-regs-smp -Processor 1
        } until ($ap.Mode -eq 'Protected32' -or [DateTime]::UtcNow -gt $deadline)
        $ap.Mode | Should -Be 'Protected32'
        $ap.Rip | Should -BeGreaterThan 0x11000
        $ap.Rip | Should -BeLessThan 0x12000
        $err = $null
        Get-VirtMachineRegister -Name pester-regs-smp -Processor 2 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'ProcessorNotFound,VirtTools.PowerShell.Commands.Machines.GetVirtMachineRegisterCommand'
    }

    It 'reads a machine from another pwsh, over its VMM socket' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-regs3 -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Out-Null
        Invoke-OtherSession "'0x{0:x} {1}' -f (Get-VirtMachineRegister -Name pester-regs3).Rip, (Get-VirtMachineRegister -Name pester-regs3).Mode" |
            Should -Be '0x100000 Long'
    }

    It 'reads an in-process machine the same way' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-regs4 -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) -InProcess | Out-Null
        (Get-VirtMachineRegister -Name pester-regs4).Rip | Should -Be 0x100000
    }

    It 'reports a machine that does not exist' {
        { Get-VirtMachineRegister -Name pester-no-such-machine -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineNotFound,VirtTools.PowerShell.Commands.Machines.GetVirtMachineRegisterCommand'
    }
}
