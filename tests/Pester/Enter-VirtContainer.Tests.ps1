BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    . "$PSScriptRoot/ContainerSuite.ps1" -Tag enter
}

AfterAll {
    Remove-ContainerSuite -RootFs $rootfs
}

Describe 'Enter-VirtContainer' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeAll {
        if (-not $skip) {
            New-VirtContainer -Name pester-enter -RootFs $rootfs -Command sleep, 600 | Start-VirtContainer
        }
    }

    It 'gives a shell on a real pty: Ctrl+C reaches the container, the window size follows, the exit code comes back' {
        # script(1) gives the child pwsh a terminal of 123x45; a feeder types into it once the
        # helper's exec is running, as a user would.
        $script = Join-Path ([IO.Path]::GetTempPath()) "pester-enter-$PID.ps1"
        Set-Content $script "Import-Module '$manifest'; Enter-VirtContainer pester-enter -Verbose; 'back in pwsh'"
        $command = "stty cols 123 rows 45; NO_COLOR=1 '$pwsh' $($pwshArgs -join ' ') -NoProfile -File '$script'"
        # "[v]irttools": a pattern that does not match the command line of this very bash.
        $feeder = @'
for i in $(seq 150); do pgrep -f '[v]irttools-container exec' >/dev/null && break; sleep 0.2; done; sleep 1
printf 'echo inside-$((6*7)); test -t 0 && echo is-tty\n'; sleep 0.5
printf 'sleep 30\n'; sleep 1.5; printf '\003'; sleep 0.5
printf 'echo after-int-$?\n'; sleep 0.3
printf 'stty size\n'; sleep 0.3
printf 'exit 3\n'; sleep 3
'@
        try {
            $out = (& bash -c "($feeder) | timeout 90 script -qec `"$command`" /dev/null") -replace "`r", ''
            $out | Should -Contain 'inside-42'
            $out | Should -Contain 'is-tty'
            $out | Should -Contain 'after-int-130'   # sleep died of SIGINT: Ctrl+C went to the container
            $out | Should -Contain '45 123'
            ($out | Where-Object { $_ -like '*exited with 3*' }) | Should -Not -BeNullOrEmpty
            ($out | Where-Object { $_ -like '*back in pwsh*' }) | Should -Not -BeNullOrEmpty
        }
        finally {
            Remove-Item $script -ErrorAction SilentlyContinue
        }
        (Get-VirtContainer pester-enter).Status | Should -Be 'Running'
    }
}
