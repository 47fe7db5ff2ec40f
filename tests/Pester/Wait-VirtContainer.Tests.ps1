BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    . "$PSScriptRoot/ContainerSuite.ps1" -Tag wait
    $script:id = 'VirtTools.PowerShell.Commands.Containers.WaitVirtContainerCommand'
}

AfterAll {
    Remove-ContainerSuite -RootFs $rootfs
}

Describe 'Wait-VirtContainer' -Skip:(Test-VirtCapabilityMissing root) {
    AfterEach {
        Remove-TestContainer
    }

    It 'returns the container once it exited, with its exit code' {
        New-VirtContainer -Name pester-wait -RootFs $rootfs -Command sh, -c, 'sleep 0.3; exit 4' | Start-VirtContainer
        $c = Wait-VirtContainer pester-wait -Timeout 20
        $c.Status | Should -Be 'Exited'
        $c.ExitCode | Should -Be 4
        $c.Finished | Should -BeGreaterThan $c.Started
    }

    It 'waits for every container piped in' {
        'pester-w1', 'pester-w2' | ForEach-Object { New-VirtContainer -Name $_ -RootFs $rootfs -Command true | Start-VirtContainer }
        $all = Get-VirtContainer pester-w* | Wait-VirtContainer -Timeout 20
        $all.ExitCode | Should -Be @(0, 0)
    }

    It 'reports a timeout for a container still running' {
        New-VirtContainer -Name pester-long -RootFs $rootfs -Command sleep, 600 | Start-VirtContainer
        { Wait-VirtContainer pester-long -Timeout 1 -ErrorAction Stop } | Should -Throw -ErrorId "WaitTimeout,$id"
        (Get-VirtContainer pester-long).Status | Should -Be 'Running'
    }
}
