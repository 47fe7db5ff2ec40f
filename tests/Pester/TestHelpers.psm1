<#
    Shared fixtures for the Pester suites. Import it in BeforeAll:
        Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
#>

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

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

Export-ModuleMember -Function Get-RepoRoot, Import-VirtTools, Test-VirtCapabilityMissing
