BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/CgroupTestHelpers.psm1" -Force
    Import-VirtTools
    $script:cmdlet = 'VirtTools.PowerShell.Commands.Cgroups.SetVirtCgroupCommand'
}

Describe 'Set-VirtCgroup' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeEach {
        $script:name = New-TestCgroupName
        New-VirtCgroup -Name $name -Memory 128MB -Cpu 1 -Pids 64 -CpuWeight 300 | Out-Null
    }
    AfterEach { Remove-TestCgroup -Name $name }

    It 'sets only the parameters passed' {
        Set-VirtCgroup -Name $name -Memory 256MB
        $limits = (Get-VirtCgroup $name).Limits
        $limits.MemoryMax | Should -Be 256MB
        $limits.Cpus | Should -Be 1
        $limits.PidsMax | Should -Be 64
        $limits.CpuWeight | Should -Be 300
    }

    It 'removes a limit with max' {
        Set-VirtCgroup -Name $name -Memory max -Cpu max -Pids max
        $limits = (Get-VirtCgroup $name).Limits
        $limits.MemoryMax | Should -BeNullOrEmpty
        $limits.Cpus | Should -BeNullOrEmpty
        $limits.PidsMax | Should -BeNullOrEmpty
    }

    It 'takes groups from Get-VirtCgroup and returns them with -PassThru' {
        $out = Get-VirtCgroup $name | Set-VirtCgroup -Cpu 0.5 -PassThru
        $out.Name | Should -Be $name
        $out.Limits.Cpus | Should -Be 0.5
        $out.Limits.MemoryMax | Should -Be 128MB
    }

    It 'changes nothing with -WhatIf' {
        Set-VirtCgroup -Name $name -Memory 1GB -WhatIf
        (Get-VirtCgroup $name).Limits.MemoryMax | Should -Be 128MB
    }

    It 'rejects a bad value and changes nothing, not even the good values passed with it' {
        { Set-VirtCgroup -Name $name -Memory 1GB -Cpu 1000 } | Should -Throw -ErrorId "InvalidCgroupCpu,$cmdlet"
        { Set-VirtCgroup -Name $name -Memory 1GB -Pids 0 -ErrorAction Stop } | Should -Throw -ErrorId "InvalidCgroupPids,$cmdlet"
        { Set-VirtCgroup -Name $name -Memory '1.2.3G' } | Should -Throw -ErrorId "InvalidCgroupSize,$cmdlet"
        $limits = (Get-VirtCgroup $name).Limits
        $limits.MemoryMax | Should -Be 128MB
        $limits.Cpus | Should -Be 1
        $limits.PidsMax | Should -Be 64
    }

    It 'reports an unknown group as CgroupNotFound' {
        { Set-VirtCgroup -Name 'pt-nosuchgroup' -Memory 1GB -ErrorAction Stop } | Should -Throw -ErrorId "CgroupNotFound,$cmdlet"
    }
}
