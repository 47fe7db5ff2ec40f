<#
.SYNOPSIS
    Reads full stats of 100 cgroups and reports the time per refresh, ours beside the reference tools.
.DESCRIPTION
    Creates 100 groups under virttools/ (a sleeping process in every tenth), then times, over the same
    groups in the same run, one refresh of:
      - ours, readers: CgroupStatsReader.Read() of every group, files kept open and re-read with one
                      pread each (what the dashboard does every second);
      - ours, core:   Cgroup.ReadStats() of every group (open, read, close per file);
      - ours, cmdlet: Get-VirtCgroup 'bench-*' (limits, stats and process ids, as objects);
      - cgget:        libcgroup's cgget (Debian cgroup-tools) reading the same stat files, two runs
                      per refresh (memory paths differ from the others below the caller's cgroup);
      - shell:        one sh loop running cat on the same files of every group.
    The target for ours is well under 50 ms per refresh of 100 groups. Needs root.
#>
param([int] $Groups = 100, [int] $Rounds = 20)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../../VirtTools.psd1') -Force

if ((id -u) -ne '0') { Write-Warning 'Cgroups bench needs root: skipped'; exit 0 }

function Measure-Median([scriptblock] $block, [int] $rounds) {
    & $block | Out-Null   # warm-up (JIT, dentry cache)
    $times = for ($i = 0; $i -lt $rounds; $i++) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        & $block | Out-Null
        $sw.Elapsed.TotalMilliseconds
    }
    ($times | Sort-Object)[[int][math]::Floor($rounds / 2)]
}

$prefix = 'bench-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
$names = 1..$Groups | ForEach-Object { '{0}-{1:000}' -f $prefix, $_ }
$sleepers = @()
try {
    New-VirtCgroup -Name $names -Memory 64MB -Pids 32 -Cpu 0.5 | Out-Null
    foreach ($name in $names | Select-Object -First ([math]::Ceiling($Groups / 10))) {
        $p = Start-Process /bin/sleep -ArgumentList 600 -PassThru
        Add-VirtCgroupProcess -Name $name -Id $p.Id
        $sleepers += $p
    }

    # The core types live in the module's own AssemblyLoadContext: reach them through an object's type.
    $core = (Get-VirtCgroup $names[0]).GetType().Assembly
    $manager = $core.GetType('VirtTools.Cgroups.CgroupManager')::ForCurrentProcess('virttools')
    $handles = @($manager.List("$prefix-*"))
    if ($handles.Count -ne $Groups) { throw "expected $Groups groups, found $($handles.Count)" }
    $placement = $handles[0].Placement
    $files = [Collections.Generic.List[string]]::new()
    foreach ($h in $handles) {
        $pl = $h.Placement
        foreach ($f in 'memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.failcnt', 'memory.oom_control') { if ($pl.Memory) { $files.Add("$($pl.Memory.Directory)/$f") } }
        if ($pl.CpuAccounting) { $files.Add("$($pl.CpuAccounting.Directory)/cpuacct.usage") }
        if ($pl.Cpu) { $files.Add("$($pl.Cpu.Directory)/cpu.stat") }
        foreach ($f in 'pids.current', 'pids.events') { if ($pl.Pids) { $files.Add("$($pl.Pids.Directory)/$f") } }
        if ($pl.Io) { $files.Add("$($pl.Io.Directory)/blkio.throttle.io_service_bytes_recursive") }
        foreach ($f in 'cpu.pressure', 'memory.pressure', 'io.pressure') { if ($pl.Unified) { $files.Add("$($pl.Unified.Directory)/$f") } }
    }
    $filesPerGroup = $files.Count / $Groups

    $results = [ordered] @{}
    $readers = @($handles | ForEach-Object { $_.OpenStatsReader() })
    $results['ours (kept-open readers)'] = Measure-Median { foreach ($r in $readers) { $null = $r.Read() } } $Rounds
    $results['ours (core ReadStats)'] = Measure-Median { foreach ($h in $handles) { $null = $h.ReadStats() } } $Rounds
    $readers | ForEach-Object Dispose
    # What PowerShell's own loop and method calls cost, included in the two rows above.
    $loop = Measure-Median { foreach ($r in $readers) { $null = $r.GetHashCode() } } $Rounds
    $results['ours (Get-VirtCgroup)'] = Measure-Median { Get-VirtCgroup -Name "$prefix-*" } $Rounds

    # Shell reference: the same files with cat, one sh for the whole refresh.
    $script = [IO.Path]::GetTempFileName()
    $lines = for ($i = 0; $i -lt $files.Count; $i += $filesPerGroup) { 'cat ' + ($files.GetRange($i, $filesPerGroup) -join ' ') + ' >/dev/null' }
    Set-Content $script $lines
    $results['shell loop (sh + cat)'] = Measure-Median { sh $script } $Rounds
    Remove-Item $script

    # cgget reference: paths are relative to each hierarchy's mount; memory sits below our own cgroup.
    $cgget = Get-Command cgget -CommandType Application -ErrorAction Ignore
    if ($cgget -and $placement.Memory -and -not $placement.Memory.IsV2) {
        $mounts = @{}
        foreach ($line in Get-Content /proc/self/mountinfo) {
            $f = $line -split ' '; $sep = [array]::IndexOf($f, '-')
            if ($f[$sep + 1] -eq 'cgroup') { foreach ($c in $f[$sep + 3] -split ',') { $mounts[$c] = $f[4] } }
        }
        $memPaths = $handles | ForEach-Object { $_.Placement.Memory.Directory.Substring($mounts['memory'].Length).TrimStart('/') }
        $cpuPaths = $handles | ForEach-Object { $_.Placement.Cpu.Directory.Substring($mounts['cpu'].Length).TrimStart('/') }
        $memArgs = @('-n', '-r', 'memory.usage_in_bytes', '-r', 'memory.max_usage_in_bytes', '-r', 'memory.failcnt', '-r', 'memory.oom_control') + $memPaths
        $otherArgs = @('-n', '-r', 'cpuacct.usage', '-r', 'cpu.stat', '-r', 'pids.current', '-r', 'pids.events', '-r', 'blkio.throttle.io_service_bytes_recursive') + $cpuPaths
        $check = & cgget @otherArgs 2>&1 | Select-Object -First 1
        if ("$check" -match 'failed|Wrong|cannot') { Write-Warning "cgget could not read our groups: $check" }
        else { $results['cgget (cgroup-tools, no PSI)'] = Measure-Median { & cgget @memArgs; & cgget @otherArgs } $Rounds }
    }
    elseif (-not $cgget) { Write-Warning 'cgget not installed (apt-get install cgroup-tools): reference skipped' }

    $ours = $results['ours (kept-open readers)']
    Write-Host ("Full stats of {0} groups, {1} files per group ({2}), median of {3} refreshes" -f $Groups, $filesPerGroup, $manager.Topology.Layout, $Rounds)
    foreach ($entry in $results.GetEnumerator()) {
        Write-Host ("  {0,-32} {1,8:N2} ms per refresh   {2,6:N1} us per group   x{3,6:N2} of ours (readers)" -f $entry.Key, $entry.Value, ($entry.Value * 1000 / $Groups), ($entry.Value / $ours))
    }
    Write-Host ("  (PowerShell's loop over {0} objects costs {1:N2} ms of the two core rows)" -f $Groups, $loop)
    Write-Host ("  target: well under 50 ms per refresh of 100 groups: {0}" -f $(if ($ours -lt 50) { 'met' } else { 'MISSED' }))
}
finally {
    foreach ($p in $sleepers) { if (-not $p.HasExited) { $p.Kill() } }
    Get-VirtCgroup -Name "$prefix-*" | Remove-VirtCgroup -Force -Confirm:$false
}
