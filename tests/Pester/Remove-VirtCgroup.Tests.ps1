BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/CgroupTestHelpers.psm1" -Force
    Import-VirtTools
    $script:cmdlet = 'VirtTools.PowerShell.Commands.Cgroups.RemoveVirtCgroupCommand'
}

Describe 'Remove-VirtCgroup' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeEach {
        $script:name = New-TestCgroupName
        New-VirtCgroup -Name $name -Memory 64MB | Out-Null
        $script:sleeper = $null
    }
    AfterEach { Remove-TestCgroup -Name $name -Process $sleeper }

    It 'removes an idle group from every hierarchy' {
        $dirs = @(Get-TestCgroupDirectory $name | Where-Object { Test-Path $_ })
        $dirs.Count | Should -BeGreaterThan 0
        Remove-VirtCgroup -Name $name -Confirm:$false
        Get-TestCgroupDirectory $name | ForEach-Object { $_ | Should -Not -Exist }
    }

    It 'refuses a group with live processes and leaves it running' {
        $script:sleeper = Start-Process /bin/sleep -ArgumentList 60 -PassThru
        Add-VirtCgroupProcess -Name $name -Id $sleeper.Id
        $err = { Remove-VirtCgroup -Name $name -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "CgroupBusy,$cmdlet" -PassThru
        $err.CategoryInfo.Category | Should -Be 'ResourceBusy'
        $err.Exception.Message | Should -Match "$($sleeper.Id)"
        $err.Exception.Message | Should -Match '-Force'
        $sleeper.HasExited | Should -BeFalse
        Get-VirtCgroup $name | Should -Not -BeNullOrEmpty
    }

    It 'kills the processes first with -Force' {
        $script:sleeper = Start-Process /bin/sleep -ArgumentList 60 -PassThru
        Add-VirtCgroupProcess -Name $name -Id $sleeper.Id
        Remove-VirtCgroup -Name $name -Force -Confirm:$false
        $sleeper.WaitForExit(5000) | Should -BeTrue
        Get-TestCgroupDirectory $name | ForEach-Object { $_ | Should -Not -Exist }
    }

    It 'removes nothing with -WhatIf' {
        Remove-VirtCgroup -Name $name -WhatIf
        Get-VirtCgroup $name | Should -Not -BeNullOrEmpty
    }

    It 'takes groups from the pipeline' {
        Get-VirtCgroup $name | Remove-VirtCgroup -Confirm:$false
        Get-VirtCgroup $name -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'reports an unknown group as CgroupNotFound' {
        { Remove-VirtCgroup -Name 'pt-nosuchgroup' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "CgroupNotFound,$cmdlet"
    }

    It 'leaves no directory in any hierarchy after 200 create, limit, remove cycles' {
        $prefix = New-TestCgroupName
        for ($i = 0; $i -lt 200; $i++) {
            New-VirtCgroup -Name "$prefix-$i" -Memory 32MB -Pids 8 | Out-Null
            Set-VirtCgroup -Name "$prefix-$i" -Cpu 0.5 -MemoryHigh 16MB
            Remove-VirtCgroup -Name "$prefix-$i" -Confirm:$false
        }
        $left = foreach ($dir in Get-TestCgroupDirectory 'x') {
            $parent = Split-Path $dir
            if (Test-Path $parent) { Get-ChildItem -Directory $parent -Filter "$prefix-*" }
        }
        $left | Should -BeNullOrEmpty
    }
}
