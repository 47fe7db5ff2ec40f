using VirtTools.Cgroups;

namespace VirtTools.Tests.Cgroups;

public sealed class MountInfoTests
{
    [Fact]
    public void ParsesTheFieldsAroundTheOptionalSeparator()
    {
        var mounts = MountInfo.Parse(["36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue"]);
        var m = Assert.Single(mounts);
        Assert.Equal((36, 35, "/mnt1", "/mnt2", "ext3", "/dev/root", "rw,errors=continue"),
            (m.Id, m.ParentId, m.Root, m.MountPoint, m.FileSystemType, m.Source, m.SuperOptions));
    }

    [Fact]
    public void UnescapesOctalSequencesInPaths() =>
        Assert.Equal("/mnt/a b\\c", MountInfo.Unescape(@"/mnt/a\040b\134c"));

    [Fact]
    public void SkipsLinesThatDoNotParse() =>
        Assert.Empty(MountInfo.Parse(["garbage", ""]));

    [Fact]
    public void ReadsThisProcessTable()
    {
        var mounts = MountInfo.Read();
        Assert.Contains(mounts, m => m.MountPoint == "/" );
        Assert.Contains(mounts, m => m.FileSystemType == "proc" && m.MountPoint == "/proc");
    }
}
