BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-VirtTools
    $script:id = 'VirtTools.PowerShell.Commands.RootFs.NewVirtRootFsCommand'
    $script:base = Join-Path ([IO.Path]::GetTempPath()) "pester-rootfs-$PID"
    New-Item -ItemType Directory -Force $base | Out-Null
}

AfterAll {
    Remove-Item -Recurse -Force $base -ErrorAction SilentlyContinue
}

Describe 'New-VirtRootFs from host programs' {
    BeforeAll {
        $script:path = Join-Path $base 'programs'
        $script:info = New-VirtRootFs -Path $path -Command sh, cat, ls
    }

    It 'copies each program with the libraries its ELF dynamic section names, and the interpreter' {
        $info.Commands | Should -Be @('sh', 'cat', 'ls')
        # ls needs libselinux on Debian, which in turn needs libpcre2: found recursively.
        $expected = (& ldd /usr/bin/ls) -match '=> (/\S+)' | ForEach-Object { ($_ -split '=>')[1].Trim().Split(' ')[0] }
        foreach ($library in $expected) {
            Test-Path (Join-Path $path $library) | Should -BeTrue -Because "ls needs $library"
        }
        $interpreter = (& ldd /usr/bin/ls) -match 'ld-linux' | ForEach-Object { $_.Trim().Split(' ')[0] }
        Test-Path (Join-Path $path $interpreter) | Should -BeTrue
    }

    It 'writes /etc basics and empty mount points' {
        foreach ($file in 'etc/passwd', 'etc/group', 'etc/hosts', 'etc/resolv.conf') {
            Test-Path (Join-Path $path $file) | Should -BeTrue
        }
        (Get-Content (Join-Path $path 'etc/passwd'))[0] | Should -BeLike 'root:x:0:0:*'
        foreach ($directory in 'proc', 'sys', 'dev', 'tmp') {
            @(Get-ChildItem (Join-Path $path $directory) -Force) | Should -HaveCount 0
        }
    }

    It 'the copied programs run in a chroot of it' -Skip:(Test-VirtCapabilityMissing root) {
        & chroot $path /usr/bin/ls / | Should -Contain 'etc'
    }

    It 'refuses a non-empty directory without -Force, replaces it with -Force' {
        { New-VirtRootFs -Path $path -Command cat -ErrorAction Stop } | Should -Throw -ErrorId "RootFsExists,$id"
        $again = New-VirtRootFs -Path $path -Command cat -Force
        $again.Commands | Should -Be @('cat')
        Test-Path (Join-Path $path 'usr/bin/ls') | Should -BeFalse
    }

    It 'fails on a program the host does not have, creating nothing' {
        $missing = Join-Path $base 'missing'
        { New-VirtRootFs -Path $missing -Command no-such-program -ErrorAction Stop } | Should -Throw -ErrorId "CommandNotFound,$id"
        Test-Path $missing | Should -BeFalse
    }
}

Describe 'New-VirtRootFs -Busybox and -FromTarball' {
    It 'links every busybox applet to the static busybox' -Skip:(-not (Test-Path /bin/busybox)) {
        $path = Join-Path $base 'busybox'
        $info = New-VirtRootFs -Path $path -Busybox
        $info.Commands.Count | Should -BeGreaterThan 100
        (Get-Item (Join-Path $path 'bin/sh')).LinkTarget | Should -Be 'busybox'
        & (Join-Path $path 'bin/busybox') echo works | Should -Be 'works'
    }

    It 'unpacks a .tar.gz rootfs' {
        $source = Join-Path $base 'tarsource'
        New-VirtRootFs -Path $source -Command cat | Out-Null
        $tarball = Join-Path $base 'rootfs.tar.gz'
        & tar -czf $tarball -C $source .
        $path = Join-Path $base 'fromtar'
        $info = New-VirtRootFs -Path $path -FromTarball $tarball
        $info.Path | Should -Be $path
        Test-Path (Join-Path $path 'usr/bin/cat') | Should -BeTrue
        (Get-Item (Join-Path $path 'bin')).LinkTarget | Should -Be (Get-Item /bin).LinkTarget
    }
}
