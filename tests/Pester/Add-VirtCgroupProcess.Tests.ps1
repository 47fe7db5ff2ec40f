BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/CgroupTestHelpers.psm1" -Force
    Import-VirtTools
    $script:cmdlet = 'VirtTools.PowerShell.Commands.Cgroups.AddVirtCgroupProcessCommand'
}

Describe 'Add-VirtCgroupProcess' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeEach {
        $script:name = New-TestCgroupName
        New-VirtCgroup -Name $name | Out-Null
        $script:procs = @(1..2 | ForEach-Object { Start-Process /bin/sleep -ArgumentList 60 -PassThru })
    }
    AfterEach { Remove-TestCgroup -Name $name -Process $procs }

    It 'moves a process by id into the group in every hierarchy' {
        Add-VirtCgroupProcess -Name $name -Id $procs[0].Id
        (Get-VirtCgroup $name).ProcessIds | Should -Be @($procs[0].Id)
        $lines = Get-Content "/proc/$($procs[0].Id)/cgroup" | Where-Object { $_ -notmatch 'name=|:devices:|:freezer:' }
        foreach ($line in $lines) { $line | Should -Match "/virttools/$name$" }
    }

    It 'takes Get-Process objects from the pipeline' {
        $out = Get-Process -Id $procs.Id | Add-VirtCgroupProcess -Name $name -PassThru
        $out.Name | Should -Be $name
        @($out.ProcessIds | Sort-Object) | Should -Be @($procs.Id | Sort-Object)
        $out.Stats.PidsCurrent | Should -Be 2
    }

    It 'moves nothing with -WhatIf' {
        Add-VirtCgroupProcess -Name $name -Id $procs[0].Id -WhatIf
        (Get-VirtCgroup $name).ProcessIds | Should -BeNullOrEmpty
    }

    It 'reports a missing process and still moves the others' {
        $gone = Start-Process /bin/true -PassThru
        $gone.WaitForExit()
        Add-VirtCgroupProcess -Name $name -Id $gone.Id, $procs[1].Id -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -Be "ProcessNotFound,$cmdlet"
        (Get-VirtCgroup $name).ProcessIds | Should -Be @($procs[1].Id)
    }

    It 'reports an unknown group as CgroupNotFound' {
        { Add-VirtCgroupProcess -Name 'pt-nosuchgroup' -Id $procs[0].Id } | Should -Throw -ErrorId "CgroupNotFound,$cmdlet"
    }
}
