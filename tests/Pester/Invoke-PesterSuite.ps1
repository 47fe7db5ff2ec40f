<#
.SYNOPSIS
    Runs the Pester suites in this pwsh and writes the counts as JSON for build.ps1 to sum.
.DESCRIPTION
    Failed containers (a file that could not even run) and failed blocks (a BeforeAll that threw)
    count as failures too: a suite that cannot start must not read as green.
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $Path,
    [Parameter(Mandatory)] [string] $ResultPath,
    # Which *.Tests.ps1 files to run; build.ps1 passes it in VIRTTOOLS_PESTER_FILTER.
    [string] $Filter = ($env:VIRTTOOLS_PESTER_FILTER ?? '*')
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force

$config = New-PesterConfiguration
$config.Run.Path = @(Get-ChildItem $Path -Recurse -Filter "$Filter.Tests.ps1" | ForEach-Object FullName)
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config

$summary = [ordered] @{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount + $result.NotRunCount
}
$summary | ConvertTo-Json | Set-Content -Path $ResultPath
exit ([int]($summary.Failed -gt 0))
