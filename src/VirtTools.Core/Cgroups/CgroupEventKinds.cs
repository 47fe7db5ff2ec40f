namespace VirtTools.Cgroups;

/// <summary>Things a group can report happening, as counters that only grow (see <see cref="Cgroup.WaitForEventAsync"/>).</summary>
[Flags]
public enum CgroupEventKinds
{
    None = 0,
    /// <summary>The OOM killer killed a process of the group.</summary>
    OomKill = 1,
    /// <summary>The group ran out of memory (v2 only; v1 reports kills only).</summary>
    Oom = 2,
    /// <summary>The hard memory limit was hit (reclaim started).</summary>
    MemoryMax = 4,
    /// <summary>A fork was refused at pids.max.</summary>
    PidsMax = 8,
    /// <summary>The CPU quota throttled the group.</summary>
    CpuThrottled = 16,
    /// <summary>The last process left the group.</summary>
    Empty = 32,
    /// <summary>Any limit hit: OOM kill, OOM, memory max, pids max.</summary>
    LimitHit = OomKill | Oom | MemoryMax | PidsMax,
}
