BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/CgroupTestHelpers.psm1" -Force
    Import-VirtTools
    $script:cmdlet = 'VirtTools.PowerShell.Commands.Cgroups.GetVirtCgroupCommand'
}

Describe 'Get-VirtCgroup' -Skip:(Test-VirtCapabilityMissing root) {
    Context 'the issue''s example, as written' {
        BeforeAll { Remove-TestCgroup -Name demo }
        AfterAll { Remove-TestCgroup -Name demo -Process $p }

        It 'reports the limits, the usage and one OOM kill, then removes the group' {
            New-VirtCgroup -Name demo -Memory 64MB -Pids 32
            # Start-Process joins -ArgumentList with spaces and does not quote (PowerShell 7.6), so the
            # shell script is quoted inside the string; unquoted, sh would run 'sleep' with no operand.
            $script:p = Start-Process /bin/sh -ArgumentList '-c', '"sleep 1; head -c 300000000 /dev/zero | tail"' -PassThru
            Add-VirtCgroupProcess -Name demo -Id $p.Id
            $p.WaitForExit()
            $shown = Get-VirtCgroup -Name demo          # shows the limits, usage, and an OOM-kill count of 1

            $shown.Limits.MemoryMax | Should -Be 64MB
            $shown.Limits.PidsMax | Should -Be 32
            $shown.Stats.OomKillCount | Should -Be 1
            $shown.Stats.MemoryPeak | Should -BeGreaterThan 32MB
            $shown.Stats.MemoryPeak | Should -BeLessOrEqual 64MB
            $shown.Stats.CpuUsage | Should -BeGreaterThan ([TimeSpan]::Zero)
            $p.ExitCode | Should -Be 137   # tail died of SIGKILL, and sh reports it
            ($shown | Format-Table | Out-String) | Should -Match 'demo\s+.*64 MiB.*\s32\s+1\s'

            Remove-VirtCgroup -Name demo -Force -Confirm:$false
            Get-VirtCgroup -Name demo -ErrorAction Ignore | Should -BeNullOrEmpty
            Get-TestCgroupDirectory demo | ForEach-Object { $_ | Should -Not -Exist }
        }
    }

    Context 'selection' {
        BeforeAll {
            $script:a = New-TestCgroupName
            $script:b = New-TestCgroupName
            New-VirtCgroup -Name $a, $b -Pids 10 | Out-Null
        }
        AfterAll { Remove-TestCgroup -Name $a, $b }

        It 'finds groups by wildcard' {
            $names = @(Get-VirtCgroup -Name 'pt-*').Name
            $names | Should -Contain $a
            $names | Should -Contain $b
            @(Get-VirtCgroup -Name ($a.Substring(0, 6) + '*')).Name | Should -Contain $a
        }

        It 'lists all groups without -Name' {
            @(Get-VirtCgroup).Name | Should -Contain $a
        }

        It 'takes names and groups from the pipeline' {
            @($a, $b | Get-VirtCgroup).Name | Should -Be @($a, $b)
            @(Get-VirtCgroup $a | Get-VirtCgroup).Name | Should -Be @($a)
        }

        It 'reports an unknown name as CgroupNotFound and goes on with the others' {
            $found = Get-VirtCgroup -Name 'pt-nosuchgroup', $a -ErrorVariable errs -ErrorAction SilentlyContinue
            @($found).Name | Should -Be @($a)
            $errs[0].FullyQualifiedErrorId | Should -Be "CgroupNotFound,$cmdlet"
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errs[0].Exception.Message | Should -Match "'pt-nosuchgroup'"
            { Get-VirtCgroup -Name 'pt-nosuchgroup' -ErrorAction Stop } | Should -Throw -ErrorId "CgroupNotFound,$cmdlet"
        }

        It 'returns nothing, without error, for a wildcard that matches nothing' {
            Get-VirtCgroup -Name 'pt-none-*' -ErrorAction Stop | Should -BeNullOrEmpty
        }

        It 'has the same stat names on this layout as documented, with null where the layout has no figure' {
            $stats = (Get-VirtCgroup $a).Stats
            foreach ($prop in 'MemoryCurrent', 'MemoryPeak', 'OomKillCount', 'CpuUsage', 'CpuThrottledCount', 'PidsCurrent', 'PidsMaxHits') {
                $stats.$prop | Should -Not -BeNullOrEmpty -Because "$prop exists on v1 and v2"
            }
            $layout = (Get-VirtHost).Cgroups.Layout
            if ("$layout" -ne 'V2') { $stats.OomCount | Should -BeNullOrEmpty -Because 'v1 counts OOM kills, not OOMs' }
        }
    }
}
