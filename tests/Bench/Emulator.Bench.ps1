#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Guest speed of the VirtTools emulator side by side with QEMU TCG, Bochs and this host's KVM.
.DESCRIPTION
    The same boot-sector guest (emulator-loop.asm: an 8-instruction loop of ALU ops, a load, a store,
    a compare and a branch) in 16-, 32- and 64-bit variants runs on each engine twice, with a small
    and a large iteration count; guest MIPS = 8 * (large - small) / (t(large) - t(small)), so start-up
    (BIOS, process, JIT) cancels out. QEMU and Bochs are Debian packages installed here at bench time:
    reference points only. The emulator runs inside this process, so it also gets CpuMIPS: the same
    formula over this process's CPU time instead of wall time, which time spent waiting for a core on
    a busy host does not inflate (a second, less noisy figure; contention for caches still shows).
    Then a longer host-CPU oracle run (VIRTTOOLS_ORACLE_RUNS), integer and x87.
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$root = Resolve-Path "$PSScriptRoot/../.."
Import-Module (Join-Path $root 'VirtTools.psd1') -Force

if (-not (Get-Command qemu-system-x86_64 -ErrorAction SilentlyContinue) -or -not (Get-Command xvfb-run -ErrorAction SilentlyContinue)) {
    # Debian's bochs has no 'nogui' display and is built with its debugger: it runs under Xvfb
    # with the X display, and 'c' on stdin starts the simulation.
    Write-Host 'installing qemu-system-x86, bochs, bochs-x and xvfb (reference points only)'
    & apt-get install -y -qq qemu-system-x86 bochs bochs-x bochsbios vgabios xvfb xauth *> $null
}
$work = Join-Path ([IO.Path]::GetTempPath()) "virttools-bench-$PID"
New-Item -ItemType Directory -Path $work | Out-Null

function New-LoopImage([int] $Mode, [long] $Iterations, [switch] $Floppy) {
    $path = Join-Path $work "loop$Mode-$Iterations$(if ($Floppy) { '-fd' }).img"
    & nasm -f bin "-DMODE=$Mode" "-DITER=$Iterations" -o $path (Join-Path $PSScriptRoot 'emulator-loop.asm')
    if ($LASTEXITCODE -ne 0) { throw "nasm failed for mode $Mode" }
    if ($Floppy) {
        $bytes = [byte[]]::new(1474560)
        [IO.File]::ReadAllBytes($path).CopyTo($bytes, 0)
        [IO.File]::WriteAllBytes($path, $bytes)
    }
    $path
}

$self = [Diagnostics.Process]::GetCurrentProcess()

# Returns wall-clock seconds and this process's CPU seconds (meaningful for the in-process emulator).
function Measure-Engine([string] $Engine, [int] $Mode, [long] $Iterations) {
    $self.Refresh()
    $cpu = $self.TotalProcessorTime
    $watch = [Diagnostics.Stopwatch]::StartNew()
    switch ($Engine) {
        { $_ -in 'Emulator', 'Kvm' } {
            $r = Invoke-VirtMachine -Accelerator $Engine -Image (New-LoopImage $Mode $Iterations) -Mode Real -LoadAddress 0x7c00 -Timeout 00:10:00
            if ($r.ExitCode -ne 0) { throw "$Engine mode $Mode ended $($r.State): $($r.Reason)" }
        }
        'QEMU TCG' {
            $img = New-LoopImage $Mode $Iterations
            & qemu-system-x86_64 -accel tcg -display none -nodefaults -no-reboot -m 32 `
                -device isa-debug-exit,iobase=0xf4,iosize=4 -drive "file=$img,format=raw,if=ide" *> $null
            if ($LASTEXITCODE -ne 1) { throw "qemu exited with $LASTEXITCODE" }
        }
        'Bochs' {
            $img = New-LoopImage $Mode $Iterations -Floppy
            $rc = Join-Path $work "bochsrc-$Mode-$Iterations"
            @(
                'megs: 32'
                'romimage: file=/usr/share/bochs/BIOS-bochs-latest'
                'vgaromimage: file=/usr/share/vgabios/vgabios.bin'
                "floppya: 1_44=$img, status=inserted"
                'boot: floppy'
                'display_library: x'
                'log: /dev/null'
                'speaker: enabled=0'
                'cpu: count=1, ips=100000000'
            ) | Set-Content $rc
            'c', 'quit' | & xvfb-run -a bochs -q -f $rc *> $null
        }
    }
    $wall = $watch.Elapsed.TotalSeconds
    $self.Refresh()
    [pscustomobject] @{ Wall = $wall; Cpu = ($self.TotalProcessorTime - $cpu).TotalSeconds }
}

# Iterations per engine: enough for a few seconds each (KVM here is PVM: about 2 M instructions/s).
$plan = [ordered] @{ 'Emulator' = 1000000, 20000000; 'QEMU TCG' = 1000000, 300000000; 'Bochs' = 1000000, 20000000; 'Kvm' = 10000, 300000 }
# The load average goes with the figures: this host is shared, and wall-clock MIPS fall with load.
$loadBefore = ((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' '
$results = foreach ($mode in 16, 32, 64) {
    foreach ($engine in $plan.Keys) {
        if ($engine -eq 'Kvm' -and -not (Test-Path /dev/kvm)) { continue }
        $small, $large = $plan[$engine]
        try {
            $t1 = Measure-Engine $engine $mode $small
            $t2 = Measure-Engine $engine $mode $large
            $mips = 8 * ($large - $small) / [math]::Max($t2.Wall - $t1.Wall, 1e-6) / 1e6
            $cpuMips = if ($engine -eq 'Emulator') { [math]::Round(8 * ($large - $small) / [math]::Max($t2.Cpu - $t1.Cpu, 1e-6) / 1e6, 1) }
            [pscustomobject] @{ Mode = "$mode-bit"; Engine = $engine; Seconds = [math]::Round($t2.Wall, 2); MIPS = [math]::Round($mips, 1); CpuMIPS = $cpuMips }
        }
        catch {
            [pscustomobject] @{ Mode = "$mode-bit"; Engine = $engine; Seconds = $null; MIPS = $null; CpuMIPS = $null; Error = $_.Exception.Message }
        }
    }
}
$loadAfter = ((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' '
Write-Host "load average before the loop runs: $loadBefore; after: $loadAfter"
$results | Format-Table Mode, Engine, Seconds, MIPS, CpuMIPS -AutoSize | Out-Host
foreach ($mode in '16-bit', '32-bit', '64-bit') {
    $ours = ($results | Where-Object { $_.Mode -eq $mode -and $_.Engine -eq 'Emulator' }).MIPS
    foreach ($other in 'QEMU TCG', 'Bochs', 'Kvm') {
        $theirs = ($results | Where-Object { $_.Mode -eq $mode -and $_.Engine -eq $other }).MIPS
        if ($ours -and $theirs) { Write-Host ("{0}: Emulator / {1} = {2:N2}" -f $mode, $other, ($ours / $theirs)) }
    }
}

Write-Host '== host-CPU oracle, long run'
$env:VIRTTOOLS_ORACLE_RUNS = '10000'
& dotnet test (Join-Path $root 'tests/VirtTools.Core.Tests') -c Release --nologo --filter 'FullyQualifiedName~HostOracle' | Select-String -Pattern 'Passed!|Failed!|MISMATCH' | Out-Host
$oracle = $LASTEXITCODE
Remove-Item -Recurse -Force $work
exit $oracle
