# The log: Serilog writes compact JSON to a rolling file in the documented place.
BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    $script:manifest = Join-Path (Get-RepoRoot) 'VirtTools.psd1'
    $script:logDir = Join-Path ([IO.Path]::GetTempPath()) "virttools-log-$([guid]::NewGuid())"
}

AfterAll {
    if (Test-Path $logDir) { Remove-Item -Recurse -Force $logDir }
}

Describe 'Logging' {
    It 'writes compact JSON events to a daily file under VIRTTOOLS_LOG_DIR' {
        $output = Invoke-FreshPwsh -Environment @{ VIRTTOOLS_LOG_DIR = $logDir } -Script "Import-Module '$manifest'; `$null = Get-VirtHost; Remove-Module VirtTools; 'ok'"
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $file = Get-ChildItem $logDir -Filter 'virttools-*.clef'
        @($file).Count | Should -Be 1
        $file.Name | Should -Match '^virttools-\d{8}\.clef$'
        $events = Get-Content $file.FullName | ForEach-Object { $_ | ConvertFrom-Json }
        $done = $events | Where-Object { $_.'@mt' -like 'Host probe done*' }
        $done | Should -Not -BeNullOrEmpty
        $done[0].'@t' | Should -Not -BeNullOrEmpty
        $done[0].Component | Should -Be 'HostProbe'
        $done[0].ProcessId | Should -BeGreaterThan 0
    }

    It 'defaults to /var/log/virttools for root and XDG_STATE_HOME otherwise' {
        $output = Invoke-FreshPwsh -Environment @{ VIRTTOOLS_LOG_DIR = $null; XDG_STATE_HOME = '/tmp/virttools-xdg' } -Script @"
Import-Module '$manifest'
`$null = Get-VirtHost
`$alc = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'VirtTools'
`$core = `$alc.Assemblies | Where-Object { `$_.GetName().Name -eq 'VirtTools.Core' }
`$core.GetType('VirtTools.Diagnostics.VirtLog')::LogDirectory
"@
        $expected = if ((id -u) -eq '0') { '/var/log/virttools' } else { '/tmp/virttools-xdg/virttools/logs' }
        $output | Select-Object -Last 1 | Should -Be $expected
    }
}
