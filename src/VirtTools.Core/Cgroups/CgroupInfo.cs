namespace VirtTools.Cgroups;

/// <summary>What Get-VirtCgroup returns: a group's limits, one stats reading and its processes, taken together.</summary>
public sealed record CgroupInfo(
    string Name,
    string Path,
    IReadOnlyList<string> Directories,
    CgroupLimits Limits,
    CgroupStats Stats,
    IReadOnlyList<int> ProcessIds);
