BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Invoke-VirtMachine' {
    It 'works as written in the issue: long-mode flat binary, output and exit code' -Skip:(Test-VirtCapabilityMissing kvm) {
        Push-Location $TestDrive
        try {
            Copy-Item (Get-TestGuest -Name long -Destination $TestDrive) ./guest.bin
            $r = Invoke-VirtMachine -Accelerator Kvm -Image ./guest.bin -Mode Long -LoadAddress 0x100000 -Timeout 00:00:30
        }
        finally { Pop-Location }
        $r.Output | Should -Be "long mode`r`ntick tick tick `r`n"
        $r.ExitCode | Should -Be 0x40
        $r.State | Should -Be 'Stopped'
        $r.TimedOut | Should -BeFalse
        $r.Exits['PortIo'] | Should -BeGreaterThan 0
        $r.Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
        $r.HostKvmKind | Should -Not -Be 'None'
    }

    It 'runs a 2-vCPU guest whose BSP starts the AP with INIT-SIPI-SIPI' -Skip:(Test-VirtCapabilityMissing kvm) {
        $r = Invoke-VirtMachine -Accelerator Kvm -ProcessorCount 2 -Image (Get-TestGuest -Name smp -Destination $TestDrive) `
            -Mode Protected -LoadAddress 0x10000 -Timeout 00:00:30
        $r.State | Should -Be 'Stopped'
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Be "smp: bsp apic 0, 2 cpus in the MP table`r`nap apic 1`r`nsmp: 2 cpus up`r`n"
    }

    It 'starts a real-mode image at 0000:LoadAddress' -Skip:(Test-VirtCapabilityMissing kvm) {
        $r = Invoke-VirtMachine -Accelerator Kvm -Image (Get-TestGuest -Name real -Destination $TestDrive) -Mode Real -LoadAddress 0x1000 -Timeout 00:00:30
        $r.Output | Should -Be "real mode`r`ntick tick tick `r`n"
        $r.ExitCode | Should -Be 0x10
    }

    It 'ends a triple-faulting guest as Crashed with the reason' -Skip:(Test-VirtCapabilityMissing kvm) {
        $r = Invoke-VirtMachine -Accelerator Kvm -Image (Get-TestGuest -Name triple -Destination $TestDrive) -Timeout 00:00:30
        $r.State | Should -Be 'Crashed'
        $r.Reason | Should -Match 'triple-faulted'
        $r.ExitCode | Should -BeNullOrEmpty
    }

    It 'stops a guest that outlives -Timeout and says so' -Skip:(Test-VirtCapabilityMissing kvm) {
        $r = Invoke-VirtMachine -Accelerator Kvm -Image (Get-TestGuest -Name spin -Destination $TestDrive) -Timeout 00:00:00.300 -WarningAction SilentlyContinue
        $r.TimedOut | Should -BeTrue
        $r.State | Should -Be 'Stopped'
        $r.Output | Should -Be "spinning`r`n"
    }

    It 'feeds -InputText to the guest console' -Skip:(Test-VirtCapabilityMissing kvm) {
        $r = Invoke-VirtMachine -Accelerator Kvm -Image (Get-TestGuest -Name echo -Destination $TestDrive) -InputText 'abq' -Timeout 00:00:30
        $r.Output | Should -Be 'echo> abq'
        $r.ExitCode | Should -Be 0x45
    }

    It 'runs the same real-mode image on the Emulator and on KVM with the same output and exit code (issue 6 as written)' -Skip:(Test-VirtCapabilityMissing kvm) {
        Push-Location $TestDrive
        try {
            $null = Get-TestGuest -Name boot -Destination $TestDrive   # assembles ./boot.bin
            $a = Invoke-VirtMachine -Accelerator Emulator -Image ./boot.bin -Mode Real -LoadAddress 0x7c00 -Timeout 00:00:30
            $b = Invoke-VirtMachine -Accelerator Kvm      -Image ./boot.bin -Mode Real -LoadAddress 0x7c00 -Timeout 00:00:30
        }
        finally { Pop-Location }
        ($a.Output -eq $b.Output -and $a.ExitCode -eq $b.ExitCode) | Should -BeTrue
        $a.Output | Should -Match "^boot: [0-9a-f]{4}\r\n$"
        $a.ExitCode | Should -Be 0x11
        $a.Accelerator | Should -Be 'Emulator'
    }

    It 'runs a guest on the emulator without /dev/kvm' {
        $r = Invoke-VirtMachine -Accelerator Emulator -Image (Get-TestGuest -Name long -Destination $TestDrive) -Mode Long -LoadAddress 0x100000 -Timeout 00:00:30
        $r.Output | Should -Be "long mode`r`ntick tick tick `r`n"
        $r.ExitCode | Should -Be 0x40
        $r.State | Should -Be 'Stopped'
    }

    It 'names a missing image' {
        { Invoke-VirtMachine -Image (Join-Path $TestDrive 'missing.bin') } |
            Should -Throw -ErrorId 'PathNotFound,VirtTools.PowerShell.Commands.Machines.InvokeVirtMachineCommand'
    }
}
