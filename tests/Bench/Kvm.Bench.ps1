<#
.SYNOPSIS
    KVM machine benchmark: VirtTools against a C program calling the same ioctls, in one run.
.DESCRIPTION
    (a) VM create to first guest instruction: from the start of building the machine to the vCPU's
        first exit, for a guest whose first instruction is an OUT (median of the runs).
    (b) Port-I/O exits per second of a guest that loops on OUT to port 0x80.
    Both sides use the same guest (tests/guests/outloop.asm), 16 MiB, in-kernel irqchip and PIT.
    For (a) our machines run outloop.asm built with COUNT=2 (the same first instruction, then one more
    OUT and the debug exit), so that, like the C side's VMs, they end right after the first exit. Each
    VM used to run all 200 000 OUTs (seconds of CPU) before the next one was built: on this kernel's
    EEVDF scheduler a thread that just ran a long CPU burst carries negative lag and waits behind the
    other runnable tasks, so on a loaded host the next build queued for milliseconds that the C side,
    whose VMs stop at their first exit, never paid (per-thread schedstat: 2-19 ms of run-queue wait in
    ours against under 0.2 ms in most of C's VMs). docs/machine.md, Known limits, has the figures.
    The reference is tests/Bench/kvm_reference.c, compiled here with gcc. Target: ours within 1.5x.
    A third column runs the same C program grown to as many memory mappings as this pwsh has
    (/proc/self/maps): KVM_CREATE_VM locks every mapping of the calling process (the MMU notifier's
    mm_take_all_locks), so that figure separates what a process of a .NET runtime's shape pays in
    the kernel from what our own code costs. A fourth runs our machine code (VirtTools.Core, as
    Invoke-VirtMachine runs it) compiled ahead of time into a small native process
    (tests/Bench/KvmAotProbe, published here with NativeAOT): the same code in a process of few
    mappings.
#>
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
Import-Module (Join-Path $root 'VirtTools.psd1')

if (-not (Test-Path /dev/kvm)) { Write-Host 'SKIP: no /dev/kvm'; exit 0 }
$work = New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "virttools-kvmbench-$PID")
try {
    $count = 200000
    $guest = Join-Path $work 'outloop.bin'
    & nasm -f bin "-DCOUNT=$count" -I "$root/tests/guests/" -o $guest "$root/tests/guests/outloop.asm"
    if ($LASTEXITCODE) { throw 'nasm failed' }
    $firstGuest = Join-Path $work 'first.bin'
    & nasm -f bin '-DCOUNT=2' -I "$root/tests/guests/" -o $firstGuest "$root/tests/guests/outloop.asm"
    if ($LASTEXITCODE) { throw 'nasm failed' }
    $probeDir = Join-Path $work 'aot'
    & dotnet publish (Join-Path $PSScriptRoot 'KvmAotProbe/KvmAotProbe.csproj') -c Release -o $probeDir --nologo -v quiet | Out-Null
    $probe = if ($LASTEXITCODE -eq 0) { Join-Path $probeDir 'KvmAotProbe' } else { Write-Warning 'the NativeAOT probe did not build; its row is left out'; $null }
    $reference = Join-Path $work 'kvm_reference'
    & gcc -O2 -o $reference (Join-Path $PSScriptRoot 'kvm_reference.c')
    if ($LASTEXITCODE) { throw 'gcc failed' }

    # The host is shared: rounds alternate C and ours so both see the same load, and each figure is
    # the median over the rounds (and, for the first exit, over the VMs of each round).
    function Median([double[]] $values) { ($values | Sort-Object)[[int][Math]::Floor($values.Count / 2)] }
    $runs = 11
    $rounds = 5
    $null = Invoke-VirtMachine -Accelerator Kvm -MemoryMB 16 -Image $guest -Mode Long -Timeout 00:01:00   # JIT warm-up
    $null = Invoke-VirtMachine -Accelerator Kvm -MemoryMB 16 -Image $firstGuest -Mode Long -Timeout 00:01:00
    # (a) and (b) run in separate passes: a C rate run (seconds of CPU) right before our first-exit
    # VMs left this session's scheduling group behind the rest of the host (EEVDF lag, as above),
    # and only ours paid for it.
    $cFirst = @(); $cShapedFirst = @(); $aotFirst = @(); $aotMappings = 0; $cRate = @(); $oursFirstAll = @(); $oursRateAll = @()
    $mappings = @(Get-Content /proc/self/maps).Count
    foreach ($round in 1..$rounds) {
        $cFirst += [double] ((& $reference $guest $runs first) -split ' ')[1]
        $cShapedFirst += [double] ((& $reference $guest $runs first $mappings) -split ' ')[1]
        if ($probe) {
            $fields = (& $probe $firstGuest ($runs * 2)) -split ' '
            $aotFirst += [double] $fields[1]
            $aotMappings = [int] $fields[3]
        }
        $oursFirstAll += Median @(foreach ($i in 1..$runs) {
            $r = Invoke-VirtMachine -Accelerator Kvm -MemoryMB 16 -Image $firstGuest -Mode Long -Timeout 00:01:00
            if ($r.ExitCode -ne 0) { throw "guest failed: $($r.Reason)" }
            $r.TimeToFirstExit.TotalMilliseconds * 1000
        })
    }
    foreach ($round in 1..$rounds) {
        $cRate += [double] ((& $reference $guest 0 rate) -split ' ')[1]
        $r = Invoke-VirtMachine -Accelerator Kvm -MemoryMB 16 -Image $guest -Mode Long -Timeout 00:05:00
        $oursRateAll += $r.Exits['PortIo'] / $r.Duration.TotalSeconds
    }
    $c = @{ first_exit_us = Median $cFirst; shaped_first_exit_us = Median $cShapedFirst; exits_per_second = Median $cRate }
    $oursFirst = Median $oursFirstAll
    $oursRate = Median $oursRateAll
    $load = ((Get-Content /proc/loadavg) -split ' ')[0]

    $kind = (Get-VirtHost).Kvm.Kind
    $rows = @(
        [pscustomobject] @{ Measure = 'create to first exit (us, median)'; VirtTools = [Math]::Round($oursFirst, 1); C = $c.first_exit_us; Ratio = [Math]::Round($oursFirst / $c.first_exit_us, 2) }
        [pscustomobject] @{ Measure = "  C with pwsh's $mappings mappings (us, median)"; VirtTools = [Math]::Round($oursFirst, 1); C = $c.shaped_first_exit_us; Ratio = [Math]::Round($oursFirst / $c.shaped_first_exit_us, 2) }
        if ($aotFirst) {
            $aot = Median $aotFirst
            [pscustomobject] @{ Measure = "  our code, NativeAOT, $aotMappings mappings (us, median)"; VirtTools = [Math]::Round($aot, 1); C = $c.first_exit_us; Ratio = [Math]::Round($aot / $c.first_exit_us, 2) }
        }
        [pscustomobject] @{ Measure = 'port-I/O exits per second'; VirtTools = [Math]::Round($oursRate); C = $c.exits_per_second; Ratio = [Math]::Round($c.exits_per_second / $oursRate, 2) }
    )
    Write-Host "KVM kind: $kind; load average $load on $([Environment]::ProcessorCount) CPUs; guest: $count OUTs; $rounds alternating rounds"
    Write-Host "Ratio = how many times slower VirtTools is than C (target <= 1.5)"
    $rows | Format-Table -AutoSize | Out-String | Write-Host
}
finally {
    Remove-Item -Recurse -Force $work
}
