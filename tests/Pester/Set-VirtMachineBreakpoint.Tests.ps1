BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Set-VirtMachineBreakpoint' {
    AfterEach { Remove-AllTestMachines }

    It 'pauses the machine before the instruction at the address' {
        New-VirtMachine -Name pester-bp -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        $b = Set-VirtMachineBreakpoint -Name pester-bp -Address 0x7c05
        $b.Kind | Should -Be 'Address'
        Start-VirtMachine -Name pester-bp
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Get-VirtMachine pester-bp).State -ne 'Paused' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
        (Get-VirtMachine pester-bp).State | Should -Be 'Paused'
        (Get-VirtMachineRegister -Name pester-bp).Rip | Should -Be 0x7c05
        Resume-VirtMachine -Name pester-bp
        (Get-VirtMachine pester-bp).State | Should -BeIn @('Running', 'Stopped')
    }

    It 'pauses the machine after an access to the port' {
        New-VirtMachine -Name pester-bpp -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        Set-VirtMachineBreakpoint -Name pester-bpp -Port 0x3f8 | Out-Null
        Start-VirtMachine -Name pester-bpp
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Get-VirtMachine pester-bpp).State -ne 'Paused' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
        (Get-VirtMachine pester-bpp).State | Should -Be 'Paused'
        # The first OUT to 0x3f8 wrote the 'b' of "boot: ": exactly one byte reached the UART.
        (Get-VirtMachine pester-bpp).OutputBytes | Should -Be 1
    }

    It 'writes the pause a breakpoint causes to state.json, where every session reads it, with no request' {
        New-VirtMachine -Name pester-bp-state -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        Set-VirtMachineBreakpoint -Name pester-bp-state -Address 0x7c05 | Out-Null
        Start-VirtMachine -Name pester-bp-state
        # Only the file: Get-VirtMachine would ask the VMM, and a request rewrites state.json anyway.
        $stateFile = Join-Path (Get-VmmDirectory pester-bp-state) 'state.json'
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Get-Content -Raw $stateFile | ConvertFrom-Json).state -ne 'Paused' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
        (Get-Content -Raw $stateFile | ConvertFrom-Json).state | Should -Be 'Paused'
        (Get-VirtMachineRegister -Name pester-bp-state).Rip | Should -Be 0x7c05
    }

    It 'refuses a KVM machine' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-bpk -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Out-Null
        { Set-VirtMachineBreakpoint -Name pester-bpk -Address 0x100000 -ErrorAction Stop } |
            Should -Throw -ErrorId 'DebuggerNeedsEmulator,VirtTools.PowerShell.Commands.Emulator.SetVirtMachineBreakpointCommand'
    }
}
