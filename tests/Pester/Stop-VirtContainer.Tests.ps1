BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    . "$PSScriptRoot/ContainerSuite.ps1" -Tag stop
}

AfterAll {
    Remove-ContainerSuite -RootFs $rootfs
}

Describe 'Stop-VirtContainer' -Skip:(Test-VirtCapabilityMissing root) {
    AfterEach {
        Remove-TestContainer
    }

    It 'sends SIGTERM first: a command that handles it exits with its own code' {
        New-VirtContainer -Name pester-term -RootFs $rootfs -Command sh, -c, 'trap "exit 3" TERM; while :; do sleep 0.1; done' | Start-VirtContainer
        $c = Stop-VirtContainer pester-term -Timeout 10 -PassThru
        $c.Status | Should -Be 'Exited'
        $c.ExitCode | Should -Be 3
    }

    It 'sends SIGKILL after -Timeout when SIGTERM is ignored (PID 1 without a handler)' {
        New-VirtContainer -Name pester-kill -RootFs $rootfs -Command sleep, 600 | Start-VirtContainer
        $elapsed = Measure-Command { $script:c = Stop-VirtContainer pester-kill -Timeout 1 -PassThru }
        $c.Signal | Should -Be 9
        $c.ExitCode | Should -Be 137
        $elapsed.TotalSeconds | Should -BeGreaterOrEqual 1
        $elapsed.TotalSeconds | Should -BeLessThan 8
    }

    It '-Force kills at once' {
        New-VirtContainer -Name pester-force -RootFs $rootfs -Command sh, -c, 'trap "" TERM; sleep 600' | Start-VirtContainer
        $elapsed = Measure-Command { $script:c = Stop-VirtContainer pester-force -Force -PassThru }
        $c.Signal | Should -Be 9
        $elapsed.TotalSeconds | Should -BeLessThan 3
    }

    It 'stops a container that another pwsh started, listed from this one' {
        & $pwsh @pwshArgs -NoProfile -NonInteractive -Command "Import-Module '$manifest'; New-VirtContainer -Name pester-other -RootFs '$rootfs' -Command sleep,600 | Start-VirtContainer"
        (Get-VirtContainer pester-other).Status | Should -Be 'Running'
        (Get-VirtContainer pester-other | Stop-VirtContainer -Force -PassThru).Status | Should -Be 'Exited'
    }

    It '-WhatIf leaves it running' {
        New-VirtContainer -Name pester-whatif -RootFs $rootfs -Command sleep, 600 | Start-VirtContainer
        Stop-VirtContainer pester-whatif -WhatIf
        (Get-VirtContainer pester-whatif).Status | Should -Be 'Running'
    }
}
