<#
    The shared set-up of the container suites, dot-sourced by each one's BeforeAll:
        . "$PSScriptRoot/ContainerSuite.ps1" -Tag stop
    Loads the helpers and the module, and sets in the suite's script scope:
        $skip      why root-only tests skip here (Test-VirtCapabilityMissing root), or $null
        $rootfs    a test rootfs built for this suite (pester-<Tag>-<pid>), when not skipping
        $pwsh, $pwshArgs, $manifest   how to start a second pwsh that imports this module
    AfterAll calls Remove-ContainerSuite -RootFs $rootfs.
#>
param([Parameter(Mandatory)] [string] $Tag)

Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
Import-Module "$PSScriptRoot/ContainerTestHelpers.psm1" -Force
Import-VirtTools
$script:skip = Test-VirtCapabilityMissing root
if (-not $script:skip) {
    $script:rootfs = New-TestRootFs -Path (Join-Path ([IO.Path]::GetTempPath()) "pester-$Tag-$PID")
}
# A second pwsh, as another user session would be.
$script:pwsh = [Environment]::ProcessPath
$script:pwshArgs = @(if ((Split-Path -Leaf $script:pwsh) -like 'dotnet*') { Join-Path $PSHOME 'pwsh.dll' })
$script:manifest = Join-Path (Get-RepoRoot) 'VirtTools.psd1'
