BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/CgroupTestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/MachineHelpers.psm1" -Force
    Import-VirtTools
    $script:manifest = Join-Path (Get-RepoRoot) 'VirtTools.psd1'
    # A 64-bit guest that writes port 0x80 forever: every write is a vCPU exit (out 0x80, al; jmp back).
    $script:spinImage = Join-Path ([IO.Path]::GetTempPath()) "virttools-dash-$([guid]::NewGuid().ToString('N')).bin"
    [IO.File]::WriteAllBytes($spinImage, [byte[]] (0xE6, 0x80, 0xEB, 0xFC))
    # A 64-bit guest that halts (hlt; jmp back): Running, but with next to no CPU.
    $script:idleImage = Join-Path ([IO.Path]::GetTempPath()) "virttools-dash-idle-$([guid]::NewGuid().ToString('N')).bin"
    [IO.File]::WriteAllBytes($idleImage, [byte[]] (0xF4, 0xEB, 0xFD))
}

AfterAll {
    Remove-Item -Force $spinImage, $idleImage -ErrorAction Ignore
}

Describe 'Show-VirtDashboard -Once' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeAll {
        $script:name = New-TestCgroupName
        New-VirtCgroup -Name $name -Memory 64MB -Pids 16 -Cpu 0.5 | Out-Null
        $script:proc = Start-TestProcess 'x=$(head -c 3000000 /dev/zero | tr "\0" a); while :; do :; done'
        Add-VirtCgroupProcess -Name $name -Id $proc.Id
        $proc | Resume-TestProcess
    }
    AfterAll { Remove-TestCgroup -Name $name -Process $proc }

    It 'returns one object per item, with rates from two readings' {
        $items = Show-VirtDashboard -Once -Interval 0.5
        $row = $items | Where-Object Name -eq $name
        $row | Should -Not -BeNullOrEmpty
        $row.GetType().FullName | Should -Be 'VirtTools.Monitoring.MonitorSample'
        "$($row.Kind)" | Should -Be 'Cgroup'
        $row.IsRunning | Should -BeTrue
        $row.MemoryLimit | Should -Be 64MB
        $row.PidsLimit | Should -Be 16
        $row.Pids | Should -BeGreaterOrEqual 1
        $row.MemoryBytes | Should -BeGreaterThan 1MB
        $row.CpuPercent | Should -BeGreaterThan 0
        $row.CpuQuotaPercent | Should -BeGreaterThan 0
        $row.CpuQuotaPercent | Should -BeLessOrEqual 110
        $row.Uptime | Should -BeGreaterThan ([TimeSpan]::Zero)
    }

    It 'has a default table view with the dashboard''s columns' {
        $text = Show-VirtDashboard -Once -Interval 0.2 | Where-Object Name -eq $name | Format-Table | Out-String -Width 200
        $text | Should -Match 'Kind\s+Name\s+State\s+CPU%\s+Quota%\s+Thr%\s+Memory\s+Limit\s+Mem%\s+Pids'
        $text | Should -Match "Cgroup\s+$name\s+Active\s+[\d.]+\s+[\d.]+\s+.*64M\s+[\d.]+\s+\d+/16"
    }

    It 'prints the dashboard screen as text with -AsText' {
        $text = Show-VirtDashboard -Once -AsText -Interval 0.2
        $text | Should -BeOfType [string]
        $text | Should -Match 'VirtTools dashboard \(q or Esc to quit'
        $text | Should -Match "│Cgroup\s*│$name"
        $text | Should -Match 'Quit.*Details.*Filter'
    }

    It 'shows a running container with its limits and the usage of its cgroup' {
        Import-Module "$PSScriptRoot/ContainerTestHelpers.psm1" -Force
        $rootfs = New-TestRootFs -Path (Join-Path ([IO.Path]::GetTempPath()) "pester-dash-$PID")
        $container = "pester-dash-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        try {
            New-VirtContainer -Name $container -RootFs $rootfs -Command sleep, 600 -Memory 48MB -PidsLimit 24 | Start-VirtContainer
            $row = Show-VirtDashboard -Once -Interval 0.3 | Where-Object Name -eq $container
            "$($row.Kind)" | Should -Be 'Container'
            $row.State | Should -Be 'Running'
            $row.IsRunning | Should -BeTrue
            $row.MemoryLimit | Should -Be 48MB
            $row.PidsLimit | Should -Be 24
            $row.Pids | Should -BeGreaterOrEqual 1
            $row.Uptime | Should -BeGreaterThan ([TimeSpan]::Zero)
            ($row.Actions -split ', ') | Should -Contain 'Stop'
            # Its cgroup is the container's row, not a second cgroup row.
            Show-VirtDashboard -Once -Interval 0.1 | Where-Object { "$($_.Kind)" -eq 'Cgroup' -and $_.Name -like "*$container" } | Should -BeNullOrEmpty
        }
        finally {
            Remove-TestContainer -Prefix $container
            Remove-Item -Recurse -Force $rootfs -ErrorAction Ignore
        }
    }

    It 'shows a machine this session hosts in-process, with its exit rate' -Skip:(Test-VirtCapabilityMissing kvm) {
        $machine = "dash-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        try {
            New-VirtMachine -Name $machine -Accelerator Kvm -Image $spinImage -Mode Long -InProcess | Start-VirtMachine
            $row = Show-VirtDashboard -Once -Interval 1 | Where-Object Name -eq $machine
            "$($row.Kind)" | Should -Be 'Machine'
            $row.State | Should -Be 'Running'
            $row.Accelerator | Should -Be 'Kvm'
            $row.Vcpus | Should -Be 1
            $row.ExitsPerSecond | Should -BeGreaterThan 100
            # The spinning guest's vCPU thread (/proc/self/task/TID) is busy: its CPU is the machine's.
            $row.CpuPercent | Should -BeGreaterThan 0
        }
        finally {
            Remove-VirtMachine -Name $machine -Force -Confirm:$false -ErrorAction Continue
        }
    }

    It 'shows a machine this session created in its own VMM process (the default) exactly once' -Skip:(Test-VirtCapabilityMissing kvm) {
        $machine = "dashdef-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        try {
            New-VirtMachine -Name $machine -Accelerator Kvm -Image $spinImage -Mode Long | Start-VirtMachine
            $row = Show-VirtDashboard -Once -Interval 0.3 | Where-Object Name -eq $machine
            @($row).Count | Should -Be 1
            $row.State | Should -Be 'Running'
            $row.Details.Key | Should -Contain 'VMM process'
        }
        finally {
            Remove-VirtMachine -Name $machine -Force -Confirm:$false -ErrorAction Continue
        }
        Test-Path (Get-VmmDirectory $machine) | Should -BeFalse
    }

    It 'shows a machine that another pwsh started in its VMM process, host-wide' -Skip:(Test-VirtCapabilityMissing kvm) {
        $machine = "dashvmm-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        try {
            $output = Invoke-FreshPwsh -Script "Import-Module '$manifest'; New-VirtMachine -Name $machine -Accelerator Kvm -Image '$spinImage' -Mode Long | Start-VirtMachine | Out-Null; 'started'"
            $output | Should -Contain 'started' -Because ($output -join "`n")
            $row = Show-VirtDashboard -Once -Interval 1 | Where-Object Name -eq $machine
            @($row).Count | Should -Be 1
            "$($row.Kind)" | Should -Be 'Machine'
            $row.State | Should -Be 'Running'
            $row.Accelerator | Should -Be 'Kvm'
            # The VMM process: its CPU time and resident memory; vCPUs and exits from its status reply.
            $row.CpuPercent | Should -BeGreaterThan 0
            $row.MemoryBytes | Should -BeGreaterThan 1MB
            $row.Vcpus | Should -Be 1
            $row.ExitsPerSecond | Should -BeGreaterThan 0
            # The headless view (off-screen ANSI frame) shows the same: a CPU figure, the accelerator, the vCPUs.
            $text = Show-VirtDashboard -Once -AsText -Interval 1
            $line = ($text -split "`n" | Where-Object { $_ -match "│$machine\s*│" }) -join "`n"
            $line | Should -Match "│$machine\s*│Running\s*│\s*\d+(\.\d+)?\s*│" -Because $text
            $line | Should -Match '│Kvm\s*│\s*1│' -Because $text
        }
        finally {
            Remove-VirtMachine -Name $machine -Force -Confirm:$false -ErrorAction Continue
        }
        Test-Path (Get-VmmDirectory $machine) | Should -BeFalse
    }
}

Describe 'Show-VirtDashboard without a terminal' {
    It 'says so and prints one snapshot instead' {
        $output = Invoke-FreshPwsh -Script "Import-Module '$manifest'; `$r = @(Show-VirtDashboard -Interval 0.1 3>&1); `$r | ForEach-Object { if (`$_ -is [System.Management.Automation.WarningRecord]) { 'WARN: ' + `$_.Message } else { 'ITEM: ' + `$_.Key } }; 'done'"
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Contain 'done'
        ($output | Where-Object { $_ -like 'WARN:*' }) | Should -Match 'needs an interactive terminal \(standard (input|output) is redirected\): writing one snapshot instead'
    }

    It 'rejects an interval out of range' {
        { Show-VirtDashboard -Once -Interval 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,VirtTools.PowerShell.Commands.Dashboard.ShowVirtDashboardCommand'
    }
}

# The real thing: pwsh in a tmux pane runs the dashboard while a container, a cgroup and a machine exist; what
# the pane shows is read back with capture-pane.
Describe 'Show-VirtDashboard in a real terminal' -Skip:(Test-VirtCapabilityMissing root) {
    BeforeAll {
        if (-not (Get-Command tmux -ErrorAction Ignore)) { throw 'tmux is not installed (apt-get install tmux; .ci/run installs it)' }
        $script:name = New-TestCgroupName
        New-VirtCgroup -Name $name -Memory 32MB | Out-Null
        $script:proc = Start-TestProcess 'while :; do :; done'
        Add-VirtCgroupProcess -Name $name -Id $proc.Id
        $proc | Resume-TestProcess
        Import-Module "$PSScriptRoot/ContainerTestHelpers.psm1" -Force
        $script:rootfs = New-TestRootFs -Path (Join-Path ([IO.Path]::GetTempPath()) "pester-dash-tmux-$PID")
        $script:container = "pester-dash-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        New-VirtContainer -Name $container -RootFs $rootfs -Command sleep, 600 -Memory 48MB | Start-VirtContainer
        $script:session = "virttools-dash-$PID"
        $script:machine = "tmuxvm-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        $exe = [Environment]::ProcessPath
        $prefix = if ((Split-Path -Leaf $exe) -like 'dotnet*') { "'$(Join-Path $PSHOME 'pwsh.dll')'" } else { '' }
        # Its own tmux server: a test or bench that stops the default server must not end this pane.
        $script:tmuxServer = "virttools-pester-$PID"
        tmux -L $tmuxServer new-session -d -s $session -x 180 -y 45 "env NO_COLOR=1 VIRTTOOLS_RUN_DIR='$env:VIRTTOOLS_RUN_DIR' '$exe' $prefix -NoProfile -NoLogo"
        if ($LASTEXITCODE -ne 0) { throw 'tmux new-session failed' }

        function script:Get-Pane { (tmux -L $tmuxServer capture-pane -p -t $session) -join "`n" }
        function script:Wait-Pane([scriptblock] $Condition, [string] $What, [int] $Seconds = 60) {
            $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
            while ([DateTime]::UtcNow -lt $deadline) {
                $pane = Get-Pane
                if (& $Condition $pane) { return $pane }
                Start-Sleep -Milliseconds 200
            }
            throw "timed out waiting for $What; the pane shows:`n$(Get-Pane)"
        }
        $kvm = -not (Test-VirtCapabilityMissing kvm)
        $startMachine = if ($kvm) { "New-VirtMachine -Name $machine -Accelerator Kvm -Image '$idleImage' -Mode Long | Start-VirtMachine; " } else { '' }
        # Keys typed before PSReadLine owns the terminal are echoed but their Enter is lost: wait for the prompt.
        Wait-Pane { param($p) $p -match '(?m)^PS ' } 'the pwsh prompt' | Out-Null
        tmux -L $tmuxServer send-keys -t $session "Import-Module '$manifest'; $startMachine'ready-' + 'to-go'; Show-VirtDashboard -Interval 0.5 -Verbose" Enter
    }
    AfterAll {
        tmux -L $tmuxServer kill-server 2>$null
        # The pane's machine ran in its own VMM process: it outlives the pane's pwsh.
        Remove-VirtMachine -Name $machine -Force -Confirm:$false -ErrorAction Ignore
        Remove-TestCgroup -Name $name -Process $proc
        Remove-TestContainer -Prefix $container
        Remove-Item -Recurse -Force $rootfs -ErrorAction Ignore
    }

    It 'shows the container, the cgroup and the machine, sorts on a key press, drops a removed row, and the quit key gives the shell back with the log' {
        $pane = Wait-Pane { param($p) $p -match [regex]::Escape($name) -and $p -match 'VirtTools dashboard' -and $p -cmatch 'q\s+Quit' } 'the dashboard to show the cgroup'
        $pane | Should -Match "Cgroup\s*│$name\s*│Active"
        $pane | Should -MatchExactly 'q\s+Quit'
        $pane | Should -Match "Container\s*│$container\s*│Running\s*│"
        if (-not (Test-VirtCapabilityMissing kvm)) {
            $pane = Wait-Pane { param($p) $p -match "Machine\s*│$machine\s*│Running" } 'the machine row'
            $pane | Should -Match "$machine\s*│Running.*Kvm"
        }

        tmux -L $tmuxServer send-keys -t $session '4'
        Wait-Pane { param($p) $p -match 'CPU%↓' } 'the CPU% sort' | Out-Null
        # The spinning cgroup uses the most CPU (the machine's guest halts: machines have a CPU % too),
        # so it is the first row once its CPU % is known: that takes two readings, and with the VMM
        # now up in milliseconds the sort can come before the second one (a row without a figure
        # sorts last), so the check waits for the refreshes to get there.
        function script:First-Row([string] $p) { $p -split "`n" | Where-Object { $_ -match '│(Cgroup|Machine|Container)\s*│' } | Select-Object -First 1 }
        $pane = Wait-Pane { param($p) (First-Row $p) -match [regex]::Escape($name) } 'the spinning cgroup as the first row of the CPU% sort' -Seconds 15
        First-Row $pane | Should -Match $name

        # Removed from outside while the dashboard runs: its row goes at the next refresh, and the
        # log event about it waits until the dashboard has closed.
        Remove-VirtCgroup -Name $name -Force -Confirm:$false
        Wait-Pane { param($p) $p -notmatch [regex]::Escape($name) } 'the removed cgroup''s row to go' | Out-Null

        tmux -L $tmuxServer send-keys -t $session 'q'
        Wait-Pane { param($p) $p -notmatch 'VirtTools dashboard' } 'the dashboard to close' | Out-Null
        tmux -L $tmuxServer send-keys -t $session "'after-' + 'quit'" Enter
        $pane = Wait-Pane { param($p) $p -match '(?m)^after-quit$' } 'the shell to run a command after the dashboard'
        $pane | Should -Match 'ready-to-go'
        $pane | Should -Match "VERBOSE: Cgroup $name`: disappeared"
    }
}
