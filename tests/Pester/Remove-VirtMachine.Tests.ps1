BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Remove-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'reports a detached machine whose VMM process was killed as Stale and cleans its state' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-vmm-killed -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) -Detached |
            Start-VirtMachine
        $vmm = Get-VmmPid -Name pester-vmm-killed
        Stop-Process -Id $vmm -Force
        (Get-Process -Id $vmm -ErrorAction SilentlyContinue)?.WaitForExit(5000)
        $stale = Get-VirtMachine -Name pester-vmm-killed
        $stale.State | Should -Be 'Stale'
        $stale.Reason | Should -BeLike "VMM process $vmm is gone (last state Running)*"
        { Stop-VirtMachine -Name pester-vmm-killed -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineStale,VirtTools.PowerShell.Commands.Machines.StopVirtMachineCommand'
        { New-VirtMachine -Name pester-vmm-killed -Image (Get-TestGuest -Name spin -Destination $TestDrive) -Detached } |
            Should -Throw -ErrorId 'MachineExists,VirtTools.PowerShell.Commands.Machines.NewVirtMachineCommand'
        Remove-VirtMachine -Name pester-vmm-killed -Confirm:$false
        Test-Path (Get-VmmDirectory pester-vmm-killed) | Should -BeFalse
        Get-VirtMachine -Name pester-vmm-killed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'takes state whose VMM pid now names another VMM process (a recycled pid) for Stale, and removes it without touching that process' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-vmm-live -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Out-Null
        $live = Get-VmmPid -Name pester-vmm-live
        # The state a dead VMM left behind, whose pid the kernel has since given to the live VMM: same
        # pid, another start time.
        $state = Get-Content -Raw (Join-Path (Get-VmmDirectory pester-vmm-live) 'state.json') | ConvertFrom-Json
        $state.pidStartTime | Should -BeGreaterThan 0
        $state.name = 'pester-vmm-recycled'
        $state.pidStartTime = $state.pidStartTime - 1
        $dir = New-Item -ItemType Directory (Get-VmmDirectory pester-vmm-recycled)
        $state | ConvertTo-Json -Compress | Set-Content (Join-Path $dir 'state.json')

        $stale = Get-VirtMachine -Name pester-vmm-recycled
        $stale.State | Should -Be 'Stale'
        $stale.Reason | Should -BeLike "VMM process $live is gone*"
        Remove-VirtMachine -Name pester-vmm-recycled -Confirm:$false
        Test-Path $dir | Should -BeFalse
        Test-Path "/proc/$live" | Should -BeTrue
        (Get-VirtMachine -Name pester-vmm-live).State | Should -Be 'Created'
    }

    It 'with -Force kills a VMM process that no longer answers, and cleans its state' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-vmm-hung -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Start-VirtMachine
        $vmm = Get-VmmPid -Name pester-vmm-hung
        # SIGSTOP: the process lives and its socket accepts connections, but nothing answers.
        kill -STOP $vmm
        try {
            Remove-VirtMachine -Name pester-vmm-hung -Force -Confirm:$false -WarningAction SilentlyContinue
            Test-Path (Get-VmmDirectory pester-vmm-hung) | Should -BeFalse
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ((Test-Path "/proc/$vmm") -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            Test-Path "/proc/$vmm" | Should -BeFalse
        }
        finally {
            if (Test-Path "/proc/$vmm") { kill -KILL $vmm }
        }
    }

    It 'refuses a running machine without -Force and removes it with -Force' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-remove -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Start-VirtMachine
        { Remove-VirtMachine -Name pester-remove -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineRunning,VirtTools.PowerShell.Commands.Machines.RemoveVirtMachineCommand'
        Remove-VirtMachine -Name pester-remove -Force -Confirm:$false
        Get-VirtMachine -Name pester-remove -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'removes a machine that never started, from the pipeline' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-remove2 -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) |
            Remove-VirtMachine -Confirm:$false
        Get-VirtMachine -Name pester-remove2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
