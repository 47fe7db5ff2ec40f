# The module keeps its dependencies in its own AssemblyLoadContext: another module's older copy of
# the same assembly, loaded first (or after), must neither break us nor be replaced by ours.
BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    $script:oldVersion = Get-PinnedVersion ConflictingSerilogVersion
    $script:oldSerilog = Join-Path (Get-NuGetPackagePath Serilog $oldVersion) 'lib/netstandard2.0/Serilog.dll'
    $script:oldLoggingVersion = Get-PinnedVersion ConflictingLoggingAbstractionsVersion
    $script:oldLogging = Join-Path (Get-NuGetPackagePath Microsoft.Extensions.Logging.Abstractions $oldLoggingVersion) 'lib/net6.0/Microsoft.Extensions.Logging.Abstractions.dll'
    $script:manifest = Join-Path (Get-RepoRoot) 'VirtTools.psd1'
    $script:logDir = Join-Path ([IO.Path]::GetTempPath()) "virttools-alc-$([guid]::NewGuid())"
}

AfterAll {
    if (Test-Path $logDir) { Remove-Item -Recurse -Force $logDir }
}

Describe 'Dependency isolation' {
    It 'works when an older Serilog was loaded first' {
        $output = Invoke-FreshPwsh -Environment @{ VIRTTOOLS_LOG_DIR = $logDir } -Script @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$oldSerilog'
`$theirs = [Serilog.Log].Assembly
[Serilog.Log]::Logger = (New-Object Serilog.LoggerConfiguration).CreateLogger()
Import-Module '$manifest'
`$probe = Get-VirtHost -Verbose 4>&1
`$ours = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Serilog' -and `$_ -ne `$theirs }
"theirs=`$(`$theirs.GetName().Version.Major) in `$([System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$theirs).Name)"
"ours=`$(`$ours.GetName().Version) in `$([System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$ours).Name)"
"host=`$((`$probe | Where-Object { `$_.GetType().FullName -eq 'VirtTools.Host.HostInfo' }).HostName)"
"verbose=`$((`$probe | Where-Object { `$_ -is [System.Management.Automation.VerboseRecord] }).Count)"
# Their logger still works after ours has run.
[Serilog.Log]::Information('still fine')
'done'
"@
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        # Serilog keeps its assembly version at major.0.0.0.
        $output | Should -Contain "theirs=$($oldVersion.Split('.')[0]) in Default"
        ($output | Where-Object { $_ -like 'ours=*' }) | Should -Match '^ours=4\.\d+\.\d+\.\d+ in VirtTools$'
        ($output | Where-Object { $_ -like 'host=*' }) | Should -Be "host=$([Environment]::MachineName)"
        ($output | Where-Object { $_ -like 'verbose=*' }) | Should -Not -Be 'verbose=0'
        $output | Should -Contain 'done'
    }

    It 'leaves an older Serilog loadable after the module' {
        $output = Invoke-FreshPwsh -Environment @{ VIRTTOOLS_LOG_DIR = $logDir } -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module '$manifest'
`$null = Get-VirtHost
Add-Type -Path '$oldSerilog'
"theirs=`$([Serilog.Log].Assembly.GetName().Version.Major)"
"@
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Contain "theirs=$($oldVersion.Split('.')[0])"
    }

    It 'draws the dashboard with Terminal.Gui when an older Microsoft.Extensions.Logging.Abstractions was loaded first' {
        $output = Invoke-FreshPwsh -Environment @{ VIRTTOOLS_LOG_DIR = $logDir } -Script @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$oldLogging'
`$theirs = [Microsoft.Extensions.Logging.Abstractions.NullLogger].Assembly
Import-Module '$manifest'
`$text = Show-VirtDashboard -Once -AsText -Interval 0.1
`$alc = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'VirtTools'
function Where-Loaded([string] `$name) { [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq `$name } }
function Describe-Assembly(`$a) { "`$(`$a.GetName().Version) in `$([System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$a).Name)" }
"theirs=`$(Describe-Assembly `$theirs)"
"ours=`$((Where-Loaded Microsoft.Extensions.Logging.Abstractions | Where-Object { `$_ -ne `$theirs } | ForEach-Object { Describe-Assembly `$_ }) -join ',')"
"gui=`$((Where-Loaded Terminal.Gui | ForEach-Object { Describe-Assembly `$_ }) -join ',')"
"drawn=`$(`$text -match 'VirtTools dashboard .q or Esc to quit')"
# Their copy still works after ours has run.
"theirsWorks=`$([Microsoft.Extensions.Logging.Abstractions.NullLogger]::Instance.IsEnabled('Information') -eq `$false)"
'done'
"@
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Contain "theirs=$oldLoggingVersion.0 in Default"
        ($output | Where-Object { $_ -like 'ours=*' }) | Should -Match '^ours=10\.\d+\.\d+\.\d+ in VirtTools$'
        ($output | Where-Object { $_ -like 'gui=*' }) | Should -Match '^gui=2\.\d+\.\d+\.\d+ in VirtTools$'
        $output | Should -Contain 'drawn=True'
        $output | Should -Contain 'theirsWorks=True'
        $output | Should -Contain 'done'
    }

    It 'ships nothing but the cmdlet assembly outside deps/' {
        $bin = Join-Path (Get-RepoRoot) 'module/bin'
        Get-ChildItem $bin -File -Filter *.dll | ForEach-Object Name | Should -Be @('VirtTools.PowerShell.dll')
        Join-Path $bin 'deps/Serilog.dll' | Should -Exist
        Join-Path $bin 'deps/VirtTools.Core.dll' | Should -Exist
        Join-Path $bin 'deps/VirtTools.Dashboard.dll' | Should -Exist
        Join-Path $bin 'deps/Terminal.Gui.dll' | Should -Exist
        Join-Path $bin 'deps/Microsoft.Extensions.Logging.Abstractions.dll' | Should -Exist
    }
}
