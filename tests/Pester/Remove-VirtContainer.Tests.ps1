BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    . "$PSScriptRoot/ContainerSuite.ps1" -Tag remove
    $script:id = 'VirtTools.PowerShell.Commands.Containers.RemoveVirtContainerCommand'
}

AfterAll {
    Remove-ContainerSuite -RootFs $rootfs
}

Describe 'Remove-VirtContainer' -Skip:(Test-VirtCapabilityMissing root) {
    AfterEach {
        Remove-TestContainer
    }

    It 'refuses a running container without -Force' {
        New-VirtContainer -Name pester-running -RootFs $rootfs -Command sleep, 600 | Start-VirtContainer
        { Remove-VirtContainer pester-running -ErrorAction Stop } | Should -Throw -ErrorId "ContainerRunning,$id"
        (Get-VirtContainer pester-running).Status | Should -Be 'Running'
    }

    It '-Force kills and removes it: state, cgroups and processes' {
        $c = New-VirtContainer -Name pester-forced -RootFs $rootfs -Command sleep, 600 -Memory 32MB | Start-VirtContainer -PassThru
        Remove-VirtContainer pester-forced -Force
        Test-Path $c.StateDirectory | Should -BeFalse
        $c.CgroupDirectories | ForEach-Object { Test-Path $_ | Should -BeFalse }
        Test-Path "/proc/$($c.Pid)" | Should -BeFalse
    }

    It 'takes names and objects from the pipeline; -WhatIf removes nothing' {
        'pester-p1', 'pester-p2', 'pester-p3' | ForEach-Object { New-VirtContainer -Name $_ -RootFs $rootfs -Command true | Out-Null }
        'pester-p1' | Remove-VirtContainer -WhatIf
        @(Get-VirtContainer 'pester-p*') | Should -HaveCount 3
        'pester-p1' | Remove-VirtContainer
        Get-VirtContainer pester-p2 | Remove-VirtContainer
        Remove-VirtContainer -Name 'pester-p*'
        @(Get-VirtContainer 'pester-p*') | Should -HaveCount 0
    }

    It '200 start/remove cycles leave no mount, cgroup, process, state directory or fd' {
        # One cycle first, so that lazily opened runtime handles are part of the baseline.
        New-VirtContainer -Name pester-cycle -RootFs $rootfs -Command sleep, 600 -Memory 32MB -PidsLimit 16 | Start-VirtContainer
        Remove-VirtContainer pester-cycle -Force
        $before = Get-LeakSnapshot -RootFs $rootfs
        for ($i = 0; $i -lt 200; $i++) {
            New-VirtContainer -Name pester-cycle -RootFs $rootfs -Command sleep, 600 -Memory 32MB -PidsLimit 16 | Start-VirtContainer
            Remove-VirtContainer pester-cycle -Force -ErrorAction Stop
        }
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
        $after = Get-LeakSnapshot -RootFs $rootfs
        $after.Mounts | Should -Be $before.Mounts -Because 'no mount may be left'
        $after.Cgroups | Should -Be $before.Cgroups -Because 'no cgroup may be left'
        $after.States | Should -Be $before.States -Because 'no state directory may be left'
        $after.Children | Should -Be $before.Children -Because 'no process may be left'
        $after.Fds | Should -BeLessOrEqual $before.Fds -Because 'no file descriptor may be left'
        @(& pgrep -f 'virttools-container run') | Where-Object { $_ } | ForEach-Object {
            (Get-Content "/proc/$_/cmdline" -Raw) | Should -Not -BeLike "*pester-cycle*"
        }
    }

    It '200 one-shot runs leave nothing either' {
        $null = Invoke-VirtContainer -RootFs $rootfs -Memory 32MB -PidsLimit 16 -Command true
        $before = Get-LeakSnapshot -RootFs $rootfs
        for ($i = 0; $i -lt 200; $i++) {
            $r = Invoke-VirtContainer -RootFs $rootfs -Memory 32MB -PidsLimit 16 -Command true -ErrorAction Stop
            if ($r.ExitCode -ne 0) { throw "run $i exited with $($r.ExitCode)" }
        }
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
        $after = Get-LeakSnapshot -RootFs $rootfs
        $after.Mounts | Should -Be $before.Mounts
        $after.Cgroups | Should -Be $before.Cgroups
        $after.States | Should -Be $before.States
        $after.Children | Should -Be $before.Children
        $after.Fds | Should -BeLessOrEqual $before.Fds
    }
}
