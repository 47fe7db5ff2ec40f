# Get-VirtHost compared against what the kernel says: /proc/cpuinfo, /proc/self/mountinfo,
# /proc/self/ns, /sys/module; never against constants.
BeforeDiscovery {
    # -Skip:(...) is evaluated during discovery, so the helpers must be there already.
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-VirtTools
    $script:info = Get-VirtHost
    $script:cpuinfo = @{}
    foreach ($line in (Get-Content /proc/cpuinfo)) {
        if (-not $line) { break }
        $key, $value = $line -split '\s*:\s*', 2
        $script:cpuinfo[$key.Trim()] = $value
    }
    $script:flags = $script:cpuinfo['flags'] -split ' '
}

Describe 'Get-VirtHost' {
    It 'returns one HostInfo object' {
        @($info).Count | Should -Be 1
        $info.GetType().FullName | Should -Be 'VirtTools.Host.HostInfo'
    }

    It 'reads the CPU from CPUID as the kernel does' {
        $info.Cpu.Vendor | Should -Be $cpuinfo['vendor_id']
        $info.Cpu.Model | Should -Be $cpuinfo['model name']
        $info.Cpu.Vmx | Should -Be ($flags -contains 'vmx')
        $info.Cpu.Svm | Should -Be ($flags -contains 'svm')
    }

    It 'says whether we run under a hypervisor as the hypervisor flag does' {
        if ($flags -contains 'hypervisor') {
            $info.Hypervisor.Name | Should -Not -BeNullOrEmpty
            $info.Hypervisor.Source | Should -Be 'Cpuid'
        }
        else {
            $info.Hypervisor.Source | Should -Not -Be 'Cpuid'
        }
    }

    It 'names the hypervisor as systemd-detect-virt does' -Skip:(-not (Get-Command systemd-detect-virt -ErrorAction Ignore)) {
        $expected = systemd-detect-virt --vm
        if ($expected -eq 'none') { $info.Hypervisor.Name | Should -BeNullOrEmpty }
        else { $info.HypervisorName | Should -BeLike "$expected*" }
    }

    It 'reports /dev/kvm with API 12 and the kind the loaded module says' -Skip:(Test-VirtCapabilityMissing kvm) {
        $info.Kvm.Present | Should -BeTrue
        $info.Kvm.Usable | Should -BeTrue
        $info.Kvm.ApiVersion | Should -Be 12
        $expected = if (Test-Path /sys/module/kvm_pvm) { 'Pvm' }
                    elseif (Test-Path /sys/module/kvm_intel) { 'HardwareVmx' }
                    elseif (Test-Path /sys/module/kvm_amd) { 'HardwareSvm' }
                    else { 'Unknown' }
        "$($info.Kvm.Kind)" | Should -Be $expected
        if ($expected -eq 'Pvm') { $flags | Should -Not -Contain 'vmx'; $flags | Should -Not -Contain 'svm' }
        $info.Kvm.Extensions['UserMemory'] | Should -BeGreaterThan 0
        $info.Accelerators | Should -Contain 'Kvm'
    }

    It 'always offers the emulator' {
        $info.Accelerators | Should -Contain 'Emulator'
    }

    It 'reports the cgroup layout the mount table shows' {
        $mounts = Get-Content /proc/self/mountinfo
        $v1 = @($mounts | Where-Object { $_ -match ' - cgroup ' })
        $v2 = @($mounts | Where-Object { $_ -match ' - cgroup2 ' })
        $expected = if ($v1 -and $v2) { 'Hybrid' } elseif ($v1) { 'V1' } elseif ($v2) { 'V2' } else { 'None' }
        "$($info.Cgroups.Layout)" | Should -Be $expected
        foreach ($line in $v2) {
            $mountPoint = ($line -split ' ')[4]
            $info.Cgroups.Unified.MountPoint | Should -Be $mountPoint
        }
        foreach ($line in $v1) {
            $superOptions = ($line -split ' - ')[1].Split(' ')[2].Split(',')
            $controller = $superOptions | Where-Object { $_ -in 'memory', 'cpu', 'pids', 'cpuset', 'blkio', 'devices', 'freezer' } | Select-Object -First 1
            if ($controller) { $info.Cgroups.For($controller).MountPoint | Should -Be ($line -split ' ')[4] }
        }
    }

    It 'places this process in each hierarchy as /proc/self/cgroup does' {
        foreach ($line in Get-Content /proc/self/cgroup) {
            $id, $controllers, $path = $line -split ':', 3
            $hierarchy = if ($id -eq '0') { $info.Cgroups.Unified } else { $info.Cgroups.Hierarchies | Where-Object { $_.Controllers -contains ($controllers -split ',')[0] } }
            $hierarchy.ProcessPath | Should -Be $path
        }
    }

    It 'lists the namespace kinds of /proc/self/ns' {
        $expected = Get-ChildItem /proc/self/ns | Where-Object Name -notlike '*_for_children' | ForEach-Object Name | Sort-Object
        $info.Namespaces.Kinds | Should -Be $expected
    }

    It 'reports the container we run in as systemd-detect-virt does' -Skip:(-not (Get-Command systemd-detect-virt -ErrorAction Ignore)) {
        $expected = systemd-detect-virt --container
        $info.ContainerName | Should -Be $expected
    }

    It 'writes probe events from worker threads to the verbose and debug streams' {
        $records = Get-VirtHost -Verbose -Debug 4>&1 5>&1 | Where-Object { $_ -is [System.Management.Automation.InformationalRecord] }
        $verbose = $records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $debug = $records | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
        $verbose.Message | Should -Match 'Host probe done'
        # The probes run on worker threads; their events are replayed on the pipeline thread.
        ($debug.Message -match 'Probed /dev/kvm in .* \[thread \d+\]') | Should -Not -BeNullOrEmpty
    }

    It 'formats with the default table view' {
        $text = $info | Out-String -Width 200
        $text | Should -Match 'Hypervisor'
        $text | Should -Match ([regex]::Escape("$($info.Cgroups.Layout)"))
    }
}
