#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, demonstrates and benchmarks VirtTools.
.DESCRIPTION
    Build  compiles the solution, lays the module out under module/bin (cmdlets there, their isolated
           dependencies in module/bin/deps) and generates MAML help from the XML doc comments.
    Test   builds, runs the xunit tests and the Pester suites, and ends with "N passed, N failed".
    Demo   builds and shows the module at work on this host.
    Shell  builds and opens an interactive pwsh with the module imported.
    Bench  builds and runs every benchmark in tests/Bench, side by side with the reference tools.
    Clean  removes build output.
    Set VIRTTOOLS_REQUIRE=root,kvm to turn a skip for a missing capability into a failure (CI does).
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Shell', 'Bench', 'Clean')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Only run the Pester files whose names match (Test task).
    [string] $PesterFilter = '*',
    # Skip the xunit run (Test task), for quick Pester iterations.
    [switch] $SkipUnitTests
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$artifacts = Join-Path $root 'artifacts'
$moduleBin = Join-Path $root 'module/bin'
# The pwsh that runs this script, started the same way (the local dotnet tool runs as dotnet pwsh.dll).
$pwsh = [Environment]::ProcessPath
$pwshArgs = @(if ((Split-Path -Leaf $pwsh) -like 'dotnet*') { Join-Path $PSHOME 'pwsh.dll' })

function Exec([scriptblock] $block, [string] $what) {
    & $block
    if ($LASTEXITCODE -ne 0) { throw "$what failed with exit code $LASTEXITCODE" }
}

# Runs a script in a fresh pwsh, so the module is never loaded into the build's own process
# (a loaded assembly cannot be rebuilt) and each run starts clean.
# Its output goes to the host, so the return value is the exit code alone.
function Invoke-FreshPwsh([string[]] $arguments) {
    # Out-Host: the child's output is shown, not returned, so the caller gets the exit code alone.
    & $pwsh @pwshArgs -NoProfile -NonInteractive @arguments | Out-Host
    return $LASTEXITCODE
}

function Get-PesterManifest {
    Exec { dotnet restore (Join-Path $root 'tests/Pester/TestDependencies.restore.csproj') --nologo -v quiet } 'test dependency restore'
    [xml] $props = Get-Content -Raw (Join-Path $root 'Directory.Packages.props')
    $version = $props.Project.PropertyGroup.PesterVersion
    $cache = (dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $manifest = Join-Path $cache.Trim() "pester/$version/tools/Pester.psd1"
    if (-not (Test-Path $manifest)) { throw "Pester $version was restored but $manifest is missing" }
    return $manifest
}

function Invoke-Build {
    $publish = Join-Path $artifacts 'publish'
    if (Test-Path $publish) { Remove-Item -Recurse -Force $publish }
    Exec { dotnet build (Join-Path $root 'VirtTools.sln') -c $Configuration --nologo -v quiet } 'dotnet build'
    # Published for this platform, so runtime-specific assemblies (Tmds.LibC) land flat in the folder.
    Exec { dotnet publish (Join-Path $root 'src/VirtTools.PowerShell/VirtTools.PowerShell.csproj') -c $Configuration -r linux-x64 --self-contained false -o $publish --nologo -v quiet } 'dotnet publish'
    # The per-machine VMM host, started by the cmdlets from module/bin/deps: framework-dependent here
    # (dotnet VirtTools.Vmm.dll, no apphost), the fallback; the native one is published below.
    Exec { dotnet publish (Join-Path $root 'src/VirtTools.Vmm/VirtTools.Vmm.csproj') -c $Configuration -r linux-x64 --self-contained false -p:PublishAot=false -p:UseAppHost=false -o $publish --nologo -v quiet } 'dotnet publish VMM'

    # The cmdlet assembly sits in module/bin; everything else goes to module/bin/deps, where only
    # the module's own AssemblyLoadContext looks (see VirtToolsLoadContext).
    if (Test-Path $moduleBin) { Remove-Item -Recurse -Force $moduleBin }
    $deps = Join-Path $moduleBin 'deps'
    New-Item -ItemType Directory -Force -Path $deps | Out-Null
    foreach ($file in Get-ChildItem $publish -File) {
        $target = if ($file.Name -like 'VirtTools.PowerShell.*') { $moduleBin } else { $deps }
        Copy-Item $file.FullName $target
    }

    # The VMM compiled ahead of time (NativeAOT, which links with the system's C toolchain): the
    # launcher prefers it to the .dll. Why: see src/VirtTools.Vmm/VirtTools.Vmm.csproj.
    if (Get-Command cc -ErrorAction Ignore) {
        $native = Join-Path $artifacts 'vmm-native'
        Exec { dotnet publish (Join-Path $root 'src/VirtTools.Vmm/VirtTools.Vmm.csproj') -c $Configuration -r linux-x64 -o $native --nologo -v quiet } 'dotnet publish VMM (NativeAOT)'
        Copy-Item (Join-Path $native 'VirtTools.Vmm') $deps
    }
    else {
        Write-Warning 'No C compiler (cc): machines run in the framework-dependent VMM (dotnet VirtTools.Vmm.dll), which starts about a second slower. Install one (apt-get install gcc libc6-dev) and build again.'
    }

    # The container helper: the in-child set-up (namespaces, mounts, pivot_root, seccomp) in C, built
    # with the system compiler and shipped beside VirtTools.Core, which looks for it there. Static:
    # no dynamic loading at each start, and half the resident size while it waits as a monitor.
    $helperSources = Get-ChildItem (Join-Path $root 'src/VirtTools.ContainerHelper') -Filter *.c | ForEach-Object FullName
    # A machine with only the .NET SDK has no C compiler: everything else still builds and works, and
    # the container cmdlets say ContainerHelperMissing with the fix.
    if (Get-Command cc -ErrorAction Ignore) {
        Exec { cc -static -O2 -Wall -Wextra -Wno-format-truncation -Werror -o (Join-Path $deps 'virttools-container') @helperSources } 'cc virttools-container'
    }
    else {
        Write-Warning 'No C compiler (cc): the container helper is not built, so containers are unavailable. Install one (apt-get install gcc libc6-dev) and build again.'
    }

    # PowerShell looks for a binary module's help in <ModuleBase>/<culture>: the manifest sits at the
    # repository root, so the generated (git-ignored) help goes to en-US/ beside it.
    $helpScript = Join-Path $root 'src/Build/New-MamlHelp.ps1'
    $code = Invoke-FreshPwsh @('-File', $helpScript,
        '-ManifestPath', (Join-Path $root 'VirtTools.psd1'),
        '-DocumentationPath', (Join-Path $moduleBin 'VirtTools.PowerShell.xml'),
        '-OutputPath', (Join-Path $root 'en-US/VirtTools.PowerShell.dll-Help.xml'))
    if ($code -ne 0) { throw 'help generation failed' }
}

function Read-TrxCounts([string] $directory) {
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($trx in Get-ChildItem $directory -Filter *.trx -ErrorAction SilentlyContinue) {
        [xml] $x = Get-Content -Raw $trx.FullName
        $c = $x.TestRun.ResultSummary.Counters
        $passed += [int] $c.passed
        $failed += [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted
        $skipped += [int] $c.notExecuted
    }
    [pscustomobject] @{ Passed = $passed; Failed = $failed; Skipped = $skipped }
}

function Invoke-Test {
    Invoke-Build
    $results = Join-Path $artifacts 'test-results'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    New-Item -ItemType Directory -Force -Path $results | Out-Null

    $unit = [pscustomobject] @{ Passed = 0; Failed = 0; Skipped = 0 }
    if (-not $SkipUnitTests) {
        foreach ($project in Get-ChildItem (Join-Path $root 'tests') -Recurse -Filter '*.Tests.csproj') {
            dotnet test $project.FullName -c $Configuration --no-build --nologo `
                --logger "trx;LogFileName=$($project.BaseName).trx" --logger 'console;verbosity=normal' `
                --results-directory $results
            if ($LASTEXITCODE -ne 0) { Write-Warning "$($project.BaseName): dotnet test exited with $LASTEXITCODE" }
        }
        $unit = Read-TrxCounts $results
        $testHosts = @(Get-ChildItem (Join-Path $root 'tests') -Recurse -Filter '*.Tests.csproj').Count
        if ($unit.Passed + $unit.Failed -eq 0 -and $testHosts -gt 0) {
            $unit.Failed = $testHosts   # a test host that crashed before writing results is a failure
        }
    }

    $pesterJson = Join-Path $results 'pester.json'
    # The filter travels in the environment: pwsh on Unix would expand a '*' argument as a file glob.
    $env:VIRTTOOLS_PESTER_FILTER = $PesterFilter
    $code = Invoke-FreshPwsh @('-File', (Join-Path $root 'tests/Pester/Invoke-PesterSuite.ps1'),
        '-PesterManifest', (Get-PesterManifest), '-Path', (Join-Path $root 'tests/Pester'), '-ResultPath', $pesterJson)
    $pester = if (Test-Path $pesterJson) { Get-Content -Raw $pesterJson | ConvertFrom-Json }
              else { [pscustomobject] @{ Passed = 0; Failed = 1; Skipped = 0 } }
    if ($code -ne 0 -and $pester.Failed -eq 0) { $pester.Failed = 1 }

    $passed = $unit.Passed + $pester.Passed
    $failed = $unit.Failed + $pester.Failed
    $skipped = $unit.Skipped + $pester.Skipped
    Write-Host "xunit: $($unit.Passed) passed, $($unit.Failed) failed, $($unit.Skipped) skipped; Pester: $($pester.Passed) passed, $($pester.Failed) failed, $($pester.Skipped) skipped"
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $code = Invoke-FreshPwsh @('-File', (Join-Path $root 'docs/demo.ps1'))
    if ($code -ne 0) { exit $code }
}

function Invoke-Bench {
    Invoke-Build
    $failed = 0
    $benches = @(Get-ChildItem (Join-Path $root 'tests/Bench') -Filter '*.Bench.ps1' -ErrorAction Ignore | Sort-Object Name)
    if (-not $benches) { Write-Warning 'No benchmarks in tests/Bench.' }
    foreach ($bench in $benches) {
        Write-Host "== $($bench.BaseName)"
        $code = Invoke-FreshPwsh @('-File', $bench.FullName)
        if ($code -ne 0) { $failed++ }
    }
    if ($failed) { exit 1 }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Shell' {
        Invoke-Build
        & $pwsh @pwshArgs -NoLogo -NoExit -Command "Import-Module '$(Join-Path $root 'VirtTools.psd1')'; Get-Command -Module VirtTools"
    }
    'Bench' { Invoke-Bench }
    'Clean' {
        foreach ($path in $artifacts, $moduleBin, (Join-Path $root 'en-US')) { if (Test-Path $path) { Remove-Item -Recurse -Force $path } }
        Exec { dotnet clean (Join-Path $root 'VirtTools.sln') --nologo -v quiet } 'dotnet clean'
    }
}
