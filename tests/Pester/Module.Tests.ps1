# Module-wide checks: the manifest is explicit, and every exported cmdlet has real help.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-VirtTools
    $script:cmdlets = @(Get-Command -Module VirtTools -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-VirtTools
    $script:manifestPath = Join-Path (Get-RepoRoot) 'VirtTools.psd1'
    $script:manifest = Import-PowerShellDataFile $manifestPath
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
}

Describe 'The module manifest' {
    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest $manifestPath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'targets PowerShell 7.6 Core' {
        $manifest.PowerShellVersion | Should -Be '7.6'
        $manifest.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'exports exactly the cmdlets it lists, and no functions, aliases or variables' {
        $exported = Get-Command -Module VirtTools | ForEach-Object Name | Sort-Object
        $exported | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        $manifest.FunctionsToExport | Should -BeNullOrEmpty
        $manifest.AliasesToExport | Should -BeNullOrEmpty
        $manifest.VariablesToExport | Should -BeNullOrEmpty
        $manifest.ContainsKey('FunctionsToExport') | Should -BeTrue
        $manifest.ContainsKey('AliasesToExport') | Should -BeTrue
        $manifest.ContainsKey('VariablesToExport') | Should -BeTrue
    }

    It 'lists format files that exist' {
        $manifest.FormatsToProcess | Should -Not -BeNullOrEmpty
        foreach ($file in $manifest.FormatsToProcess) { Join-Path (Get-RepoRoot) $file | Should -Exist }
    }

    It 'loads the core into the module''s own AssemblyLoadContext' {
        # The core loads when a cmdlet first needs it (importing alone need not load it).
        Get-VirtMachine -Name 'no-such-machine-*' | Out-Null
        $core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'VirtTools.Core' }
        @($core).Count | Should -Be 1
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($core).Name | Should -Be 'VirtTools'
    }
}

Describe 'Help for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:help = Get-Help $Name -Full
        $script:command = Get-Command $Name
    }

    It 'has a synopsis that is not just the syntax' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^$([regex]::Escape($Name))\s*\["
    }

    It 'has a description' {
        ($help.Description.Text -join ' ') | Should -Match '\w{4,}.*\w{4,}'
    }

    It 'has at least one example with code and an explanation' {
        $examples = @($help.Examples.Example)
        $examples.Count | Should -BeGreaterThan 0
        foreach ($example in $examples) {
            $example.Code | Should -Match $Name.Split('-')[1]
            ($example.Remarks.Text -join ' ') | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes every parameter' {
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $parameterHelp = $help.Parameters.Parameter | Where-Object Name -eq $parameter
            ($parameterHelp.Description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }
}
