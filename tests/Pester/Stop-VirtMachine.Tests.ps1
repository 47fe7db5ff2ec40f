BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
}

Describe 'Stop-VirtMachine' {
    AfterEach { Remove-AllTestMachines }

    It 'stops a spinning guest with -Force within 100 ms' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-spin -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name spin -Destination $TestDrive) | Start-VirtMachine
        Start-Sleep -Milliseconds 200
        (Get-VirtMachine pester-spin).State | Should -Be 'Running'
        $elapsed = Measure-Command { Stop-VirtMachine -Name pester-spin -Force }
        $elapsed.TotalMilliseconds | Should -BeLessThan 100
        (Get-VirtMachine pester-spin).State | Should -Be 'Stopped'
    }

    It 'stops a halted guest gracefully' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-halt -Accelerator Kvm -MemoryMB 16 -UserSpaceDevices -Image (Get-TestGuest -Name echo -Destination $TestDrive) | Start-VirtMachine
        Start-Sleep -Milliseconds 100
        $m = Stop-VirtMachine -Name pester-halt -PassThru
        $m.State | Should -Be 'Stopped'
        $m.Reason | Should -Be 'stopped by the host'
    }

    It 'does nothing with -WhatIf' -Skip:(Test-VirtCapabilityMissing kvm) {
        New-VirtMachine -Name pester-stopwhatif -Accelerator Kvm -MemoryMB 16 -Image (Get-TestGuest -Name echo -Destination $TestDrive) | Start-VirtMachine
        Stop-VirtMachine -Name pester-stopwhatif -Force -WhatIf
        (Get-VirtMachine pester-stopwhatif).State | Should -Be 'Running'
    }
}
