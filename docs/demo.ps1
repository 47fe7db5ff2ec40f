# The guided tour behind `./build.ps1 Demo`: each step of the virtualization chapter as a command.
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../VirtTools.psd1')

Write-Host "`n== What can this host do? (Get-VirtHost)" -ForegroundColor Cyan
$hostInfo = Get-VirtHost
$hostInfo | Format-Table | Out-Host
Write-Host "KVM: $($hostInfo.Kvm.Kind) via $($hostInfo.Kvm.KernelModule), API $($hostInfo.Kvm.ApiVersion), vCPU mapping $($hostInfo.Kvm.VcpuMmapSize) bytes"
Write-Host "cgroups: $($hostInfo.Cgroups.Layout)"
$hostInfo.Cgroups.Hierarchies | Format-Table | Out-Host
Write-Host "Namespaces: $($hostInfo.Namespaces.Kinds -join ', ')"

Write-Host "`n== Why would something not work here? (Test-VirtHost)" -ForegroundColor Cyan
Test-VirtHost | Format-Table | Out-Host
