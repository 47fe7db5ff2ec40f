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

    It 'lists a machine another pwsh started in its VMM process (the default), and stops and removes it from here' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name echo -Destination $TestDrive
        Invoke-OtherSession "New-VirtMachine -Name pester-vmm-other -Accelerator Kvm -MemoryMB 16 -UserSpaceDevices -Image '$guest' | Start-VirtMachine | Out-Null"
        # The creating pwsh has exited: the machine lives on in its VMM process.
        $vmm = Get-VmmPid -Name pester-vmm-other
        Get-Process -Id $vmm | Should -Not -BeNullOrEmpty
        (Get-VirtMachine -Name pester-vmm-other).State | Should -Be 'Running'
        (Get-Content -Raw (Join-Path (Get-VmmDirectory pester-vmm-other) state.json) | ConvertFrom-Json).state | Should -Be 'Running'
        $stopped = Stop-VirtMachine -Name pester-vmm-other -PassThru
        $stopped.State | Should -Be 'Stopped'
        $stopped.Reason | Should -Be 'stopped by the host'
        (Invoke-OtherSession "(Get-VirtMachine -Name pester-vmm-other).State") | Should -Be 'Stopped'
        Remove-VirtMachine -Name pester-vmm-other
        Test-Path (Get-VmmDirectory pester-vmm-other) | Should -BeFalse
        # Its parent pwsh is gone, so whoever adopted it reaps it: allow that a moment.
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Get-Process -Id $vmm -ErrorAction SilentlyContinue) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        Get-Process -Id $vmm -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'lists machines by name and wildcard, with state and statistics' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name echo -Destination $TestDrive
        New-VirtMachine -Name pester-get-a -Accelerator Kvm -MemoryMB 16 -Image $guest | Start-VirtMachine
        New-VirtMachine -Name pester-get-b -Accelerator Kvm -MemoryMB 16 -Image $guest | Out-Null
        # The vCPU thread may not have had its first exit yet on a loaded host.
        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while (-not ((Get-VirtMachine -Name pester-get-a).Exits['PortIo'] -gt 0) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
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
