BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-VirtTools

    # Reads a newc archive back: name, mode and data of every entry up to the trailer.
    function Read-Newc([string] $Path) {
        $bytes = [IO.File]::ReadAllBytes($Path)
        $ascii = [Text.Encoding]::ASCII
        $offset = 0
        while ($true) {
            $header = $ascii.GetString($bytes, $offset, 110)
            $header.Substring(0, 6) | Should -Be '070701'
            $field = { param($i) [Convert]::ToInt64($header.Substring(6 + 8 * $i, 8), 16) }
            $mode = & $field 1; $size = & $field 6; $nameSize = & $field 11
            $name = $ascii.GetString($bytes, $offset + 110, $nameSize - 1)
            $offset = ($offset + 110 + $nameSize + 3) -band -bnot 3
            $data = [byte[]] $bytes[$offset..($offset + $size - 1)]
            if ($size -eq 0) { $data = [byte[]] @() }
            $offset = ($offset + $size + 3) -band -bnot 3
            if ($name -eq 'TRAILER!!!') { break }
            [pscustomobject] @{ Name = $name; Mode = $mode; Data = $data }
        }
    }
}

Describe 'New-VirtInitramfs' {
    It 'packs a folder and an init program with /dev/console' {
        $root = New-Item -ItemType Directory (Join-Path $TestDrive 'root')
        New-Item -ItemType Directory (Join-Path $root 'etc') | Out-Null
        Set-Content -Path (Join-Path $root 'etc/hostname') -Value 'guest' -NoNewline
        $init = Join-Path $TestDrive 'init'
        Set-Content -Path $init -Value '#!/bin/sh' -NoNewline
        $file = New-VirtInitramfs -Path $root -Init $init -Destination (Join-Path $TestDrive 'initrd.cpio')
        $file | Should -BeOfType [IO.FileInfo]
        $entries = Read-Newc $file.FullName
        $entries.Name | Should -Be @('etc', 'etc/hostname', 'dev', 'dev/console', 'init')
        $initEntry = $entries | Where-Object Name -eq 'init'
        [Text.Encoding]::ASCII.GetString($initEntry.Data) | Should -Be '#!/bin/sh'
        ($initEntry.Mode -band 0x1ff) | Should -Be 0x1ed
        (($entries | Where-Object Name -eq 'dev/console').Mode -band 0xf000) | Should -Be 0x2000
    }

    It 'refuses to overwrite without -Force' {
        $init = Join-Path $TestDrive 'init2'
        Set-Content -Path $init -Value 'x'
        $target = Join-Path $TestDrive 'exists.cpio'
        Set-Content -Path $target -Value 'old'
        { New-VirtInitramfs -Init $init -Destination $target } |
            Should -Throw -ErrorId 'DestinationExists,VirtTools.PowerShell.Commands.Machines.NewVirtInitramfsCommand'
        New-VirtInitramfs -Init $init -Destination $target -Force | Should -Not -BeNullOrEmpty
    }

    It 'needs a folder or an init program' {
        { New-VirtInitramfs -Destination (Join-Path $TestDrive 'empty.cpio') } |
            Should -Throw -ErrorId 'InitramfsEmpty,VirtTools.PowerShell.Commands.Machines.NewVirtInitramfsCommand'
    }
}
