using System.Diagnostics;
using VirtTools.Isolation;
using VirtTools.Monitoring;

namespace VirtTools.Tests.Monitoring;

/// <summary>
/// The container source keeps each container's description between refreshes: a store in a
/// temporary directory whose "monitor" is a real sleep process, so liveness goes through the real
/// pidfd and /proc. Every change a container can go through between two refreshes must still show.
/// </summary>
public sealed class ContainerSourceTests : IDisposable
{
    /// <summary>A description read this soon after its directory changed is read again (ContainerDescriptions' racy window is 1 s).</summary>
    private static readonly TimeSpan settle = TimeSpan.FromMilliseconds(1100);

    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("virttools-csource-");
    private readonly ContainerStore store;
    private readonly ContainerSource source;
    private readonly List<Process> monitors = [];

    public ContainerSourceTests()
    {
        store = new ContainerStore(directory.FullName);
        source = new ContainerSource(new ContainerRuntime(store), cgroups: null);
    }

    public void Dispose()
    {
        source.Dispose();
        foreach (var monitor in monitors)
        {
            if (!monitor.HasExited)
            {
                monitor.Kill();
            }
            monitor.WaitForExit();
            monitor.Dispose();
        }
        directory.Delete(recursive: true);
    }

    [Fact]
    public void An_unchanged_running_container_is_not_described_again()
    {
        StartRunning("web");
        Assert.Equal("Running", Read().Single().State);
        Assert.Equal(1, source.LastDescribedCount);

        Thread.Sleep(settle);
        Read();   // read again once: the first description was taken within the racy window
        var rows = Read();

        Assert.Equal("Running", rows.Single().State);
        Assert.Equal(0, source.LastDescribedCount);
    }

    [Fact]
    public void A_container_whose_monitor_dies_between_refreshes_shows_stale_at_once()
    {
        var monitor = StartRunning("web");
        Thread.Sleep(settle);
        Read();
        Read();
        Assert.Equal(0, source.LastDescribedCount);

        // Killed without writing an exit file: nothing in the state directory changes, only the pidfd tells.
        monitor.Kill();
        monitor.WaitForExit();
        var row = Read().Single();

        Assert.Equal("Stale", row.State);
        Assert.False(row.IsRunning);
        Assert.True(row.Failed);
    }

    [Fact]
    public void A_container_that_exits_between_refreshes_shows_its_exit()
    {
        var monitor = StartRunning("web");
        Thread.Sleep(settle);
        Read();
        Read();

        // As the helper does: the exit file first (renamed into place), then the monitor ends.
        WriteStateFile("web", "exit", "exited 3\n");
        monitor.Kill();
        monitor.WaitForExit();
        var row = Read().Single();

        Assert.Equal("Exited", row.State);
        Assert.Equal("exit code 3", row.EndReason);
    }

    [Fact]
    public void A_change_right_after_a_read_is_not_missed()
    {
        Create("job");
        Assert.Equal("Created", Read().Single().State);

        // Within the same clock tick as the read, if the file system's clock is coarse enough.
        StartRunning("job", create: false);
        Assert.Equal("Running", Read().Single().State);
    }

    [Fact]
    public void A_removed_container_disappears_and_one_made_again_under_its_name_is_new()
    {
        StartRunning("web");
        StartRunning("db");
        Thread.Sleep(settle);
        Read();
        Read();

        store.Delete("web");
        Assert.Equal(["db"], Read().Select(r => r.Name));

        Create("web");
        var rows = Read();
        Assert.Equal(["db", "web"], rows.Select(r => r.Name));
        Assert.Equal("Created", rows.Single(r => r.Name == "web").State);
    }

    [Fact]
    public void Many_unchanged_containers_are_checked_with_one_poll()
    {
        for (var i = 0; i < 20; i++)
        {
            StartRunning($"c{i:00}");
        }
        Thread.Sleep(settle);
        Read();
        Read();
        Assert.Equal(0, source.LastDescribedCount);

        // One of twenty dies: only it is described again.
        monitors[7].Kill();
        monitors[7].WaitForExit();
        var rows = Read();

        Assert.Equal(1, source.LastDescribedCount);
        Assert.Equal("Stale", rows.Single(r => r.Name == "c07").State);
        Assert.Equal(19, rows.Count(r => r.State == "Running"));
    }

    private List<ItemReading> Read()
    {
        var readings = new List<ItemReading>();
        source.Read(readings);
        return readings;
    }

    private void Create(string name)
    {
        store.Claim(name);
        store.Save(new ContainerState
        {
            Spec = new ContainerSpec { Name = name, RootFs = "/r", Command = ["sleep", "600"] },
            BootId = ContainerStore.CurrentBootId,
        });
    }

    /// <summary>A container whose runtime file names a real sleep process as its monitor and init.</summary>
    private Process StartRunning(string name, bool create = true)
    {
        if (create)
        {
            Create(name);
        }
        var monitor = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        monitors.Add(monitor);
        var start = ProcessIdentity.ReadStartTime(monitor.Id)!.Value;
        WriteStateFile(name, "runtime", $"monitor {monitor.Id} {start}\ninit {monitor.Id} {start}\n");
        return monitor;
    }

    /// <summary>Writes a state file the way the helper does: a temporary file renamed over the name.</summary>
    private void WriteStateFile(string name, string file, string text)
    {
        var temporary = Path.Combine(store.DirectoryOf(name), $".{file}.tmp");
        File.WriteAllText(temporary, text);
        File.Move(temporary, Path.Combine(store.DirectoryOf(name), file), overwrite: true);
    }
}
