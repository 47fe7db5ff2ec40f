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
    Removes every machine of this session (for AfterEach/AfterAll blocks).
#>
function Remove-AllTestMachines {
    Get-VirtMachine | Remove-VirtMachine -Force -Confirm:$false
}

Export-ModuleMember -Function Get-TestGuest, Remove-AllTestMachines
