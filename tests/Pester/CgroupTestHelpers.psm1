<#
    Fixtures shared by the cgroup cmdlet suites: unique group names, processes started gated on
    stdin (so they enter a group before they do anything), and cleanup that kills and removes
    whatever a test left, also when it failed.
#>

<# A group name no other test or helper uses: pt-<8 hex>. #>
function New-TestCgroupName { 'pt-' + [guid]::NewGuid().ToString('N').Substring(0, 8) }

<# Starts sh -c "read go; <Script>"; Resume-TestProcess lets it run. #>
function Start-TestProcess {
    param([Parameter(Mandatory)] [string] $Script)
    $info = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $info.ArgumentList.Add('-c')
    $info.ArgumentList.Add("read go; $Script")
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    [System.Diagnostics.Process]::Start($info)
}

function Resume-TestProcess {
    param([Parameter(Mandatory, ValueFromPipeline)] [System.Diagnostics.Process] $Process)
    process { $Process.StandardInput.WriteLine('go'); $Process.StandardInput.Flush() }
}

<# Removes the named groups (killing their processes) and kills the given processes. #>
function Remove-TestCgroup {
    param([string[]] $Name = @(), [System.Diagnostics.Process[]] $Process = @())
    foreach ($n in $Name) {
        Get-VirtCgroup -Name $n -ErrorAction Ignore | Remove-VirtCgroup -Force -Confirm:$false -ErrorAction Continue
    }
    foreach ($p in $Process) {
        if ($p -and -not $p.HasExited) { $p.Kill($true); [void] $p.WaitForExit(5000) }
    }
}

<# Every directory of a group, in every hierarchy, from /proc/self/mountinfo and /proc/self/cgroup. #>
function Get-TestCgroupDirectory {
    param([Parameter(Mandatory)] [string] $Name)
    $paths = @{}
    foreach ($line in Get-Content /proc/self/cgroup) {
        $id, $controllers, $path = $line -split ':', 3
        $paths[$controllers] = $path
    }
    foreach ($line in Get-Content /proc/self/mountinfo) {
        $fields = $line -split ' '
        $sep = [array]::IndexOf($fields, '-')
        $type = $fields[$sep + 1]
        if ($type -notin 'cgroup', 'cgroup2') { continue }
        $mount = $fields[4]
        $key = if ($type -eq 'cgroup2') { '' } else { ($fields[$sep + 3] -split ',' | Where-Object { $_ -notin 'rw', 'ro' -and $_ -notlike 'name=*' -and $_ -notin 'relatime', 'nosuid', 'nodev', 'noexec' }) -join ',' }
        if ($key -eq '' -and $type -eq 'cgroup') { continue }
        $own = $paths[$key]
        if ($null -eq $own) { continue }
        Join-Path $mount $own.TrimStart('/') 'virttools' $Name
    }
}

Export-ModuleMember -Function New-TestCgroupName, Start-TestProcess, Resume-TestProcess, Remove-TestCgroup, Get-TestCgroupDirectory
