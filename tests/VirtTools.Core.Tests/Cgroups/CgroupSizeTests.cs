using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.Tests.Cgroups;

public sealed class CgroupSizeTests
{
    [Theory]
    [InlineData("1.5G", 1610612736L)]
    [InlineData("512M", 536870912L)]
    [InlineData("256MB", 268435456L)]
    [InlineData("64KiB", 65536L)]
    [InlineData("64k", 65536L)]
    [InlineData(" 100 ", 100L)]
    [InlineData("2t", 2199023255552L)]
    [InlineData("max", CgroupLimits.Unlimited)]
    [InlineData("Unlimited", CgroupLimits.Unlimited)]
    public void ParsesStrings(string text, long bytes) => Assert.Equal(bytes, CgroupSize.Parse(text));

    [Fact]
    public void TakesPowerShellLiteralsAsNumbers()
    {
        Assert.Equal(64L << 20, CgroupSize.Parse(67108864));            // 64MB is an int
        Assert.Equal(5L << 30, CgroupSize.Parse(5368709120L));          // 5GB is a long
        Assert.Equal(1610612736L, CgroupSize.Parse(1610612736.0));      // 1.5GB is a double
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("12X")]
    [InlineData("1.2.3M")]
    [InlineData("")]
    [InlineData("M")]
    public void RejectsMalformedOrNegativeNamingTheValueAndTheForms(string text)
    {
        var error = Assert.Throws<VirtToolsException>(() => CgroupSize.Parse(text));
        Assert.Equal("InvalidCgroupSize", error.ErrorId);
        Assert.Equal(VirtErrorKind.InvalidArgument, error.Kind);
        Assert.Contains($"'{text}'", error.Message);
        Assert.Contains("'1.5G'", error.Message);
        Assert.Contains("64MB", error.Message);
    }

    [Fact]
    public void RejectsNegativeNumbers() =>
        Assert.Equal("InvalidCgroupSize", Assert.Throws<VirtToolsException>(() => CgroupSize.Parse(-5)).ErrorId);

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(67108864L, "64 MiB")]
    [InlineData(1610612736L, "1.5 GiB")]
    [InlineData(CgroupLimits.Unlimited, "max")]
    public void Formats(long bytes, string text) => Assert.Equal(text, CgroupSize.Format(bytes));
}
