using System.Text;
using VirtTools.Cgroups;

namespace VirtTools.Tests.Cgroups;

/// <summary>The byte-level parsers of the stats hot path, on the exact text the kernel writes.</summary>
public sealed class CgroupFileTests
{
    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void FieldMatchesWholeKeysOnly()
    {
        var oomControl = B("oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
        Assert.Equal(4, CgroupFile.Field(oomControl, "oom_kill"u8));
        var events = B("low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n");
        Assert.Equal(2, CgroupFile.Field(events, "oom"u8));
        Assert.Equal(9, CgroupFile.Field(events, "max"u8));
        Assert.Null(CgroupFile.Field(events, "min"u8));
    }

    [Fact]
    public void NumberReadsMaxAndV1Unlimited()
    {
        Assert.Equal(CgroupLimits.Unlimited, CgroupFile.Number(B("max\n")));
        Assert.Equal(9223372036854771712, CgroupFile.Number(B("9223372036854771712\n")));
        Assert.Null(CgroupFile.Number(B("")));
    }

    [Fact]
    public void BlkioSumsDevicesAndSkipsTotal()
    {
        var text = B("8:0 Read 100\n8:0 Write 5\n8:0 Sync 105\n8:16 Read 1\n8:16 Write 2\nTotal 108\n");
        Assert.Equal(101, CgroupFile.SumBlkio(text, "Read"u8));
        Assert.Equal(7, CgroupFile.SumBlkio(text, "Write"u8));
    }

    [Fact]
    public void PressureParsesSomeAndFull()
    {
        var psi = CgroupFile.Pressure(B("some avg10=12.34 avg60=1.00 avg300=0.50 total=1000\nfull avg10=2.00 avg60=0.00 avg300=0.00 total=20\n"))!;
        Assert.Equal(12.34, psi.SomeAvg10);
        Assert.Equal(0.5, psi.SomeAvg300);
        Assert.Equal(TimeSpan.FromMilliseconds(1), psi.SomeTotal);
        Assert.Equal(2.0, psi.FullAvg10);
        Assert.Equal(TimeSpan.FromMicroseconds(20), psi.FullTotal);
    }
}
