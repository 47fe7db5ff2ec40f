using VirtTools.Cgroups;
using VirtTools.Cgroups.Resources;
using VirtTools.Diagnostics;

namespace VirtTools.Tests.Cgroups;

public sealed class CgroupLimitsTests
{
    [Theory]
    [InlineData(3.0, "InvalidCgroupCpu")]
    [InlineData(0.0, "InvalidCgroupCpu")]
    [InlineData(-1.0, "InvalidCgroupCpu")]
    [InlineData(double.NaN, "InvalidCgroupCpu")]
    public void CpuOutsideTheHostIsRejected(double cpus, string id)
    {
        var error = Assert.Throws<VirtToolsException>(() => new CgroupLimits { Cpus = cpus }.Validate(hostCpus: 2));
        Assert.Equal(id, error.ErrorId);
        Assert.Contains("from 0.01 to 2", error.Message);
    }

    [Fact]
    public void UnlimitedCpusIsValid() => new CgroupLimits { Cpus = CgroupLimits.UnlimitedCpus }.Validate(2);

    [Theory]
    [InlineData("0-2")]
    [InlineData("a")]
    [InlineData("1-0")]
    [InlineData("0,,1")]
    public void BadCpusetIsRejected(string set) =>
        Assert.Equal("InvalidCgroupCpuset", Assert.Throws<VirtToolsException>(() => new CgroupLimits { CpusetCpus = set }.Validate(2)).ErrorId);

    [Theory]
    [InlineData(0)]
    [InlineData(10001)]
    public void WeightOutOfRangeIsRejected(int weight)
    {
        Assert.Equal("InvalidCgroupWeight", Assert.Throws<VirtToolsException>(() => new CgroupLimits { CpuWeight = weight }.Validate(2)).ErrorId);
        Assert.Equal("InvalidCgroupWeight", Assert.Throws<VirtToolsException>(() => new CgroupLimits { IoWeight = weight }.Validate(2)).ErrorId);
    }

    [Fact]
    public void MergeKeepsWhatTheOverlayLeavesUnset()
    {
        var merged = new CgroupLimits { MemoryMax = 1, Cpus = 1 }.Merge(new CgroupLimits { Cpus = 2 });
        Assert.Equal(1, merged.MemoryMax);
        Assert.Equal(2, merged.Cpus);
    }

    [Theory]
    [InlineData(100, 1024)]
    [InlineData(1, 10)]
    [InlineData(10000, 102400)]
    public void WeightMapsToSharesKeepingTheDefault(int weight, long shares)
    {
        Assert.Equal(shares, CpuWriter.SharesFromWeight(weight));
        Assert.Equal(weight, CpuWriter.WeightFromShares(shares));
    }

    [Fact]
    public void IoLimitParsesTheIoMaxForm()
    {
        var limit = IoDeviceLimit.Parse("8:0 rbps=10M wbps=max riops=100");
        Assert.Equal("8:0", limit.Device);
        Assert.Equal(10L << 20, limit.ReadBps);
        Assert.Equal(CgroupLimits.Unlimited, limit.WriteBps);
        Assert.Equal(100, limit.ReadIops);
        Assert.Null(limit.WriteIops);
        Assert.Equal("8:0 rbps=10485760 wbps=max riops=100", limit.ToString());
        Assert.Equal("InvalidIoLimit", Assert.Throws<VirtToolsException>(() => IoDeviceLimit.Parse("8:0 speed=1")).ErrorId);
    }
}
