using VirtTools.Host;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Host;

public sealed class ContainerInfoTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("virttools-root-").FullName;

    private ContainerInfo DetectIn(params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(root, path.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        return ContainerInfo.Detect(new List<string>(), root);
    }

    [Fact]
    public void DockerEnvFileMeansDocker() => Assert.Equal("docker", DetectIn(("/.dockerenv", "")).Name);

    [Fact]
    public void ContainerEnvFileMeansPodman() => Assert.Equal("podman", DetectIn(("/run/.containerenv", "")).Name);

    [Fact]
    public void Pid1ContainerVariableWinsOverMarkerFiles() =>
        Assert.Equal("lxc", DetectIn(("/proc/1/environ", "PATH=/bin\0container=lxc\0"), ("/.dockerenv", "")).Name);

    [Fact]
    public void SystemdMarkerNamesNspawn() =>
        Assert.Equal("systemd-nspawn", DetectIn(("/run/systemd/container", "systemd-nspawn\n")).Name);

    [Fact]
    public void OurOwnMarkerIsRecognised() =>
        Assert.Equal("virttools", DetectIn((ContainerInfo.OwnMarker, "")).Name);

    [Fact]
    public void NoEvidenceMeansNoContainer() => Assert.Null(DetectIn().Name);

    [SkippableFact]
    public void AgreesWithSystemdDetectVirtOnThisHost()
    {
        Skip.IfNot(Commands.Exists("systemd-detect-virt"), "systemd-detect-virt is not installed");
        var expected = Commands.Run("systemd-detect-virt", "--container").Output.Trim();
        var detected = ContainerInfo.Detect(new List<string>());
        Assert.Equal(expected == "none" ? null : expected, detected.Name);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
