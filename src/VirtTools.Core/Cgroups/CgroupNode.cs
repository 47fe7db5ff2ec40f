namespace VirtTools.Cgroups;

/// <summary>A group's directory in one hierarchy, and that hierarchy's cgroup version (which picks the file names).</summary>
public sealed record CgroupNode(string Directory, int Version)
{
    public bool IsV2 => Version == 2;

    /// <summary>The path of a control file in this directory.</summary>
    public string File(string name) => Path.Join(Directory, name);
}
