using System.Formats.Tar;
using VirtTools.Diagnostics;
using VirtTools.RootFs;

namespace VirtTools.Tests.RootFs;

public sealed class RootFsBuilderTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("virttools-rootfs-");

    public void Dispose() => work.Delete(recursive: true);

    private sealed class ListSink : IProgressSink
    {
        public List<(string Status, int Percent)> Reports { get; } = [];

        public void Report(string activity, string status, int percent) => Reports.Add((status, percent));
    }

    [Fact]
    public void ReportsProgressWhileBuilding()
    {
        var sink = new ListSink();
        var info = new RootFsBuilder(sink).Build(new RootFsOptions(Path.Combine(work.FullName, "r"), ["cat"]));
        Assert.Contains(sink.Reports, r => r.Status.Contains("/usr/bin/cat"));
        Assert.Equal(100, sink.Reports[^1].Percent);
        Assert.True(info.SizeBytes > 0);
    }

    private string Tarball(params (TarEntryType Type, string Name, string? Link)[] entries)
    {
        var tarball = Path.Combine(work.FullName, $"t{Guid.NewGuid():N}.tar");
        using var stream = File.Create(tarball);
        using var writer = new TarWriter(stream);
        foreach (var (type, name, link) in entries)
        {
            var entry = new PaxTarEntry(type, name);
            if (link is not null)
            {
                entry.LinkName = link;
            }
            if (type == TarEntryType.RegularFile)
            {
                entry.DataStream = new MemoryStream("x"u8.ToArray());
            }
            writer.WriteEntry(entry);
        }
        return tarball;
    }

    private void Build(string tarball) =>
        new RootFsBuilder(IProgressSink.None).Build(new RootFsOptions(Path.Combine(work.FullName, "r"), [], Tarball: tarball));

    [Fact]
    public void RefusesATarballEntryThatEscapesTheRoot()
    {
        var error = Assert.Throws<VirtToolsException>(() => Build(Tarball((TarEntryType.RegularFile, "a/../../escaped", null))));
        Assert.Equal("UnsafeTarball", error.ErrorId);
        Assert.False(File.Exists(Path.Combine(work.FullName, "escaped")));
    }

    [Fact]
    public void NeverWritesThroughALinkToTheHost()
    {
        var outside = Directory.CreateDirectory(Path.Combine(work.FullName, "outside"));
        // Inside the root the absolute link leads nowhere, so the entry is refused, not written outside.
        var error = Assert.Throws<VirtToolsException>(() => Build(Tarball(
            (TarEntryType.SymbolicLink, "etc", outside.FullName),
            (TarEntryType.RegularFile, "etc/passwd", null))));
        Assert.Equal("UnsafeTarball", error.ErrorId);
        Assert.Empty(outside.GetFiles());
    }

    [Fact]
    public void FollowsMergedUsrLinksInsideTheRoot()
    {
        Build(Tarball(
            (TarEntryType.Directory, "usr/bin", null),
            (TarEntryType.SymbolicLink, "bin", "usr/bin"),
            (TarEntryType.RegularFile, "bin/tool", null)));
        Assert.True(File.Exists(Path.Combine(work.FullName, "r/usr/bin/tool")));
    }

    [Fact]
    public void RefusesToBuildNothing()
    {
        var error = Assert.Throws<VirtToolsException>(() => new RootFsBuilder(IProgressSink.None).Build(new RootFsOptions(Path.Combine(work.FullName, "r"), [])));
        Assert.Equal("NothingToBuild", error.ErrorId);
    }
}
