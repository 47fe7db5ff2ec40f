BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

BeforeAll {
    . "$PSScriptRoot/ContainerSuite.ps1" -Tag new
    $script:id = 'VirtTools.PowerShell.Commands.Containers.NewVirtContainerCommand'
}

AfterAll {
    Remove-ContainerSuite -RootFs $rootfs
}

Describe 'New-VirtContainer' -Skip:(Test-VirtCapabilityMissing root) {
    AfterEach {
        Remove-TestContainer
    }

    It 'defines a container in the Created state, visible host-wide' {
        $c = New-VirtContainer -Name pester-new -RootFs $rootfs -Command sleep, 5 -Memory 48MB -PidsLimit 16 -Hostname h1 -Isolation Namespaces
        $c.Status | Should -Be 'Created'
        $c.Isolation | Should -Be 'Namespaces'
        $c.Limits.MemoryBytes | Should -Be 48MB
        $c.Limits.Pids | Should -Be 16
        $c.Command | Should -Be @('sleep', '5')
        Test-Path /run/virttools/containers/pester-new/config.json | Should -BeTrue
        (Get-VirtContainer pester-new).Name | Should -Be 'pester-new'
    }

    It 'refuses a duplicate name' {
        New-VirtContainer -Name pester-dup -RootFs $rootfs -Command true | Out-Null
        { New-VirtContainer -Name pester-dup -RootFs $rootfs -Command true -ErrorAction Stop } | Should -Throw -ErrorId "ContainerExists,$id"
    }

    It 'refuses an invalid name: <Name>' -TestCases @(
        @{ Name = 'has space' }, @{ Name = '../escape' }, @{ Name = '-dash' }, @{ Name = ('x' * 64) }
    ) {
        { New-VirtContainer -Name $Name -RootFs $rootfs -Command true -ErrorAction Stop } | Should -Throw -ErrorId "InvalidName,$id"
        Test-Path "/run/virttools/containers/$Name" | Should -BeFalse
    }

    It 'refuses <Case> and creates nothing' -TestCases @(
        @{ Case = 'a missing rootfs'; Arguments = @{ RootFs = '/nonexistent'; Command = 'true' }; ErrorId = 'RootFsNotFound' }
        @{ Case = 'a command not in the rootfs'; Arguments = @{ Command = 'no-such' }; ErrorId = 'CommandNotFound' }
        @{ Case = 'an invalid volume'; Arguments = @{ Command = 'true'; Volume = 'a:b' }; ErrorId = 'InvalidVolume' }
        @{ Case = 'a volume target used twice'; Arguments = @{ Command = 'true'; Volume = '/tmp:/x', '/var:/x' }; ErrorId = 'InvalidVolume' }
        @{ Case = 'a hostname at Chroot level'; Arguments = @{ Command = 'true'; Isolation = 'Chroot'; Hostname = 'h' }; ErrorId = 'HostnameNeedsNamespaces' }
        @{ Case = 'an unknown user'; Arguments = @{ Command = 'true'; User = 'nosuchuser' }; ErrorId = 'UserNotFound' }
    ) {
        $parameters = @{ Name = 'pester-bad'; RootFs = $rootfs }
        foreach ($key in $Arguments.Keys) { $parameters[$key] = $Arguments[$key] }
        { New-VirtContainer @parameters -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,$id"
        Test-Path /run/virttools/containers/pester-bad | Should -BeFalse
    }

    It '-WhatIf creates nothing' {
        New-VirtContainer -Name pester-whatif -RootFs $rootfs -Command true -WhatIf
        Test-Path /run/virttools/containers/pester-whatif | Should -BeFalse
    }
}
