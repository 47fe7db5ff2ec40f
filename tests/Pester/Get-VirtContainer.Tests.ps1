BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    . "$PSScriptRoot/ContainerSuite.ps1" -Tag get
    $script:id = 'VirtTools.PowerShell.Commands.Containers.GetVirtContainerCommand'
}

AfterAll {
    Remove-ContainerSuite -RootFs $rootfs
}

Describe 'Get-VirtContainer' -Skip:(Test-VirtCapabilityMissing root) {
    AfterEach {
        Remove-TestContainer
        # One-shot runs of the child pwsh (named run-*) that a failed test may have left.
        Get-VirtContainer | Where-Object RootFs -eq $rootfs | Remove-VirtContainer -Force
    }

    It 'lists containers with their status, by name, wildcard and status' {
        New-VirtContainer -Name pester-g1 -RootFs $rootfs -Command true | Out-Null
        New-VirtContainer -Name pester-g2 -RootFs $rootfs -Command sleep, 600 | Start-VirtContainer
        (Get-VirtContainer pester-g1).Status | Should -Be 'Created'
        (Get-VirtContainer pester-g2).Status | Should -Be 'Running'
        @(Get-VirtContainer 'pester-g*') | Should -HaveCount 2
        (Get-VirtContainer -Status Running | Where-Object Name -like 'pester-g*').Name | Should -Be 'pester-g2'
    }

    It 'reports an unknown name as an error' {
        { Get-VirtContainer pester-none -ErrorAction Stop } | Should -Throw -ErrorId "ContainerNotFound,$id"
    }

    It 'sees a one-shot run of another pwsh while it runs, and nothing after' {
        $job = Start-Process -PassThru -FilePath $pwsh -ArgumentList (@($pwshArgs) + @('-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$manifest'; Invoke-VirtContainer -RootFs '$rootfs' -Command sleep,2 | Out-Null"))
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            do { Start-Sleep -Milliseconds 100; $seen = Get-VirtContainer | Where-Object RootFs -eq $rootfs } until ($seen.Status -eq 'Running' -or [DateTime]::UtcNow -gt $deadline)
            $seen.Status | Should -Be 'Running'
            $seen.OneShot | Should -BeTrue
            $job.WaitForExit(30000) | Should -BeTrue
            Get-VirtContainer | Where-Object RootFs -eq $rootfs | Should -BeNullOrEmpty
        }
        finally {
            if (-not $job.HasExited) { $job.Kill() }
        }
    }

    It 'reports a run whose pwsh was killed with SIGKILL as Stale, and Remove-VirtContainer cleans it' {
        $job = Start-Process -PassThru -FilePath $pwsh -ArgumentList (@($pwshArgs) + @('-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$manifest'; Invoke-VirtContainer -RootFs '$rootfs' -Memory 32MB -Command sleep,600"))
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do { Start-Sleep -Milliseconds 100; $seen = Get-VirtContainer | Where-Object RootFs -eq $rootfs } until ($seen.Status -eq 'Running' -or [DateTime]::UtcNow -gt $deadline)
        $seen.Status | Should -Be 'Running'
        $init = $seen.Pid
        & kill -KILL $job.Id
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        do { Start-Sleep -Milliseconds 100; $state = Get-VirtContainer $seen.Name } until ($state.Status -eq 'Stale' -or [DateTime]::UtcNow -gt $deadline)
        $state.Status | Should -Be 'Stale'
        $cgroups = $state.CgroupDirectories
        $cgroups | Should -Not -BeNullOrEmpty

        Remove-VirtContainer $seen.Name
        Test-Path $state.StateDirectory | Should -BeFalse
        $cgroups | ForEach-Object { Test-Path $_ | Should -BeFalse }
        Test-Path "/proc/$init" | Should -BeFalse
    }
}
