namespace VirtTools.Cgroups;

/// <summary>
/// An event seen on a group: which kind, by how much its counter grew since watching started
/// (or since the previous event), and the stats reading that showed it.
/// </summary>
public sealed record CgroupEvent(string Group, CgroupEventKinds Kind, long Increase, CgroupStats Stats);
