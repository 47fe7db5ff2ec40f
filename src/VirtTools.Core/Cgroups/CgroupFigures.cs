namespace VirtTools.Cgroups;

/// <summary>
/// Which figures a <see cref="CgroupStatsReader"/> reads. Each is one or two control files, and each
/// file is a system call and a kernel formatting pass per reading: a sampler that shows only some
/// figures (the dashboard: CPU, memory, pids and their limit events) reads only those files.
/// </summary>
[Flags]
public enum CgroupFigures
{
    /// <summary>memory.current (v1 usage_in_bytes) and the limit events (memory.events; v1 failcnt and oom_control).</summary>
    Memory = 1,
    /// <summary>memory.peak (v1 max_usage_in_bytes).</summary>
    MemoryPeak = 2,
    /// <summary>CPU usage and throttling (cpu.stat; v1 cpuacct.usage too).</summary>
    Cpu = 4,
    /// <summary>pids.current and pids.events.</summary>
    Pids = 8,
    /// <summary>io.stat (v1 blkio.throttle.io_service_bytes_recursive).</summary>
    Io = 16,
    /// <summary>cpu.pressure, memory.pressure and io.pressure.</summary>
    Pressure = 32,
    All = Memory | MemoryPeak | Cpu | Pids | Io | Pressure,
}
