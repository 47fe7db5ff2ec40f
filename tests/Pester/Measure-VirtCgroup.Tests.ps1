BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/CgroupTestHelpers.psm1" -Force
    Import-VirtTools
    $script:cmdlet = 'VirtTools.PowerShell.Commands.Cgroups.MeasureVirtCgroupCommand'
}

Describe 'Measure-VirtCgroup' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeAll {
        $script:busy = New-TestCgroupName
        $script:idle = New-TestCgroupName
        New-VirtCgroup -Name $busy -Cpu 0.5 -CpuWeight 10000 | Out-Null
        New-VirtCgroup -Name $idle | Out-Null
        $script:spinner = Start-TestProcess 'while :; do :; done'
        Add-VirtCgroupProcess -Name $busy -Id $spinner.Id
        $spinner | Resume-TestProcess
        # Gated, so sleep is exec'd inside the group and its pages are charged there.
        $script:sleeper = Start-TestProcess 'exec sleep 60'
        Add-VirtCgroupProcess -Name $idle -Id $sleeper.Id
        $sleeper | Resume-TestProcess
        Start-Sleep -Milliseconds 200
    }
    AfterAll { Remove-TestCgroup -Name $busy, $idle -Process $spinner, $sleeper }

    It 'measures CPU %, memory and pids of several groups over one interval' {
        $m = @(Measure-VirtCgroup -Name $busy, $idle -Seconds 1)
        $m.Count | Should -Be 2
        $b = $m | Where-Object Name -eq $busy
        $i = $m | Where-Object Name -eq $idle
        $b.Interval.TotalSeconds | Should -BeGreaterOrEqual 0.95
        # The quota caps the spinner at half a CPU; the floor shows the figure comes from its usage.
        $b.CpuPercent | Should -BeLessOrEqual 57.5
        $b.CpuPercent | Should -BeGreaterThan 5
        $b.PidsCurrent | Should -Be 1
        $i.CpuPercent | Should -BeLessThan 2
        $i.PidsCurrent | Should -Be 1
        $i.MemoryCurrent | Should -BeGreaterThan 0
    }

    It 'takes groups from Get-VirtCgroup' {
        $m = Get-VirtCgroup $idle | Measure-VirtCgroup -Seconds 0.2
        $m.Name | Should -Be $idle
    }

    It 'reports an unknown group as CgroupNotFound' {
        { Measure-VirtCgroup -Name 'pt-nosuchgroup' -Seconds 0.1 -ErrorAction Stop } | Should -Throw -ErrorId "CgroupNotFound,$cmdlet"
    }
}
