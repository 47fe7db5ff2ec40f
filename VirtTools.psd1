@{
    RootModule           = 'module/bin/VirtTools.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5d0f8f63-3a4e-4c1e-9b1f-7f4a3c2b9e11'
    Author               = 'VirtTools'
    CompanyName          = 'VirtTools'
    Copyright            = '(c) VirtTools. MIT licence.'
    Description          = 'Virtualization from PowerShell: host capabilities, cgroup limits, containers, and machines on KVM or a software x86 emulator.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @(
        'module/Formats/Host.Format.ps1xml'
        'module/Formats/Cgroups.Format.ps1xml'
        'module/Formats/Machines.Format.ps1xml'
        'module/Formats/Containers.Format.ps1xml'
        'module/Formats/Emulator.Format.ps1xml'
        'module/Formats/Dashboard.Format.ps1xml'
    )
    CmdletsToExport      = @(
        'Get-VirtHost'
        'Test-VirtHost'
        'New-VirtCgroup'
        'Get-VirtCgroup'
        'Set-VirtCgroup'
        'Remove-VirtCgroup'
        'Add-VirtCgroupProcess'
        'Measure-VirtCgroup'
        'Show-VirtDashboard'
        'New-VirtMachine'
        'Start-VirtMachine'
        'Stop-VirtMachine'
        'Suspend-VirtMachine'
        'Resume-VirtMachine'
        'Get-VirtMachine'
        'Remove-VirtMachine'
        'Enter-VirtMachine'
        'Invoke-VirtMachine'
        'Get-VirtMachineRegister'
        'Step-VirtMachine'
        'Get-VirtDisassembly'
        'Set-VirtMachineBreakpoint'
        'Get-VirtMachineBreakpoint'
        'Remove-VirtMachineBreakpoint'
        'New-VirtInitramfs'
        'New-VirtRootFs'
        'New-VirtContainer'
        'Start-VirtContainer'
        'Get-VirtContainer'
        'Stop-VirtContainer'
        'Remove-VirtContainer'
        'Wait-VirtContainer'
        'Enter-VirtContainer'
        'Invoke-VirtContainer'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('virtualization', 'kvm', 'cgroups', 'containers', 'emulator', 'Linux')
            ProjectUri = ''
        }
    }
}
