# As a non-root user the host report says what it could see and what it could not check.
# Runs pwsh as nobody (setpriv), on copies of pwsh and of the module in a world-readable temp dir.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-VirtTools
    $script:scratch = Join-Path ([IO.Path]::GetTempPath()) "virttools-nonroot-$([guid]::NewGuid())"
}

AfterAll {
    if (Test-Path $scratch) { Remove-Item -Recurse -Force $scratch }
}

Describe 'Get-VirtHost and Test-VirtHost as non-root' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeAll {
        $root = Get-RepoRoot
        New-Item -ItemType Directory -Path "$scratch/module", "$scratch/home" | Out-Null
        Copy-Item -Recurse $PSHOME "$scratch/pwsh"
        Copy-Item (Join-Path $root 'VirtTools.psd1') "$scratch/module/"
        Copy-Item -Recurse (Join-Path $root 'module') "$scratch/module/"
        Copy-Item -Recurse (Join-Path $root 'en-US') "$scratch/module/"
        chmod -R a+rX $scratch
        chown nobody "$scratch/home"
        $script_ = @'
Import-Module ./module/VirtTools.psd1
$h = Get-VirtHost
$t = Test-VirtHost
[pscustomobject]@{
    IsRoot = $h.IsRoot; KvmPresent = $h.Kvm.Present; KvmUsable = $h.Kvm.Usable; KvmError = $h.Kvm.OpenError
    Unchecked = @($h.Unchecked); Layout = "$($h.Cgroups.Layout)"; Kinds = @($h.Namespaces.Kinds)
    Rows = @($t | ForEach-Object { [pscustomobject]@{ Check = $_.Check; Status = "$($_.Status)"; Hint = $_.Hint } })
} | ConvertTo-Json -Depth 4
'@
        Set-Content "$scratch/probe.ps1" $script_
        chmod a+r "$scratch/probe.ps1"
        Push-Location $scratch
        try {
            $json = setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin HOME="$scratch/home" `
                DOTNET_CLI_TELEMETRY_OPTOUT=1 XDG_STATE_HOME="$scratch/home/state" `
                dotnet "$scratch/pwsh/pwsh.dll" -NoProfile -NonInteractive -File "$scratch/probe.ps1" 2>&1
            $script:exit = $LASTEXITCODE
        }
        finally { Pop-Location }
        $script:text = $json -join "`n"
        $script:report = if ($exit -eq 0) { $text | ConvertFrom-Json }
    }

    It 'runs without error' {
        $exit | Should -Be 0 -Because $text
        $report.IsRoot | Should -BeFalse
    }

    It 'sees the same cgroup layout and namespaces as root' {
        $asRoot = Get-VirtHost
        $report.Layout | Should -Be "$($asRoot.Cgroups.Layout)"
        $report.Kinds | Should -Be @($asRoot.Namespaces.Kinds)
    }

    It 'says why /dev/kvm cannot be used and lists it as not checked' -Skip:(-not (Test-Path /dev/kvm)) {
        # /dev/kvm here is root-only (crw-------); a kvm-group host would let nobody in only with that group.
        $mode = (stat -c '%a' /dev/kvm)
        if ($mode -notmatch '6$') {
            $report.KvmPresent | Should -BeTrue
            $report.KvmUsable | Should -BeFalse
            $report.KvmError | Should -Match 'Permission denied'
            $report.Unchecked -join ';' | Should -Match '/dev/kvm'
            ($report.Rows | Where-Object Check -eq '/dev/kvm openable').Status | Should -Be 'Fail'
            ($report.Rows | Where-Object Check -eq '/dev/kvm openable').Hint | Should -Match 'kvm group'
        }
    }

    It 'fails the root check and the cgroup controllers with hints' {
        ($report.Rows | Where-Object Check -eq 'Running as root').Status | Should -Be 'Fail'
        $controllers = @($report.Rows | Where-Object Check -like 'Controller *')
        $controllers.Count | Should -BeGreaterThan 0
        foreach ($row in $controllers) {
            $row.Status | Should -Be 'Fail'
            $row.Hint | Should -Match 'root|Delegate'
        }
    }
}
