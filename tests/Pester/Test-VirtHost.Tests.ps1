BeforeDiscovery {
    # -Skip:(...) is evaluated during discovery, so the helpers must be there already.
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-VirtTools
    $script:rows = @(Test-VirtHost)
    $script:info = Get-VirtHost
}

Describe 'Test-VirtHost' {
    It 'returns Pass, Warn or Fail rows, each with a hint unless it passed' {
        $rows.Count | Should -BeGreaterThan 10
        foreach ($row in $rows) {
            "$($row.Status)" | Should -BeIn 'Pass', 'Warn', 'Fail'
            $row.Detail | Should -Not -BeNullOrEmpty
            if ("$($row.Status)" -ne 'Pass') { $row.Hint | Should -Not -BeNullOrEmpty -Because "$($row.Check) did not pass" }
        }
    }

    It 'covers every area, in groups' {
        $areas = $rows | ForEach-Object Area
        ($areas | Select-Object -Unique) | Should -Be @('Host', 'Machines', 'Cgroups', 'Containers')
    }

    It 'warns about a PVM KVM and passes hardware KVM' -Skip:(Test-VirtCapabilityMissing kvm) {
        $row = $rows | Where-Object Check -eq 'KVM kind'
        if ("$($info.Kvm.Kind)" -eq 'Pvm') { "$($row.Status)" | Should -Be 'Warn'; $row.Hint | Should -Match 'Emulator' }
        else { "$($row.Status)" | Should -Be 'Pass' }
    }

    It 'passes every cgroup controller as root' -Skip:(Test-VirtCapabilityMissing root) {
        $rows | Where-Object Area -eq 'Cgroups' | ForEach-Object { "$($_.Status)" | Should -Be 'Pass' -Because $_.Check }
    }

    It 'filters by area' {
        $only = @(Test-VirtHost -Area Cgroups, Machines)
        ($only | ForEach-Object Area | Select-Object -Unique) | Should -Be @('Machines', 'Cgroups')
    }

    It 'answers True or False with -Quiet' {
        $quiet = Test-VirtHost -Quiet
        $quiet | Should -BeOfType [bool]
        $quiet | Should -Be (-not ($rows | Where-Object { "$($_.Status)" -eq 'Fail' }))
    }

    It 'rejects an unknown area with a parameter error' {
        { Test-VirtHost -Area Bogus } | Should -Throw -ErrorId 'ParameterArgumentValidationError,VirtTools.PowerShell.Commands.Host.TestVirtHostCommand'
    }

    It 'formats grouped by area' {
        $text = $rows | Out-String -Width 200
        $text | Should -Match 'Area: Machines'
        $text | Should -Match 'Status'
    }
}
