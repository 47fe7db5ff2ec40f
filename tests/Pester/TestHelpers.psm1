<#
    Shared fixtures for the Pester suites. Import it in BeforeAll:
        Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
#>

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

# Machines run in their own VMM process by default and are visible host-wide under
# $VIRTTOOLS_RUN_DIR/machines: a test run (this pwsh and every pwsh or VMM it starts, which inherit
# the variable) gets its own root, so runs of other developers or CI on the same host neither see
# nor remove its pester-* machines, nor it theirs.
if (-not $env:VIRTTOOLS_RUN_DIR) { $env:VIRTTOOLS_RUN_DIR = "/run/virttools-pester-$PID" }

function Get-RepoRoot { $script:RepoRoot }

function Import-VirtTools {
    Import-Module (Join-Path $script:RepoRoot 'VirtTools.psd1') -Force -Global
}

<#
.SYNOPSIS
    Returns a Pester -Skip value for a capability and says why.
.DESCRIPTION
    Test-VirtCapability root returns $false (run the test) when we are root. Otherwise it returns
    $true (skip) and writes the reason, unless VIRTTOOLS_REQUIRE names the capability (CI sets
    root,kvm): then it throws, so the file fails instead of skipping.
#>
function Test-VirtCapabilityMissing {
    param([Parameter(Mandatory)] [ValidateSet('root', 'kvm')] [string] $Capability)
    $available = switch ($Capability) {
        'root' { (id -u) -eq '0' }
        'kvm' {
            try { [System.IO.File]::Open('/dev/kvm', 'Open', 'ReadWrite').Dispose(); $true } catch { $false }
        }
    }
    if ($available) { return $false }
    $requiredList = ($env:VIRTTOOLS_REQUIRE ?? '') -split ',' | ForEach-Object Trim
    if ($Capability -in $requiredList) {
        throw "VIRTTOOLS_REQUIRE includes '$Capability' but this host lacks it"
    }
    Write-Warning "Skipping: needs $Capability (set VIRTTOOLS_REQUIRE=$Capability to make this a failure)"
    return $true
}

<#
.SYNOPSIS
    Runs a script block in a new pwsh process (same pwsh as ours) and returns its output lines.
.DESCRIPTION
    For what must start from a clean process: assembly loading order, environment read at start-up.
    $LASTEXITCODE is left as the child's exit code.
#>
function Invoke-FreshPwsh {
    param([Parameter(Mandatory)] [string] $Script, [hashtable] $Environment = @{})
    $exe = [Environment]::ProcessPath
    $prefix = @(if ((Split-Path -Leaf $exe) -like 'dotnet*') { Join-Path $PSHOME 'pwsh.dll' })
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $Environment[$name])
    }
    try {
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
        & $exe @prefix -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1 | ForEach-Object { "$_" }
    }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

<# The folder of a package in the NuGet cache (restored by TestDependencies.restore.csproj). #>
function Get-NuGetPackagePath {
    param([Parameter(Mandatory)] [string] $Id, [Parameter(Mandatory)] [string] $Version)
    $cache = $env:NUGET_PACKAGES
    if (-not $cache) { $cache = ((dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim() }
    $path = Join-Path $cache "$($Id.ToLowerInvariant())/$Version"
    if (-not (Test-Path $path)) { throw "NuGet package $Id $Version is not in ${cache}: run ./build.ps1 Test, which restores it" }
    $path
}

<# A property of Directory.Packages.props (pinned versions live there). #>
function Get-PinnedVersion {
    param([Parameter(Mandatory)] [string] $Name)
    [xml] $props = Get-Content -Raw (Join-Path $script:RepoRoot 'Directory.Packages.props')
    $props.Project.PropertyGroup.$Name
}

Export-ModuleMember -Function Get-RepoRoot, Import-VirtTools, Test-VirtCapabilityMissing, Invoke-FreshPwsh, Get-NuGetPackagePath, Get-PinnedVersion
