using VirtTools.Diagnostics;
using VirtTools.Isolation;

namespace VirtTools.Tests.Isolation;

/// <summary>Status from the state files alone: a store in a temporary directory, real /proc for liveness.</summary>
public sealed class ContainerStoreTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("virttools-store-");
    private readonly ContainerStore store;

    public ContainerStoreTests() => store = new ContainerStore(directory.FullName);

    public void Dispose() => directory.Delete(recursive: true);

    private static ulong SelfStart => ProcessIdentity.ReadStartTime(Environment.ProcessId)!.Value;

    private void Create(string name, string? bootId = null, bool oneShot = false, int creator = 0)
    {
        store.Claim(name);
        store.Save(new ContainerState
        {
            Spec = new ContainerSpec { Name = name, RootFs = "/r", Command = ["true"] },
            BootId = bootId ?? ContainerStore.CurrentBootId,
            OneShot = oneShot,
            CreatorPid = creator,
            CreatorStartTime = creator == Environment.ProcessId ? SelfStart : 1,
        });
    }

    private void Write(string name, string file, string text) => File.WriteAllText(Path.Combine(store.DirectoryOf(name), file), text);

    [Fact]
    public void ClaimingATakenNameFails()
    {
        Create("a");
        Assert.Equal("ContainerExists", Assert.Throws<VirtToolsException>(() => store.Claim("a")).ErrorId);
    }

    [Fact]
    public void ANewContainerIsCreated() 
    {
        Create("a");
        Assert.Equal(ContainerStatus.Created, store.Describe("a").Status);
    }

    [Fact]
    public void ALiveMonitorMeansRunning()
    {
        Create("a");
        Write("a", "runtime", $"monitor {Environment.ProcessId} {SelfStart}\ninit {Environment.ProcessId} {SelfStart}\n");
        var container = store.Describe("a");
        Assert.Equal(ContainerStatus.Running, container.Status);
        Assert.Equal(Environment.ProcessId, container.Pid);
    }

    [Fact]
    public void ARecycledMonitorPidIsNotMistakenForTheMonitor()
    {
        Create("a");
        Write("a", "runtime", $"monitor {Environment.ProcessId} {SelfStart + 1}\ninit 1 1\n");
        Assert.Equal(ContainerStatus.Stale, store.Describe("a").Status);
    }

    [Theory]
    [InlineData("exited 3", 3, null)]
    [InlineData("signaled 9", 137, 9)]
    public void TheResultFileMeansExited(string result, int code, int? signal)
    {
        Create("a");
        Write("a", "runtime", "monitor 1 1\ninit 1 1\n");
        Write("a", "exit", result + "\n");
        var container = store.Describe("a");
        Assert.Equal(ContainerStatus.Exited, container.Status);
        Assert.Equal(code, container.ExitCode);
        Assert.Equal(signal, container.Signal);
    }

    [Fact]
    public void StateFromAnEarlierBootIsStale()
    {
        Create("a", bootId: "00000000-0000-0000-0000-000000000000");
        Assert.Equal(ContainerStatus.Stale, store.Describe("a").Status);
    }

    [Fact]
    public void AOneShotWhoseCreatorDiedBeforeStartingIsStale()
    {
        Create("gone", oneShot: true, creator: int.MaxValue - 1);
        Create("alive", oneShot: true, creator: Environment.ProcessId);
        Assert.Equal(ContainerStatus.Stale, store.Describe("gone").Status);
        Assert.Equal(ContainerStatus.Created, store.Describe("alive").Status);
    }

    [Fact]
    public void ADirectoryWithoutConfigIsStale()
    {
        store.Claim("half");
        Assert.Equal(ContainerStatus.Stale, store.Describe("half").Status);
    }

    [Fact]
    public void AnUnknownNameIsNotFound() =>
        Assert.Equal("ContainerNotFound", Assert.Throws<VirtToolsException>(() => store.Describe("none")).ErrorId);
}
