using VirtTools.Isolation;

namespace VirtTools.Tests.Isolation;

public sealed class RootFsPathTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("virttools-rootfspath-");

    public RootFsPathTests()
    {
        Directory.CreateDirectory(Path.Combine(root.FullName, "usr/bin"));
        File.WriteAllText(Path.Combine(root.FullName, "usr/bin/tool"), "");
        // Absolute links, as merged-/usr systems have them: they must resolve inside the root.
        File.CreateSymbolicLink(Path.Combine(root.FullName, "bin"), "/usr/bin");
        File.CreateSymbolicLink(Path.Combine(root.FullName, "usr/bin/alias"), "/bin/tool");
        File.CreateSymbolicLink(Path.Combine(root.FullName, "loop"), "/loop");
    }

    public void Dispose() => root.Delete(recursive: true);

    [Theory]
    [InlineData("/bin/tool", "usr/bin/tool")]
    [InlineData("/usr/bin/alias", "usr/bin/tool")]
    [InlineData("/../../bin/tool", "usr/bin/tool")]
    public void FollowsLinksInsideTheRoot(string path, string expected) =>
        Assert.Equal(Path.Combine(root.FullName, expected), RootFsPath.Resolve(root.FullName, path));

    [Fact]
    public void MissingPathsAndLoopsResolveToNull()
    {
        Assert.Null(RootFsPath.Resolve(root.FullName, "/bin/nothing"));
        Assert.Null(RootFsPath.Resolve(root.FullName, "/loop"));
    }

    [Fact]
    public void FindsCommandsAlongThePath()
    {
        Assert.Equal("/bin/tool", RootFsPath.FindCommand(root.FullName, "tool", "/sbin:/bin"));
        Assert.Null(RootFsPath.FindCommand(root.FullName, "tool", "/sbin"));
        Assert.Equal("/usr/bin/alias", RootFsPath.FindCommand(root.FullName, "/usr/bin/alias", ""));
    }
}
