<#
.SYNOPSIS
    Container start-to-exit of /bin/true with a memory and a pids limit, inside one pwsh session:
    Invoke-VirtContainer side by side with `runc run` (and `crun run` where it works) of the same
    rootfs, in the same run. Prints medians and ratios; then the memory a running container costs.
    Target (issue 4): our median at most half of runc's.
#>
param([int] $Runs = 40)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../../VirtTools.psd1')

function Get-Median([double[]] $values) {
    $sorted = $values | Sort-Object
    $mid = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$mid] } else { ($sorted[$mid - 1] + $sorted[$mid]) / 2 }
}

function Measure-Runs([scriptblock] $run) {
    & $run   # warm-up: JIT, page cache
    foreach ($i in 1..$Runs) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        & $run
        $sw.Elapsed.TotalMilliseconds
    }
}

$work = Join-Path ([IO.Path]::GetTempPath()) "virttools-bench-$PID"
$rootfs = Join-Path $work 'rootfs'
New-Item -ItemType Directory -Force $work | Out-Null
try {
    New-VirtRootFs -Path $rootfs -Command true, sh, sleep | Out-Null
    $true_ = '/usr/bin/true'

    $results = [ordered] @{}
    $results['VirtTools Invoke-VirtContainer'] = Measure-Runs {
        $r = Invoke-VirtContainer -RootFs $rootfs -Memory 64MB -PidsLimit 64 -Command $true_
        if ($r.ExitCode -ne 0) { throw "Invoke-VirtContainer exited with $($r.ExitCode): $($r.Error)" }
    }

    # The same rootfs as an OCI bundle with the same limits.
    $bundle = Join-Path $work 'bundle'
    New-Item -ItemType Directory -Force $bundle | Out-Null
    $runtimes = @('runc', 'crun') | Where-Object { Get-Command $_ -ErrorAction SilentlyContinue }
    if ($runtimes) {
        Push-Location $bundle
        & $runtimes[0] spec
        Pop-Location
        $config = Get-Content -Raw (Join-Path $bundle 'config.json') | ConvertFrom-Json -AsHashtable
        $config.root = @{ path = $rootfs; readonly = $true }
        $config.process.args = @($true_)
        $config.process.terminal = $false
        $config.linux.resources = @{ memory = @{ limit = 64MB }; pids = @{ limit = 64 } }
        $config | ConvertTo-Json -Depth 20 | Set-Content (Join-Path $bundle 'config.json')
    }
    foreach ($runtime in $runtimes) {
        $probe = & $runtime run --bundle $bundle "virttools-bench-probe-$PID" 2>&1
        if ($LASTEXITCODE -ne 0) {
            Write-Host "$runtime run: does not work on this host ($(($probe | Out-String).Trim()))"
            continue
        }
        $n = 0
        $results["$runtime run"] = Measure-Runs {
            $script:n++
            & $runtime run --bundle $bundle "virttools-bench-$PID-$script:n" 2>&1 | Out-Null
            if ($LASTEXITCODE -ne 0) { throw "$runtime run exited with $LASTEXITCODE" }
        }
    }
    if (-not $runtimes) { Write-Host 'runc and crun are not installed (apt-get install runc crun): no reference to compare with' }

    Write-Host ''
    Write-Host ("Start to exit of {0} with a 64 MB memory and 64 pids limit, {1} runs each (ms):" -f $true_, $Runs)
    $medians = [ordered] @{}
    foreach ($name in $results.Keys) {
        $values = [double[]] $results[$name]
        $medians[$name] = Get-Median $values
        Write-Host ('  {0,-32} median {1,8:N2}   min {2,8:N2}   max {3,8:N2}' -f $name, $medians[$name], ($values | Measure-Object -Minimum).Minimum, ($values | Measure-Object -Maximum).Maximum)
    }
    $ours = $medians['VirtTools Invoke-VirtContainer']
    foreach ($name in @($medians.Keys) | Where-Object { $_ -ne 'VirtTools Invoke-VirtContainer' }) {
        $ratio = $ours / $medians[$name]
        $verdict = if ($name -eq 'runc run') { if ($ratio -le 0.5) { 'target met (<= 0.5)' } else { 'target missed (> 0.5)' } } else { '' }
        Write-Host ('  ratio VirtTools / {0,-12} {1,6:N3}  {2}' -f $name, $ratio, $verdict)
    }

    # Memory per running container: the helper stays behind as the monitor, nothing else of ours.
    Write-Host ''
    $names = 1..5 | ForEach-Object { "bench-mem-$PID-$_" }
    try {
        $containers = $names | ForEach-Object { New-VirtContainer -Name $_ -RootFs $rootfs -Command sleep, 600 -Memory 64MB | Start-VirtContainer -PassThru }
        $rss = foreach ($c in $containers) {
            [int] ((Get-Content "/proc/$($c.MonitorPid)/status" | Where-Object { $_ -like 'VmRSS:*' }) -replace '\D', '')
        }
        $pss = foreach ($c in $containers) {
            [int] ((Get-Content "/proc/$($c.MonitorPid)/smaps_rollup" | Where-Object { $_ -like 'Pss:*' }) -replace '\D', '')
        }
        Write-Host ('Memory per running container: monitor helper RSS {0:N0} KB, PSS {1:N0} KB (mean of {2}); runc keeps no process of its own per container, crun neither' -f `
            ($rss | Measure-Object -Average).Average, ($pss | Measure-Object -Average).Average, $containers.Count)
    }
    finally {
        $names | ForEach-Object { Remove-VirtContainer $_ -Force -ErrorAction SilentlyContinue }
    }
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
