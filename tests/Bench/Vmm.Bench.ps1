<#
.SYNOPSIS
    What running a machine in its own VMM process (the default) costs against hosting it in-process
    (New-VirtMachine -InProcess), the reference, in one run.
.DESCRIPTION
    (a) New-VirtMachine then Remove-VirtMachine of a KVM machine (the spin guest, 16 MiB): the VMM
        side starts the VMM process (native, see src/VirtTools.Vmm) and waits for its socket; median
        of the runs.
    (b) Interactive echo through Enter-VirtMachine: a child pwsh attached to the echo guest with its
        stdin and stdout redirected is sent one key at a time; the time from writing the key to
        reading its echo on the child's stdout, median over the keys. Over the socket this is an
        input request, the guest's echo, and the held output request waking up.
    Rounds alternate the two modes so both see the same load on a shared host.
#>
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
$manifest = Join-Path $root 'VirtTools.psd1'
Import-Module $manifest

if (-not (Test-Path /dev/kvm)) { Write-Host 'SKIP: no /dev/kvm'; exit 0 }
$work = New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "virttools-vmmbench-$PID")
function Median([double[]] $values) { ($values | Sort-Object)[[int][Math]::Floor($values.Count / 2)] }

function Measure-Echo([string] $Name, [string] $Guest, [switch] $InProcess, [int] $Keys) {
    $flag = if ($InProcess) { '-InProcess' } else { '' }
    $psi = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ((Split-Path -Leaf $psi.FileName) -like 'dotnet*') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
    $script = "Import-Module '$manifest'; New-VirtMachine -Name $Name -Accelerator Kvm -MemoryMB 16 -Image '$Guest' $flag | Enter-VirtMachine"
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $script) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $process = [System.Diagnostics.Process]::Start($psi)
    try {
        $buffer = [char[]]::new(64)
        function Read-Until([string] $text) {
            $seen = ''
            while (-not $seen.Contains($text)) {
                $read = $process.StandardOutput.ReadAsync($buffer, 0, $buffer.Length)
                if (-not $read.Wait(60000) -or $read.Result -eq 0) { throw "no '$text' from the console: $seen" }
                $seen += [string]::new($buffer, 0, $read.Result)
            }
        }
        Read-Until 'echo> '
        $clock = [System.Diagnostics.Stopwatch]::new()
        $times = foreach ($i in 1..$Keys) {
            $key = [char](0x61 + $i % 16)   # a..p: never the guest's 'q'
            $clock.Restart()
            $process.StandardInput.Write($key)
            $process.StandardInput.Flush()
            Read-Until ([string] $key)
            $clock.Elapsed.TotalMilliseconds
        }
        $process.StandardInput.Write([char]0x1d)
        $process.StandardInput.Close()
        $null = $process.WaitForExit(30000)
        @($times | Select-Object -Skip 5)   # the first keys warm up the JIT on both sides
    }
    finally {
        if (-not $process.HasExited) { $process.Kill($true) }
        $process.Dispose()
        if (-not $InProcess) { Remove-VirtMachine -Name $Name -Force -Confirm:$false -ErrorAction Ignore }
    }
}

try {
    $spin = Join-Path $work 'spin.bin'
    $echo = Join-Path $work 'echo.bin'
    foreach ($g in 'spin', 'echo') {
        & nasm -f bin -I "$root/tests/guests/" -o (Join-Path $work "$g.bin") "$root/tests/guests/$g.asm"
        if ($LASTEXITCODE) { throw 'nasm failed' }
    }
    $rounds = 3
    $runs = 5
    $keys = 45
    $name = "bench-vmm-$PID"
    New-VirtMachine -Name $name -Accelerator Kvm -MemoryMB 16 -Image $spin | Remove-VirtMachine -Force   # warm-up
    New-VirtMachine -Name $name -Accelerator Kvm -MemoryMB 16 -Image $spin -InProcess | Remove-VirtMachine -Force
    $create = @{ Vmm = @(); InProcess = @() }
    $echoMs = @{ Vmm = @(); InProcess = @() }
    foreach ($round in 1..$rounds) {
        foreach ($mode in 'InProcess', 'Vmm') {
            $create[$mode] += foreach ($i in 1..$runs) {
                $clock = [System.Diagnostics.Stopwatch]::StartNew()
                New-VirtMachine -Name $name -Accelerator Kvm -MemoryMB 16 -Image $spin -InProcess:($mode -eq 'InProcess') | Remove-VirtMachine -Force
                $clock.Elapsed.TotalMilliseconds
            }
            $echoMs[$mode] += Measure-Echo -Name "$name-echo" -Guest $echo -InProcess:($mode -eq 'InProcess') -Keys $keys
        }
    }
    $load = ((Get-Content /proc/loadavg) -split ' ')[0]
    $rows = foreach ($measure in @(
            @{ Name = 'New- + Remove-VirtMachine (ms, median)'; Data = $create },
            @{ Name = 'Enter-VirtMachine key to echo (ms, median)'; Data = $echoMs })) {
        $vmm = Median $measure.Data.Vmm
        $local = Median $measure.Data.InProcess
        [pscustomobject] @{ Measure = $measure.Name; VmmProcess = [Math]::Round($vmm, 2); InProcess = [Math]::Round($local, 2); Ratio = [Math]::Round($vmm / $local, 2) }
    }
    Write-Host "load average $load on $([Environment]::ProcessorCount) CPUs; $rounds alternating rounds of $runs creations and $keys keys"
    Write-Host 'Ratio = VMM process (the default) over in-process (the reference)'
    $rows | Format-Table -AutoSize | Out-String | Write-Host
}
finally {
    Get-VirtMachine -Name "bench-vmm-$PID*" -ErrorAction Ignore | Remove-VirtMachine -Force -Confirm:$false -ErrorAction Ignore
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}
