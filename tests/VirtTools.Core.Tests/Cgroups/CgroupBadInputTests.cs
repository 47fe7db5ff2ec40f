using VirtTools.Cgroups;
using VirtTools.Diagnostics;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Cgroups;

/// <summary>Bad input on the real kernel: a clear error with a stable id, and nothing changed.</summary>
public sealed class CgroupBadInputTests
{
    [SkippableFact]
    public void UnknownGroupIsNotFound()
    {
        Requires.Root();
        var manager = CgroupManager.ForCurrentProcess();
        var name = TestGroup.NewName();
        var error = Assert.Throws<VirtToolsException>(() => manager.Open(name));
        Assert.Equal("CgroupNotFound", error.ErrorId);
        Assert.Equal(VirtErrorKind.NotFound, error.Kind);
        Assert.Contains(name, error.Message);
        Assert.Equal("CgroupNotFound", Assert.Throws<VirtToolsException>(() => manager.Get(name).ReadStats()).ErrorId);
    }

    [SkippableFact]
    public void NegativeSizeCreatesNothing()
    {
        Requires.Root();
        var manager = CgroupManager.ForCurrentProcess();
        var name = TestGroup.NewName();
        var error = Assert.Throws<VirtToolsException>(() => manager.Create(name, new CgroupLimits { MemoryMax = -1 }));
        Assert.Equal("InvalidCgroupSize", error.ErrorId);
        Assert.Contains("'-1'", error.Message);
        Assert.All(manager.Get(name).Directories, d => Assert.False(Directory.Exists(d), d));
    }

    [SkippableFact]
    public void CpuAboveHostCountChangesNothing()
    {
        Requires.Root();
        using var test = new TestGroup(new CgroupLimits { Cpus = 1, MemoryMax = 100L << 20 });
        var error = Assert.Throws<VirtToolsException>(() => test.Group.SetLimits(new CgroupLimits { MemoryMax = 50L << 20, Cpus = Environment.ProcessorCount + 1 }));
        Assert.Equal("InvalidCgroupCpu", error.ErrorId);
        Assert.Contains(Environment.ProcessorCount.ToString(), error.Message);
        var limits = test.Group.ReadLimits();
        Assert.Equal(1.0, limits.Cpus);
        Assert.Equal(100L << 20, limits.MemoryMax);
    }

    [SkippableFact]
    public void RemovingABusyGroupIsRefusedAndLeavesItRunning()
    {
        Requires.Root();
        using var test = new TestGroup();
        var sleeper = test.Start("sleep 60");
        var error = Assert.Throws<VirtToolsException>(() => test.Group.Remove());
        Assert.Equal("CgroupBusy", error.ErrorId);
        Assert.Equal(VirtErrorKind.ResourceBusy, error.Kind);
        Assert.Contains(sleeper.Id.ToString(), error.Message);
        Assert.True(test.Group.Exists);
        Assert.False(sleeper.HasExited);

        test.Group.Remove(force: true);
        Assert.True(sleeper.WaitForExit(5000));
        Assert.All(test.Group.Directories, d => Assert.False(Directory.Exists(d), d));
    }

    [SkippableFact]
    public void CreatingAnExistingGroupFails()
    {
        Requires.Root();
        using var test = new TestGroup();
        Assert.Equal("CgroupExists", Assert.Throws<VirtToolsException>(() => test.Manager.Create(test.Name)).ErrorId);
    }

    [SkippableFact]
    public void AddingAMissingProcessFails()
    {
        Requires.Root();
        using var test = new TestGroup();
        Assert.Equal("ProcessNotFound", Assert.Throws<VirtToolsException>(() => test.Group.AddProcess(int.MaxValue - 1)).ErrorId);
    }
}
