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

    It 'shares the breakpoints of a machine between sessions, over its VMM socket' {
        New-VirtMachine -Name pester-gbp2 -Accelerator Emulator -MemoryMB 16 -Image (Get-TestGuest -Name boot -Destination $TestDrive) -Mode Real -LoadAddress 0x7c00 | Out-Null
        Invoke-OtherSession 'Set-VirtMachineBreakpoint -Name pester-gbp2 -Address 0x7c09 | Out-Null; Set-VirtMachineBreakpoint -Name pester-gbp2 -Port 0x3f8 | Out-Null'
        $all = @(Get-VirtMachineBreakpoint -Name pester-gbp2)
        ($all | ForEach-Object { '{0}:0x{1:x}' -f $_.Kind, $_.Value }) | Should -Be @('Address:0x7c09', 'Port:0x3f8')
        Get-VirtMachineBreakpoint -Name pester-gbp2 | Where-Object Kind -eq Port | Remove-VirtMachineBreakpoint
        (Invoke-OtherSession "Get-VirtMachineBreakpoint -Name pester-gbp2 | ForEach-Object { '{0}:0x{1:x}' -f `$_.Kind, `$_.Value }") | Should -Be 'Address:0x7c09'
        # The breakpoint set by the other session stops the machine there.
        Start-VirtMachine -Name pester-gbp2
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Get-VirtMachine pester-gbp2).State -ne 'Paused' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
        (Get-VirtMachineRegister -Name pester-gbp2).Rip | Should -Be 0x7c09
    }
}
