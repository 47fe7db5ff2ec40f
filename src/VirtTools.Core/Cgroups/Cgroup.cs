using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Serilog;
using Tmds.Linux;
using VirtTools.Cgroups.Resources;
using VirtTools.Diagnostics;

namespace VirtTools.Cgroups;

/// <summary>
/// One of our groups (virttools/&lt;name&gt;) across every hierarchy that carries a resource. Cheap to
/// create: it holds paths only. Get one from <see cref="CgroupManager"/>; reading stats is safe from
/// any thread, and one instance can be kept and read every second (the dashboard does).
/// </summary>
public sealed class Cgroup
{
    private static readonly ILogger log = VirtLog.For<Cgroup>();
    /// <summary>
    /// Made on the first <see cref="ReadStats"/>: building it resolves a dozen control-file paths, which
    /// was most of the cost of listing groups (the dashboard lists every group each refresh and reads
    /// them through readers of its own). Two threads racing here build equal readers; one is kept.
    /// </summary>
    private CgroupStatsReader? reader;

    internal Cgroup(string name, string relativePath, CgroupPlacement placement)
    {
        Name = name;
        RelativePath = relativePath;
        Placement = placement;
    }

    /// <summary>The group's name under the parent (demo).</summary>
    public string Name { get; }

    /// <summary>The path relative to the caller's cgroup in each hierarchy (virttools/demo).</summary>
    public string RelativePath { get; }

    /// <summary>The group's directory per resource.</summary>
    public CgroupPlacement Placement { get; }

    /// <summary>Every directory of the group, one per hierarchy used.</summary>
    public IReadOnlyList<string> Directories => Placement.Nodes.Select(n => n.Directory).ToList();

    /// <summary>Whether the group's primary directory exists.</summary>
    public bool Exists => Placement.Primary is { } p && Directory.Exists(p.Directory);

    /// <summary>Reads usage and event counters (see <see cref="CgroupStats"/> for what each layout has). Throws CgroupNotFound when the group is gone.</summary>
    public CgroupStats ReadStats()
    {
        var stats = LazyInitializer.EnsureInitialized(ref reader, () => new CgroupStatsReader(Placement, keepOpen: false)).Read(out var readAny);
        if (!readAny && !Exists)
        {
            throw NotFound();
        }
        return stats;
    }

    /// <summary>
    /// A reader that keeps this group's control files open and re-reads them with one pread each:
    /// several times cheaper per reading than <see cref="ReadStats"/> where syscalls are expensive.
    /// For samplers that read the same groups repeatedly; dispose it to close the files. After the
    /// group is removed its figures read as null.
    /// </summary>
    public CgroupStatsReader OpenStatsReader(CgroupFigures figures = CgroupFigures.All) => new(Placement, keepOpen: true, figures);

    /// <summary>Reads the limits in force; a null property means no limit (or no such knob on this layout).</summary>
    public CgroupLimits ReadLimits()
    {
        EnsureExists();
        var limits = new CgroupLimits();
        limits = MemoryWriter.Read(Placement, limits);
        limits = CpuWriter.Read(Placement, limits);
        limits = CpusetWriter.Read(Placement, limits);
        limits = PidsWriter.Read(Placement, limits);
        return IoWriter.Read(Placement, limits);
    }

    /// <summary>
    /// Sets the limits whose properties are not null and leaves the others alone. Every value is checked
    /// first (ids InvalidCgroup*, CgroupControllerMissing), so a bad one changes nothing.
    /// </summary>
    public void SetLimits(CgroupLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        EnsureExists();
        Check(limits, Placement, Name);
        MemoryWriter.Apply(Placement, limits, log);
        CpuWriter.Apply(Placement, limits, log);
        CpusetWriter.Apply(Placement, limits, log);
        PidsWriter.Apply(Placement, limits, log);
        IoWriter.Apply(Placement, limits, log);
        log.Information("Set limits of cgroup {Name}", Name);
    }

    /// <summary>Validates values and that a hierarchy carries each resource asked for.</summary>
    internal static void Check(CgroupLimits limits, CgroupPlacement at, string name)
    {
        limits.Validate(Environment.ProcessorCount);
        void Need(bool wanted, CgroupNode? node, string controller)
        {
            if (wanted && node is null)
            {
                throw new VirtToolsException("CgroupControllerMissing", VirtErrorKind.NotSupported,
                    $"Cannot limit {controller} of cgroup '{name}': no hierarchy on this host carries the {controller} controller.", name);
            }
        }
        Need(limits.MemoryMax is not null || limits.MemoryHigh is not null || limits.SwapMax is not null, at.Memory, "memory");
        Need(limits.Cpus is not null || limits.CpuWeight is not null, at.Cpu, "cpu");
        Need(limits.CpusetCpus is not null, at.Cpuset, "cpuset");
        Need(limits.PidsMax is not null, at.Pids, "pids");
        Need(limits.IoWeight is not null || limits.IoMax is { Count: > 0 }, at.Io, "io");
    }

    /// <summary>Moves a process (all its threads) into the group in every hierarchy.</summary>
    public void AddProcess(int pid)
    {
        if (pid <= 0)
        {
            throw new VirtToolsException("InvalidProcessId", VirtErrorKind.InvalidArgument, $"Invalid process id '{pid}': use the id of a running process.", pid);
        }
        EnsureExists();
        foreach (var node in Placement.Nodes)
        {
            var errno = CgroupFile.TryWrite(node.File("cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
            if (errno == Errno.ESRCH)
            {
                throw new VirtToolsException("ProcessNotFound", VirtErrorKind.NotFound, $"Cannot add process {pid} to cgroup '{Name}': no such process.", pid);
            }
            if (errno != 0)
            {
                throw Errno.Failure($"write '{pid}' to '{node.File("cgroup.procs")}'", errno, "CgroupAddProcessFailed", pid);
            }
        }
        log.Information("Moved process {Pid} into cgroup {Name}", pid, Name);
    }

    /// <summary>Process ids in the group, from every hierarchy (a process moved by hand into only one still counts).</summary>
    public IReadOnlyList<int> GetProcesses()
    {
        var pids = new SortedSet<int>();
        foreach (var node in Placement.Nodes)
        {
            foreach (var line in (CgroupFile.TryReadText(node.File("cgroup.procs")) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    pids.Add(pid);
                }
            }
        }
        return pids.ToList();
    }

    /// <summary>
    /// Kills every process of the group with SIGKILL and waits until the group is empty. Uses cgroup.kill
    /// where the v2 hierarchy has it (no fork race), then kills what is left pid by pid, repeating so a
    /// process forked meanwhile is caught too. Returns how many processes there were to kill.
    /// </summary>
    public int Kill(TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)((timeout ?? TimeSpan.FromSeconds(5)).TotalSeconds * Stopwatch.Frequency);
        var signalled = new HashSet<int>(GetProcesses());
        if (Placement.Unified is { } unified && File.Exists(unified.File("cgroup.kill")))
        {
            CgroupFile.TryWrite(unified.File("cgroup.kill"), "1");
        }
        while (true)
        {
            var pids = GetProcesses();
            if (pids.Count == 0)
            {
                break;
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new VirtToolsException("CgroupKillTimeout", VirtErrorKind.Timeout,
                    $"Cgroup '{Name}' still has processes after SIGKILL: {string.Join(", ", pids)}.", Name);
            }
            foreach (var pid in pids)
            {
                LibC.kill(pid, LibC.SIGKILL);
                signalled.Add(pid);
            }
            Thread.Sleep(5);
        }
        if (signalled.Count > 0)
        {
            log.Information("Killed {Count} processes of cgroup {Name}", signalled.Count, Name);
        }
        return signalled.Count;
    }

    /// <summary>
    /// Removes the group's directory from every hierarchy. With live processes it throws CgroupBusy and
    /// changes nothing, unless <paramref name="force"/>, which kills them first.
    /// </summary>
    public void Remove(bool force = false)
    {
        EnsureExists();
        var pids = GetProcesses();
        if (pids.Count > 0)
        {
            if (!force)
            {
                throw new VirtToolsException("CgroupBusy", VirtErrorKind.ResourceBusy,
                    $"Cgroup '{Name}' has live processes ({string.Join(", ", pids.Take(10))}{(pids.Count > 10 ? ", ..." : "")}): stop them first, or use -Force to kill them.", Name);
            }
            Kill();
        }
        RemoveDirectories(Placement, Name);
        log.Information("Removed cgroup {Name}", Name);
    }

    /// <summary>rmdir in every hierarchy; an exiting process can keep a group busy for a moment, so EBUSY is retried briefly.</summary>
    internal static void RemoveDirectories(CgroupPlacement placement, string name)
    {
        foreach (var node in placement.Nodes.Reverse())
        {
            var bytes = CgroupFile.PathBytes(node.Directory);
            for (var attempt = 0; ; attempt++)
            {
                int rc;
                unsafe
                {
                    fixed (byte* p = bytes)
                    {
                        rc = LibC.rmdir(p);
                    }
                }
                var errno = rc == 0 ? 0 : Errno.Last;
                if (errno is 0 or Errno.ENOENT)
                {
                    break;
                }
                if (errno == Errno.EBUSY && attempt < 200)
                {
                    Thread.Sleep(5);
                    continue;
                }
                throw Errno.Failure($"rmdir '{node.Directory}'", errno, "CgroupRemoveFailed", name);
            }
        }
    }

    /// <summary>
    /// Waits until one of <paramref name="kinds"/> happens, measured against <paramref name="since"/>
    /// (a reading taken earlier, e.g. right after creating the group; default: now, so only new events
    /// count). Counters are polled (every 20 ms by default) on every layout: v2 memory.events and
    /// pids.events, v1 memory.oom_control, memory.failcnt and pids.events. Throws CgroupWaitTimeout.
    /// </summary>
    public async Task<CgroupEvent> WaitForEventAsync(CgroupEventKinds kinds, CgroupStats? since = null, TimeSpan? timeout = null,
        TimeSpan? pollInterval = null, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t && t != Timeout.InfiniteTimeSpan)
        {
            limit.CancelAfter(t);
        }
        try
        {
            await foreach (var e in WatchAsync(kinds, since, pollInterval, limit.Token).ConfigureAwait(false))
            {
                return e;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        throw new VirtToolsException("CgroupWaitTimeout", VirtErrorKind.Timeout,
            $"No {kinds} event in cgroup '{Name}' within {timeout?.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", Name);
    }

    /// <summary>Yields an event each time a counter of <paramref name="kinds"/> grows, until cancelled.</summary>
    public async IAsyncEnumerable<CgroupEvent> WatchAsync(CgroupEventKinds kinds, CgroupStats? since = null, TimeSpan? pollInterval = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(20);
        var previous = since ?? ReadStats();
        var wasEmpty = previous.PidsCurrent is 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = ReadStats();
            foreach (var (kind, before, after) in Counters(previous, now))
            {
                if ((kinds & kind) != 0 && after > before)
                {
                    yield return new CgroupEvent(Name, kind, after.Value - before, now);
                }
            }
            var empty = now.PidsCurrent is { } n ? n == 0 : GetProcesses().Count == 0;
            if ((kinds & CgroupEventKinds.Empty) != 0 && empty && !wasEmpty)
            {
                yield return new CgroupEvent(Name, CgroupEventKinds.Empty, 1, now);
            }
            wasEmpty = empty;
            // A counter that could not be read this time keeps its last value: reading it as 0 would
            // report its whole count again as new events on the next reading.
            previous = now with
            {
                OomKillCount = now.OomKillCount ?? previous.OomKillCount,
                OomCount = now.OomCount ?? previous.OomCount,
                MemoryMaxHits = now.MemoryMaxHits ?? previous.MemoryMaxHits,
                PidsMaxHits = now.PidsMaxHits ?? previous.PidsMaxHits,
                CpuThrottledCount = now.CpuThrottledCount ?? previous.CpuThrottledCount,
            };
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Each counter before and after; a baseline without the counter counts from 0, an unreadable reading compares as no change.</summary>
    private static IEnumerable<(CgroupEventKinds, long, long?)> Counters(CgroupStats a, CgroupStats b)
    {
        yield return (CgroupEventKinds.OomKill, a.OomKillCount ?? 0, b.OomKillCount);
        yield return (CgroupEventKinds.Oom, a.OomCount ?? 0, b.OomCount);
        yield return (CgroupEventKinds.MemoryMax, a.MemoryMaxHits ?? 0, b.MemoryMaxHits);
        yield return (CgroupEventKinds.PidsMax, a.PidsMaxHits ?? 0, b.PidsMaxHits);
        yield return (CgroupEventKinds.CpuThrottled, a.CpuThrottledCount ?? 0, b.CpuThrottledCount);
    }

    /// <summary>A snapshot of limits and stats, as Get-VirtCgroup shows it.</summary>
    public CgroupInfo Describe() => new(Name, RelativePath, Directories, ReadLimits(), ReadStats(), GetProcesses());

    private void EnsureExists()
    {
        if (!Exists)
        {
            throw NotFound();
        }
    }

    private VirtToolsException NotFound() => CgroupManager.NotFound(Name);

    public override string ToString() => RelativePath;
}
