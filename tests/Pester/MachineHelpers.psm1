<#
    Fixtures for the machine cmdlet suites: the test guests of tests/guests assembled with nasm.
        Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
        $guest = Get-TestGuest -Name long -Destination $TestDrive
#>

$script:GuestSource = (Resolve-Path (Join-Path $PSScriptRoot '../guests')).Path

<#
.SYNOPSIS
    Assembles tests/guests/<Name>.asm into <Destination>/<Name>.bin and returns the path.
#>
function Get-TestGuest {
    param(
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [string] $Destination
    )
    $target = Join-Path $Destination "$Name.bin"
    $output = & nasm -f bin -I "$script:GuestSource/" -o $target (Join-Path $script:GuestSource "$Name.asm") 2>&1
    if ($LASTEXITCODE -ne 0) { throw "nasm failed on $Name.asm: $output" }
    $target
}

<#
.SYNOPSIS
    Removes every machine the machine suites create (for AfterEach/AfterAll blocks): their names
    start with pester-. Get-VirtMachine lists the whole host, and a test run must not remove the
    machines of anyone else on it.
#>
function Remove-AllTestMachines {
    Get-VirtMachine | Where-Object Name -like 'pester-*' | Remove-VirtMachine -Force -Confirm:$false
    # The run's own VMM root (TestHelpers.psm1), once nothing is left in it.
    $root = $env:VIRTTOOLS_RUN_DIR
    if ($root -like '/run/virttools-pester-*' -and -not (Get-ChildItem "$root/machines" -ErrorAction Ignore)) {
        Remove-Item -Recurse -Force $root -ErrorAction Ignore
    }
}

<#
.SYNOPSIS
    Runs a script in a new pwsh process with the module imported (another session on the host) and
    returns its output lines; throws when it fails.
#>
function Invoke-OtherSession {
    param([Parameter(Mandatory)] [string] $Script)
    $exe = [Environment]::ProcessPath
    $prefix = @(if ((Split-Path -Leaf $exe) -like 'dotnet*') { Join-Path $PSHOME 'pwsh.dll' })
    $manifest = Join-Path (Resolve-Path "$PSScriptRoot/../..").Path 'VirtTools.psd1'
    $full = "`$ErrorActionPreference = 'Stop'; Import-Module '$manifest'; $Script"
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($full))
    $output = & $exe @prefix -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1 | ForEach-Object { "$_" }
    if ($LASTEXITCODE -ne 0) { throw "the other pwsh failed ($LASTEXITCODE): $output" }
    $output
}

<#
.SYNOPSIS
    A machine's VMM state directory: <root>/machines/<Name>, the root being $env:VIRTTOOLS_RUN_DIR
    (set per test run by TestHelpers.psm1) or /run/virttools.
#>
function Get-VmmDirectory {
    param([Parameter(Mandatory)] [string] $Name)
    $root = if ($env:VIRTTOOLS_RUN_DIR) { $env:VIRTTOOLS_RUN_DIR } else { '/run/virttools' }
    Join-Path $root "machines/$Name"
}

<#
.SYNOPSIS
    The pid a machine's VMM process recorded in its state.json.
#>
function Get-VmmPid {
    param([Parameter(Mandatory)] [string] $Name)
    (Get-Content -Raw (Join-Path (Get-VmmDirectory $Name) 'state.json') | ConvertFrom-Json).pid
}

Export-ModuleMember -Function Get-TestGuest, Remove-AllTestMachines, Invoke-OtherSession, Get-VmmPid, Get-VmmDirectory
