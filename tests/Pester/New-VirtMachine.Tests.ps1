BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'New-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'creates a machine in the Created state' -Skip:(Test-VirtCapabilityMissing kvm) {
        $m = New-VirtMachine -Name pester-new -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name long -Destination $TestDrive)
        $m.State | Should -Be 'Created'
        $m.MemoryMB | Should -Be 16
        $m.Accelerator | Should -Be 'Kvm'
        (Get-VirtMachine -Name pester-new).Name | Should -Be 'pester-new'
    }

    It 'refuses a name that is taken' -Skip:(Test-VirtCapabilityMissing kvm) {
        $guest = Get-TestGuest -Name long -Destination $TestDrive
        New-VirtMachine -Name pester-dup -Accelerator Kvm -MemoryMB 16 -Image $guest | Out-Null
        { New-VirtMachine -Name pester-dup -Accelerator Kvm -MemoryMB 16 -Image $guest } |
            Should -Throw -ErrorId 'MachineExists,VirtTools.PowerShell.Commands.Machines.NewVirtMachineCommand'
    }

    It 'creates nothing with -WhatIf' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-whatif -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name long -Destination $TestDrive) -WhatIf
        Get-VirtMachine -Name pester-whatif -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'creates a 2-vCPU machine that Get-VirtMachine lists with ProcessorCount 2' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-smp -Accelerator Kvm -MemoryMB 16 -ProcessorCount 2 -Mode Protected -LoadAddress 0x10000 `
            -Image (Get-TestGuest -Name smp -Destination $TestDrive) | Out-Null
        (Get-VirtMachine -Name pester-smp).ProcessorCount | Should -Be 2
        Start-VirtMachine -Name pester-smp
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ((Get-VirtMachine -Name pester-smp).State -eq 'Running' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        $m = Get-VirtMachine -Name pester-smp
        $m.State | Should -Be 'Stopped'
        $m.ExitCode | Should -Be 2
    }

    It 'refuses more than one vCPU without a local APIC model: <Case>' -Skip:(Test-VirtCapabilityMissing kvm) -ForEach @(
        @{ Case = 'user-space devices'; Arguments = @{ Accelerator = 'Kvm'; UserSpaceDevices = $true }; Why = 'user-space devices' }
        @{ Case = 'the emulator'; Arguments = @{ Accelerator = 'Emulator' }; Why = 'the emulator has no local APIC model' }
    ) {
        $image = Get-TestGuest -Name smp -Destination $TestDrive
        $err = { New-VirtMachine -Name pester-smp-refused -ProcessorCount 2 @Arguments -Image $image -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProcessorCountNotSupported,VirtTools.PowerShell.Commands.Machines.NewVirtMachineCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'NotEnabled'
        $err.CategoryInfo.TargetName | Should -Be '2'
        $err.Exception.Message | Should -Match $Why
        Get-VirtMachine -Name pester-smp-refused -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        # The VMM process failed the build: it left no state behind.
        Test-Path (Get-VmmDirectory pester-smp-refused) | Should -BeFalse
    }

    It 'refuses more vCPUs than KVM and the MP table allow' -Skip:(Test-VirtCapabilityMissing kvm) {
        { New-VirtMachine -Name pester-smp-many -Accelerator Kvm -ProcessorCount 255 -Image (Get-TestGuest -Name smp -Destination $TestDrive) -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProcessorCountTooHigh,VirtTools.PowerShell.Commands.Machines.NewVirtMachineCommand'
    }

    It 'runs the machine in its own VMM process by default; Remove leaves neither process nor directory' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-vmm-default -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Start-VirtMachine
        $vmm = Get-VmmPid -Name pester-vmm-default
        $vmm | Should -Not -Be $PID
        (Get-Content -Raw "/proc/$vmm/cmdline") | Should -BeLike '*VirtTools.Vmm*'
        Test-Path (Join-Path (Get-VmmDirectory pester-vmm-default) control.sock) | Should -BeTrue
        (Invoke-OtherSession '(Get-VirtMachine -Name pester-vmm-default).State') | Should -Be 'Running'
        Remove-VirtMachine -Name pester-vmm-default -Force
        Test-Path (Get-VmmDirectory pester-vmm-default) | Should -BeFalse
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Test-Path "/proc/$vmm") -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        Test-Path "/proc/$vmm" | Should -BeFalse
    }

    It 'hosts the machine in this pwsh with -InProcess, where no other session sees it' -Skip:(Test-VirtCapabilityMissing kvm) {
        $m = New-VirtMachine -Name pester-inproc -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) -InProcess
        $m.State | Should -Be 'Created'
        Test-Path (Get-VmmDirectory pester-inproc) | Should -BeFalse
        (Get-VirtMachine -Name pester-inproc).Name | Should -Be 'pester-inproc'
        (Invoke-OtherSession "@(Get-VirtMachine -Name 'pester-inproc*').Count") | Should -Be '0'
    }

    It 'refuses -InProcess together with -Detached' {
        { New-VirtMachine -Name pester-both -Image (Get-TestGuest -Name spin -Destination $TestDrive) -InProcess -Detached } |
            Should -Throw -ErrorId 'ParameterConflict,VirtTools.PowerShell.Commands.Machines.NewVirtMachineCommand'
    }

    It 'refuses a name that cannot be a state directory' {
        { New-VirtMachine -Name 'pester-bad/name' -Image (Get-TestGuest -Name spin -Destination $TestDrive) } |
            Should -Throw -ErrorId 'MachineNameInvalid,VirtTools.PowerShell.Commands.Machines.NewVirtMachineCommand'
    }
}
