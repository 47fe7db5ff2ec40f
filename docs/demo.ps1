# The guided tour behind `./build.ps1 Demo`: each method of the virtualization chapter as a command.
# Sections that need root, /dev/kvm or nasm say so and are passed over where those are missing.
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../VirtTools.psd1')
$isRoot = (id -u) -eq '0'
$scratch = Join-Path ([IO.Path]::GetTempPath()) "virttools-demo-$PID"
$group = "demo-$PID"
New-Item -ItemType Directory -Path $scratch | Out-Null

function Step([string] $title) { Write-Host "`n== $title" -ForegroundColor Cyan }
function Skip([string] $why) { Write-Host "   (passed over: $why)" -ForegroundColor DarkGray }

try {
    Step 'What can this host do? (Get-VirtHost, Test-VirtHost)'
    $hostInfo = Get-VirtHost
    $hostInfo | Format-Table | Out-Host
    Write-Host "KVM: $($hostInfo.Kvm.Kind) via $($hostInfo.Kvm.KernelModule), API $($hostInfo.Kvm.ApiVersion); cgroups: $($hostInfo.Cgroups.Layout); namespaces: $($hostInfo.Namespaces.Kinds -join ', ')"
    Test-VirtHost | Where-Object Status -ne Pass | Format-Table | Out-Host

    Step 'cgroups: limit a group of processes, and see the limit bite (New-VirtCgroup, Get-VirtCgroup)'
    if ($isRoot) {
        New-VirtCgroup -Name $group -Memory 32MB -Pids 16 | Out-Host
        $start = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
        foreach ($argument in '-c', 'sleep 0.3; head -c 100000000 /dev/zero | tail') { $start.ArgumentList.Add($argument) }
        $hog = [Diagnostics.Process]::Start($start)
        Add-VirtCgroupProcess -Name $group -Id $hog.Id
        $hog.WaitForExit()
        Get-VirtCgroup -Name $group | Out-Host   # the OomKills column counts the kill
    }
    else { Skip 'needs root' }

    Step 'chroot, namespaces, containers (New-VirtRootFs, Invoke-VirtContainer)'
    if ($isRoot) {
        $rootfs = Join-Path $scratch 'rootfs'
        New-VirtRootFs -Path $rootfs -Command sh, cat, hostname, head, tail, sleep, ls -Force | Out-Null
        $inside = Invoke-VirtContainer -RootFs $rootfs -Hostname inside -Command sh, -c, 'echo pid=$$; hostname; ls /proc | head -3'
        Write-Host "A container sees itself as PID 1 with its own hostname:"
        $inside.Output | Out-Host
        $oom = Invoke-VirtContainer -RootFs $rootfs -Memory 32MB -Command sh, -c, 'head -c 200000000 /dev/zero | tail'
        Write-Host "A container with 32 MB that asks for 200 MB: OomKilled=$($oom.OomKilled), ExitCode=$($oom.ExitCode)"
    }
    else { Skip 'needs root' }

    Step 'A machine: the same guest on the software emulator and on KVM (Invoke-VirtMachine)'
    if (Get-Command nasm -ErrorAction Ignore) {
        $guest = Join-Path $scratch 'boot.bin'
        nasm -f bin -I "$PSScriptRoot/../tests/guests/" -o $guest "$PSScriptRoot/../tests/guests/boot.asm"
        $emulated = Invoke-VirtMachine -Accelerator Emulator -Image $guest -Mode Real -LoadAddress 0x7c00
        Write-Host "Emulator: $($emulated.Output.Trim()) exit $($emulated.ExitCode)"
        if ($hostInfo.Kvm.Usable) {
            $accelerated = Invoke-VirtMachine -Accelerator Kvm -Image $guest -Mode Real -LoadAddress 0x7c00
            Write-Host "KVM:      $($accelerated.Output.Trim()) exit $($accelerated.ExitCode)"
            Write-Host "Same output and exit code: $($emulated.Output -eq $accelerated.Output -and $emulated.ExitCode -eq $accelerated.ExitCode)"
        }
        else { Skip 'KVM is not usable here' }
    }
    else { Skip 'needs nasm to assemble the guest (apt-get install nasm)' }

    Step 'Everything at once (Show-VirtDashboard -Once)'
    Show-VirtDashboard -Once | Out-Host
}
finally {
    if ($isRoot) { Remove-VirtCgroup -Name $group -Force -Confirm:$false -ErrorAction Ignore }
    Remove-Item -Recurse -Force $scratch -ErrorAction SilentlyContinue
}
