BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    . "$PSScriptRoot/ContainerSuite.ps1" -Tag invoke
    $script:id = 'VirtTools.PowerShell.Commands.Containers.InvokeVirtContainerCommand'
    if (-not $skip) {
        # A file outside the rootfs that only an escaped process can see.
        $script:marker = Join-Path ([IO.Path]::GetTempPath()) "pester-escape-marker-$PID"
        Set-Content $marker 'outside'
    }
}

AfterAll {
    Remove-ContainerSuite -RootFs $rootfs
    if ($marker) { Remove-Item -Force $marker -ErrorAction SilentlyContinue }
}

Describe 'Invoke-VirtContainer: the issue''s must-work block' -Skip:(Test-VirtCapabilityMissing root) {
    It 'runs as written: PID 1 with its own hostname, OOM reported, nothing left' {
        $path = Join-Path ([IO.Path]::GetTempPath()) "pester-mustwork-$PID"
        # Containers of other sessions may exist on a shared host: the block must add none.
        $others = @(Get-VirtContainer).Count
        try {
            New-VirtRootFs -Path $path -Command sh, cat, hostname, head, tail, sleep -Force | Out-Null
            $r = Invoke-VirtContainer -RootFs $path -Hostname inside -Command sh, -c, 'echo pid=$$; hostname'
            $r.Output | Should -Be @('pid=1', 'inside')
            $r.ExitCode | Should -Be 0
            (Invoke-VirtContainer -RootFs $path -Memory 32MB -Command sh, -c, 'head -c 200000000 /dev/zero | tail').OomKilled | Should -BeTrue
            @(Get-VirtContainer) | Should -HaveCount $others
            Get-VirtContainer | Where-Object RootFs -eq $path | Should -BeNullOrEmpty
        }
        finally {
            Remove-Item -Recurse -Force $path -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Invoke-VirtContainer isolation (probe inside)' -Skip:(Test-VirtCapabilityMissing root) {
    It 'at <Level> level the command is PID 1 and sees no host process' -TestCases @(
        @{ Level = 'Namespaces' }, @{ Level = 'Container' }
    ) {
        $p = (Invoke-VirtContainer -RootFs $rootfs -Isolation $Level -Command probe, pid, pids).Output | ConvertFrom-Probe
        $p.pid | Should -Be '1'
        $p.pids | Should -Be '1'
        $p.highest | Should -Be '1'
    }

    It 'has a private hostname: the host''s stays as it was' {
        $before = [Environment]::MachineName
        $p = (Invoke-VirtContainer -RootFs $rootfs -Hostname pester-box -Command probe, hostname).Output | ConvertFrom-Probe
        $p.hostname | Should -Be 'pester-box'
        (hostname) | Should -Be $before
    }

    It 'cannot reach host files outside the rootfs' {
        $p = (Invoke-VirtContainer -RootFs $rootfs -Command probe, read, $marker).Output | ConvertFrom-Probe
        $p.read | Should -Be 'ENOENT'
    }

    It 'Chroot level: the classic chroot escape reaches the host (documented weakness)' {
        $p = (Invoke-VirtContainer -RootFs $rootfs -Isolation Chroot -Command probe, escape, $marker).Output | ConvertFrom-Probe
        $p.escape | Should -Be 'ok'
    }

    It '<Level> level: the same escape finds nothing above the container root' -TestCases @(
        @{ Level = 'Namespaces' }, @{ Level = 'Container' }
    ) {
        $p = (Invoke-VirtContainer -RootFs $rootfs -Isolation $Level -Command probe, escape, $marker).Output | ConvertFrom-Probe
        $p.escape | Should -Not -Be 'ok'
    }

    It 'mounts made inside do not appear on the host' {
        $r = Invoke-VirtContainer -RootFs $rootfs -Isolation Namespaces -Command probe, mount
        ($r.Output | ConvertFrom-Probe).mount | Should -Be 'ok'
        Get-Content /proc/self/mountinfo | Where-Object { $_ -like '*probe-mnt*' } | Should -BeNullOrEmpty
    }

    It 'network None has only loopback, up' {
        $r = Invoke-VirtContainer -RootFs $rootfs -Command cat, /proc/net/dev
        $interfaces = $r.Output | Select-Object -Skip 2 | ForEach-Object { ($_ -split ':')[0].Trim() }
        $interfaces | Should -Be @('lo')
    }

    It 'passes environment, working directory and user' {
        $r = Invoke-VirtContainer -RootFs $rootfs -Environment @{ GREETING = 'hi' } -WorkingDirectory /tmp -User 65534 -Group 65534 `
            -Command sh, -c, 'echo $GREETING; pwd; cat /proc/self/status | grep -E "^(Uid|Gid):"'
        $r.Output[0] | Should -Be 'hi'
        $r.Output[1] | Should -Be '/tmp'
        $r.Output[2] | Should -Match '^Uid:\s+65534\s'
        $r.Output[3] | Should -Match '^Gid:\s+65534\s'
    }

    It 'bind-mounts volumes, read-only when asked' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) "pester-volume-$PID"
        New-Item -ItemType Directory -Force $dir | Out-Null
        Set-Content (Join-Path $dir 'in.txt') 'from host'
        try {
            $r = Invoke-VirtContainer -RootFs $rootfs -Volume "${dir}:/data:ro", "${dir}:/rw" -Command sh, -c, 'cat /data/in.txt; echo x > /data/new 2>/dev/null || echo ro-refused; echo y > /rw/new && echo rw-ok'
            $r.Output | Should -Be @('from host', 'ro-refused', 'rw-ok')
            Test-Path (Join-Path $dir 'new') | Should -BeTrue
        }
        finally {
            Remove-Item -Recurse -Force $dir
        }
    }
}

Describe 'Invoke-VirtContainer Container level hardening' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeAll {
        if (-not $skip) {
            $script:hardened = (Invoke-VirtContainer -RootFs $rootfs -Command probe, mount, mknod, ptrace, module, write, /proc/sys/kernel/hostname, x, nnp, seccomp, caps, size, /proc/keys, size, /proc/timer_list, size, /proc/sched_debug).Output
            $script:h = $hardened | ConvertFrom-Probe
        }
    }

    It 'refuses <Operation>' -TestCases @(
        @{ Operation = 'mount' }, @{ Operation = 'mknod' }, @{ Operation = 'ptrace' }, @{ Operation = 'module' }
    ) {
        $h[$Operation] | Should -Be 'EPERM'
    }

    It 'refuses writing /proc/sys' {
        $h.write | Should -Be 'EROFS'
    }

    It 'sets no_new_privs and a seccomp filter' {
        $h.nnp | Should -Be '1'
        ($hardened | Where-Object { $_ -like 'Seccomp:*' }) | Should -Match 'Seccomp:\s+2'
    }

    It 'keeps only the documented capability set' {
        # CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP
        ($hardened | Where-Object { $_ -like 'CapEff:*' }) | Should -Match '00000000a00425fb'
        ($hardened | Where-Object { $_ -like 'CapBnd:*' }) | Should -Match '00000000a00425fb'
    }

    It 'masks /proc paths: they read empty' {
        $sizes = $hardened | Where-Object { $_ -like 'size=*' }
        $sizes | Should -Not -BeNullOrEmpty
        $sizes | ForEach-Object { $_ | Should -BeIn @('size=0', 'size=ENOENT') }
        $sizes | Should -Contain 'size=0'
    }

    It 'Namespaces level does not drop these privileges (the difference is the Container level)' {
        $p = (Invoke-VirtContainer -RootFs $rootfs -Isolation Namespaces -Command probe, mknod, nnp).Output | ConvertFrom-Probe
        $p.mknod | Should -Be 'ok'
        $p.nnp | Should -Be '0'
    }
}

Describe 'Invoke-VirtContainer limits' -Skip:(Test-VirtCapabilityMissing root) {
    It 'reports OomKilled and the peak memory for a memory hog' {
        $r = Invoke-VirtContainer -RootFs $rootfs -Memory 32MB -Command sh, -c, 'head -c 200000000 /dev/zero | tail'
        $r.OomKilled | Should -BeTrue
        $r.ExitCode | Should -Be 137
        $r.PeakMemory | Should -BeGreaterThan 30MB
        $r.PeakMemory | Should -BeLessOrEqual 32MB
    }

    It 'a run within its limit is not OomKilled' {
        $r = Invoke-VirtContainer -RootFs $rootfs -Memory 64MB -Command true
        $r.OomKilled | Should -BeFalse
        $r.ExitCode | Should -Be 0
        $r.Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
    }

    It 'stops a fork loop at the pids limit' {
        $p = (Invoke-VirtContainer -RootFs $rootfs -PidsLimit 20 -Command probe, forkbomb).Output | ConvertFrom-Probe
        [int] $p.forks | Should -Be 19
        $p.forkerror | Should -Be 'EAGAIN'
    }
}

Describe 'Invoke-VirtContainer exec into a running container' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeAll {
        if (-not $skip) {
            New-VirtContainer -Name pester-exec -RootFs $rootfs -Hostname execbox -Command sleep, 600 | Start-VirtContainer
        }
    }
    AfterAll {
        if (-not $skip) { Remove-VirtContainer pester-exec -Force }
    }

    It 'runs in the container''s namespaces, beside its PID 1' {
        $p = (Invoke-VirtContainer -Name pester-exec -Command probe, pid, hostname, pids).Output | ConvertFrom-Probe
        $p.hostname | Should -Be 'execbox'
        $p.pid | Should -Not -Be '1'
        [int] $p.pids | Should -Be 2
    }

    It 'takes the container from the pipeline' {
        (Get-VirtContainer pester-exec | Invoke-VirtContainer -Command sh, -c, 'exit 7').ExitCode | Should -Be 7
    }

    It 'refuses a container that is not running' {
        New-VirtContainer -Name pester-exec-idle -RootFs $rootfs -Command true | Out-Null
        try {
            { Invoke-VirtContainer -Name pester-exec-idle -Command true -ErrorAction Stop } | Should -Throw -ErrorId "ContainerNotRunning,$id"
        }
        finally {
            Remove-VirtContainer pester-exec-idle
        }
    }
}

Describe 'Invoke-VirtContainer bad input leaves nothing behind' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeEach {
        $script:before = Get-LeakSnapshot -RootFs $rootfs
    }
    AfterEach {
        $after = Get-LeakSnapshot -RootFs $rootfs
        $after.Mounts | Should -Be $before.Mounts -Because 'no mount may be left'
        $after.Cgroups | Should -Be $before.Cgroups -Because 'no cgroup may be left'
        $after.States | Should -Be $before.States -Because 'no state directory may be left'
        $after.Children | Should -Be $before.Children -Because 'no process may be left'
    }

    It 'a missing rootfs' {
        { Invoke-VirtContainer -RootFs /nonexistent/rootfs -Command sh -ErrorAction Stop } | Should -Throw -ErrorId "RootFsNotFound,$id"
    }

    It 'a command not in the rootfs' {
        { Invoke-VirtContainer -RootFs $rootfs -Command no-such-program -ErrorAction Stop } | Should -Throw -ErrorId "CommandNotFound,$id"
    }

    It 'an invalid volume: <Volume>' -TestCases @(
        @{ Volume = '/nonexistent:/x' }, @{ Volume = 'relative:/x' }, @{ Volume = '/tmp:/x:rx' }, @{ Volume = '/tmp' }, @{ Volume = '/tmp:/../x' }
    ) {
        { Invoke-VirtContainer -RootFs $rootfs -Volume $Volume -Command sh -ErrorAction Stop } | Should -Throw -ErrorId "InvalidVolume,$id"
    }

    It 'a set-up step that fails names the step' {
        # /dev as a regular file: mounting the container's /dev tmpfs on it fails inside the helper.
        $broken = Join-Path ([IO.Path]::GetTempPath()) "pester-broken-$PID"
        try {
            New-Item -ItemType Directory -Force $broken | Out-Null
            Copy-Item -Recurse "$rootfs/*" $broken
            Remove-Item -Recurse -Force "$broken/dev"
            Set-Content "$broken/dev" 'not a directory'
            $err = $null
            Invoke-VirtContainer -RootFs $broken -Command true -ErrorVariable err -ErrorAction SilentlyContinue
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -Be "ContainerStartFailed,$id"
            $err[0].Exception.Message | Should -Match "mount '.*/dev': Not a directory"
        }
        finally {
            Remove-Item -Recurse -Force $broken -ErrorAction SilentlyContinue
        }
    }

    It 'not root: says what is needed' {
        # An unprivileged pwsh (uid nobody) that may still read the tool and module files.
        $pwsh = [Environment]::ProcessPath
        $pwshArgs = @(if ((Split-Path -Leaf $pwsh) -like 'dotnet*') { Join-Path $PSHOME 'pwsh.dll' })
        $nobodyHome = Join-Path ([IO.Path]::GetTempPath()) "pester-nobody-$PID"
        New-Item -ItemType Directory -Force $nobodyHome | Out-Null
        & chown 65534:65534 $nobodyHome
        try {
            $manifest = Join-Path (Get-RepoRoot) 'VirtTools.psd1'
            $script = "Import-Module '$manifest'; try { Invoke-VirtContainer -RootFs '$rootfs' -Command true -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }"
            $out = & setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+dac_read_search --ambient-caps=+dac_read_search `
                env "HOME=$nobodyHome" DOTNET_CLI_HOME=$nobodyHome NO_COLOR=1 $pwsh @pwshArgs -NoProfile -NonInteractive -Command $script
            $out[0] | Should -Be "NotRoot,$id"
            $out[1] | Should -Match 'need root'
        }
        finally {
            Remove-Item -Recurse -Force $nobodyHome -ErrorAction SilentlyContinue
        }
    }
}
