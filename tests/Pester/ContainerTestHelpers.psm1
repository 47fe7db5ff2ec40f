<#
    Fixtures for the container suites: a rootfs built from host programs plus the static probe
    (Support/probe.c) that reports what it sees inside, and snapshots of everything a container
    could leak (mounts, cgroups, state directories, processes, file descriptors).
#>

$script:ProbeSource = Join-Path $PSScriptRoot 'Support/probe.c'

<#
.SYNOPSIS
    Builds a test rootfs at -Path: sh, cat, hostname, head, tail, sleep, true, ls, grep, stty and /bin/probe.
#>
function New-TestRootFs {
    param([Parameter(Mandatory)] [string] $Path)
    $null = New-VirtRootFs -Path $Path -Command sh, cat, hostname, head, tail, sleep, true, ls, grep, stty -Force
    $probe = Join-Path $Path 'bin/probe'
    & cc -static -O2 -o $probe $script:ProbeSource
    if ($LASTEXITCODE -ne 0) { throw "cc failed to build the probe ($LASTEXITCODE)" }
    $Path
}

<# Parses the probe's key=value lines into a hashtable (later keys win). #>
function ConvertFrom-Probe {
    param([Parameter(ValueFromPipeline)] [string[]] $Line)
    begin { $map = @{} }
    process { foreach ($l in $Line) { if ($l -match '^([^=]+)=(.*)$') { $map[$Matches[1]] = $Matches[2] } } }
    end { $map }
}

<# Removes every container whose name starts with -Prefix, and the test rootfs directories. #>
function Remove-TestContainer {
    param([string] $Prefix = 'pester-')
    Get-VirtContainer | Where-Object Name -like "$Prefix*" | Remove-VirtContainer -Force -ErrorAction SilentlyContinue
}

<#
.SYNOPSIS
    Undoes ContainerSuite.ps1: removes the suite's test containers and its rootfs (nothing when skipped).
#>
function Remove-ContainerSuite {
    param([string] $RootFs)
    if (-not $RootFs) { return }
    Remove-TestContainer
    Remove-Item -Recurse -Force $RootFs -ErrorAction SilentlyContinue
}

<#
.SYNOPSIS
    What a container run could leave behind, for before/after comparison.
#>
function Get-LeakSnapshot {
    param([string] $RootFs)
    $cgroupDirs = foreach ($h in 'memory', 'pids', 'cpu') {
        Get-ChildItem "/sys/fs/cgroup/$h" -Recurse -Directory -Filter 'virttools' -ErrorAction SilentlyContinue |
            ForEach-Object { Get-ChildItem $_.FullName -Directory } |
            # Container groups only (one-shot runs and test containers): other suites share the parent.
            Where-Object Name -match '^container-(run-|pester-)' | ForEach-Object FullName
    }
    [pscustomobject] @{
        Mounts    = @(Get-Content /proc/self/mountinfo | Where-Object { $RootFs -and $_ -like "*$RootFs*" }).Count
        Cgroups   = @($cgroupDirs).Count
        States    = @(Get-ChildItem /run/virttools/containers -Directory -ErrorAction SilentlyContinue).Count
        Fds       = @(Get-ChildItem "/proc/$PID/fd").Count
        # Live (not zombie) children of this pwsh.
        Children  = @(& ps --ppid $PID -o stat= | Where-Object { $_ -notlike 'Z*' }).Count
    }
}

Export-ModuleMember -Function New-TestRootFs, ConvertFrom-Probe, Remove-TestContainer, Remove-ContainerSuite, Get-LeakSnapshot
