using System.Management.Automation;
using VirtTools.Cgroups;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Cgroups;

/// <summary>
/// What every cgroup cmdlet shares: one <see cref="CgroupManager"/> for the caller's own cgroups, and
/// turning names (with wildcards) or piped <see cref="CgroupInfo"/> objects into groups, reporting an
/// unknown literal name as a per-item CgroupNotFound error.
/// </summary>
public abstract class CgroupCommandBase : VirtCmdlet
{
    private CgroupManager? manager;

    /// <summary>The manager of groups under virttools/ below this process's cgroups.</summary>
    protected CgroupManager Manager => manager ??= CgroupManager.ForCurrentProcess();

    /// <summary>The groups <paramref name="names"/> and <paramref name="objects"/> denote, in order, each once.</summary>
    protected IEnumerable<Cgroup> Resolve(string[]? names, CgroupInfo[]? objects)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var info in objects ?? [])
        {
            if (ResolveOne(info.Name) is { } group && seen.Add(group.Name))
            {
                yield return group;
            }
        }
        foreach (var name in names ?? [])
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                IReadOnlyList<Cgroup> matches;
                try
                {
                    matches = Manager.List(name);
                }
                catch (Exception e) when (e is not PipelineStoppedException)
                {
                    WriteFailure(e, name);
                    continue;
                }
                foreach (var group in matches)
                {
                    if (seen.Add(group.Name))
                    {
                        yield return group;
                    }
                }
            }
            else if (ResolveOne(name) is { } group && seen.Add(group.Name))
            {
                yield return group;
            }
        }
    }

    private Cgroup? ResolveOne(string name)
    {
        try
        {
            return Manager.Open(name);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, name);
            return null;
        }
    }
}
