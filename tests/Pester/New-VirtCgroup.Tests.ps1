BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/CgroupTestHelpers.psm1" -Force
    Import-VirtTools
    $script:cmdlet = 'VirtTools.PowerShell.Commands.Cgroups.NewVirtCgroupCommand'
}

Describe 'New-VirtCgroup' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeEach { $script:name = New-TestCgroupName }
    AfterEach { Remove-TestCgroup -Name $name }

    It 'creates the group in every hierarchy with the limits passed' {
        $group = New-VirtCgroup -Name $name -Memory 64MB -Pids 32 -Cpu 1.5 -CpuWeight 200 -MemoryHigh '48M' -CpusetCpus '0'
        $group.Name | Should -Be $name
        $group.Path | Should -Be "virttools/$name"
        $group.Limits.MemoryMax | Should -Be 64MB
        $group.Limits.MemoryHigh | Should -Be 48MB
        $group.Limits.PidsMax | Should -Be 32
        $group.Limits.Cpus | Should -Be 1.5
        $group.Limits.CpuWeight | Should -Be 200
        $group.Limits.CpusetCpus | Should -Be '0'
        $group.Stats.PidsCurrent | Should -Be 0
        foreach ($dir in $group.Directories) { $dir | Should -Exist }
        Get-Content (Join-Path ($group.Directories -match '/cpu/')[0] 'cpu.cfs_quota_us') | Should -Be '150000'
    }

    It 'takes sizes as strings such as 1.5G' {
        (New-VirtCgroup -Name $name -Memory '1.5G').Limits.MemoryMax | Should -Be 1610612736
    }

    It 'creates groups from piped objects by property name' {
        $second = New-TestCgroupName
        try {
            $made = @([pscustomobject] @{ Name = $name; Memory = '32M'; Pids = 8 }, [pscustomobject] @{ Name = $second; Cpu = 0.25 } | New-VirtCgroup)
            $made.Count | Should -Be 2
            $made[0].Limits.MemoryMax | Should -Be 32MB
            $made[0].Limits.PidsMax | Should -Be 8
            $made[1].Limits.Cpus | Should -Be 0.25
            $made[1].Limits.MemoryMax | Should -BeNullOrEmpty
        }
        finally { Remove-TestCgroup -Name $second }
    }

    It 'creates nothing with -WhatIf' {
        New-VirtCgroup -Name $name -Memory 64MB -WhatIf | Should -BeNullOrEmpty
        Get-TestCgroupDirectory $name | ForEach-Object { $_ | Should -Not -Exist }
    }

    It 'rejects <Value> naming the value and the accepted forms, creating nothing' -ForEach @(
        @{ Value = -5 }, @{ Value = '12X' }, @{ Value = 'abc' }, @{ Value = '-1G' }
    ) {
        $err = { New-VirtCgroup -Name $name -Memory $Value } | Should -Throw -ErrorId "InvalidCgroupSize,$cmdlet" -PassThru
        $err.Exception.Message | Should -Match ([regex]::Escape("'$Value'"))
        $err.Exception.Message | Should -Match '1\.5G'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-TestCgroupDirectory $name | ForEach-Object { $_ | Should -Not -Exist }
    }

    It 'rejects more CPUs than the host has, creating nothing' {
        $count = [Environment]::ProcessorCount
        $err = { New-VirtCgroup -Name $name -Cpu ($count + 1) } | Should -Throw -ErrorId "InvalidCgroupCpu,$cmdlet" -PassThru
        $err.Exception.Message | Should -Match "to $count"
        Get-TestCgroupDirectory $name | ForEach-Object { $_ | Should -Not -Exist }
    }

    It 'rejects a malformed cpuset and a bad name' {
        { New-VirtCgroup -Name $name -CpusetCpus '0-99' -ErrorAction Stop } | Should -Throw -ErrorId "InvalidCgroupCpuset,$cmdlet"
        { New-VirtCgroup -Name '../escape' -ErrorAction Stop } | Should -Throw -ErrorId "InvalidCgroupName,$cmdlet"
        Get-TestCgroupDirectory $name | ForEach-Object { $_ | Should -Not -Exist }
    }

    It 'refuses to create a group twice' {
        New-VirtCgroup -Name $name -Memory 64MB | Out-Null
        { New-VirtCgroup -Name $name -Memory 32MB -ErrorAction Stop } | Should -Throw -ErrorId "CgroupExists,$cmdlet"
        (Get-VirtCgroup $name).Limits.MemoryMax | Should -Be 64MB
    }
}
