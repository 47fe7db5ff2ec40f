BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    . "$PSScriptRoot/ContainerSuite.ps1" -Tag start
    $script:id = 'VirtTools.PowerShell.Commands.Containers.StartVirtContainerCommand'
}

AfterAll {
    Remove-ContainerSuite -RootFs $rootfs
}

Describe 'Start-VirtContainer' -Skip:(Test-VirtCapabilityMissing root) {
    AfterEach {
        Remove-TestContainer
    }

    It 'starts a container in the background, PID 1 inside, with no pwsh child left' {
        $c = New-VirtContainer -Name pester-start -RootFs $rootfs -Command sleep, 60 -Memory 32MB | Start-VirtContainer -PassThru
        $c.Status | Should -Be 'Running'
        $c.Pid | Should -BeGreaterThan 1
        (Get-Content "/proc/$($c.Pid)/status" | Where-Object { $_ -like 'NSpid:*' }) -split '\s+' | Select-Object -Last 1 | Should -Be '1'
        # The monitor is detached from this pwsh: it survives the session that started it.
        (Get-Content "/proc/$($c.MonitorPid)/stat") -split ' ' | Select-Object -Index 3 | Should -Not -Be "$PID"
        Get-Content "/sys/fs/cgroup/pids/virttools/container-pester-start/cgroup.procs" | Should -Contain "$($c.Pid)"
    }

    It 'writes the command''s output to output.log in the state directory' {
        New-VirtContainer -Name pester-log -RootFs $rootfs -Command sh, -c, 'echo out; echo err >&2' | Start-VirtContainer
        Wait-VirtContainer pester-log -Timeout 10 | Out-Null
        Get-Content /run/virttools/containers/pester-log/output.log | Should -Be @('out', 'err')
    }

    It 'reports a failed set-up step and leaves the container Created with nothing else behind' {
        $broken = Join-Path ([IO.Path]::GetTempPath()) "pester-start-broken-$PID"
        try {
            New-Item -ItemType Directory -Force $broken | Out-Null
            Copy-Item -Recurse "$rootfs/*" $broken
            Remove-Item -Recurse -Force "$broken/dev"
            Set-Content "$broken/dev" 'not a directory'
            New-VirtContainer -Name pester-broken -RootFs $broken -Command true | Out-Null
            $err = $null
            Start-VirtContainer pester-broken -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be "ContainerStartFailed,$id"
            $err[0].Exception.Message | Should -Match "mount '.*/dev': Not a directory"
            (Get-VirtContainer pester-broken).Status | Should -Be 'Created'
            Test-Path /sys/fs/cgroup/pids/virttools/container-pester-broken | Should -BeFalse
            Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*$broken*" } | Should -BeNullOrEmpty
        }
        finally {
            Remove-VirtContainer pester-broken -ErrorAction SilentlyContinue
            Remove-Item -Recurse -Force $broken -ErrorAction SilentlyContinue
        }
    }

    It 'refuses to start a running container' {
        New-VirtContainer -Name pester-twice -RootFs $rootfs -Command sleep, 60 | Start-VirtContainer
        { Start-VirtContainer pester-twice -ErrorAction Stop } | Should -Throw -ErrorId "ContainerNotStartable,$id"
    }

    It 'restarts an exited container' {
        New-VirtContainer -Name pester-again -RootFs $rootfs -Command sh, -c, 'exit 5' | Start-VirtContainer
        (Wait-VirtContainer pester-again -Timeout 10).ExitCode | Should -Be 5
        (Start-VirtContainer pester-again -PassThru | Wait-VirtContainer -Timeout 10).ExitCode | Should -Be 5
    }

    It '-WhatIf starts nothing' {
        New-VirtContainer -Name pester-whatif -RootFs $rootfs -Command sleep, 60 | Out-Null
        Start-VirtContainer pester-whatif -WhatIf
        (Get-VirtContainer pester-whatif).Status | Should -Be 'Created'
    }
}
