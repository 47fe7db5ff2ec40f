using System.Collections;
using System.Management.Automation;
using VirtTools.Isolation;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// The parameters that define a new container, shared by New-VirtContainer and Invoke-VirtContainer.
/// Enum-like parameters are strings with ValidateSet: a field of a VirtTools.Core value type would make
/// PowerShell load VirtTools.Core while it imports the cmdlets, before the module's load context is in
/// place (see ModuleInitializer).
/// </summary>
public abstract class ContainerSpecCommandBase : VirtCmdlet
{
    private protected ContainerRuntime Runtime { get; } = new();

    protected const string ByRootFs = "RootFs";

    /// <summary>
    /// <para>The root filesystem directory (see New-VirtRootFs).</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string RootFs { get; set; } = "";

    /// <summary>
    /// <para>The command and its arguments, e.g. sh,-c,'echo hi'. Looked up in the container's PATH.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[] Command { get; set; } = [];

    /// <summary>
    /// <para>Chroot (escapable, a demonstration), Namespaces, or Container (the default: namespaces plus cgroups, reduced capabilities, no_new_privs, seccomp, masked /proc).</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs)]
    [ValidateSet("Chroot", "Namespaces", "Container", IgnoreCase = true)]
    public string Isolation { get; set; } = "Container";

    /// <summary>
    /// <para>None (the default: its own network namespace with loopback up) or Host.</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs)]
    [ValidateSet("None", "Host", IgnoreCase = true)]
    public string Network { get; set; } = "None";

    /// <summary>
    /// <para>The hostname inside (Namespaces and Container levels).</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs)]
    [ValidateNotNullOrEmpty]
    public string? Hostname { get; set; }

    /// <summary>
    /// <para>Bind mounts as host:container[:ro], e.g. /srv/data:/data:ro.</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs)]
    public string[] Volume { get; set; } = [];

    /// <summary>
    /// <para>Environment variables for the command, as a hashtable; PATH and HOME have defaults, nothing else is inherited.</para>
    /// </summary>
    [Parameter]
    public Hashtable? Environment { get; set; }

    /// <summary>
    /// <para>The working directory inside (default /).</para>
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// <para>The user to run as: a uid or a name from the rootfs's /etc/passwd (default root).</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs)]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    /// <summary>
    /// <para>The group to run as: a gid or a name from the rootfs's /etc/group (default the user's primary group).</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs)]
    [ValidateNotNullOrEmpty]
    public string? Group { get; set; }

    /// <summary>
    /// <para>Memory limit in bytes, e.g. 64MB. Exceeding it gets the container's processes OOM-killed.</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs)]
    [ValidateRange(4096, long.MaxValue)]
    public long? Memory { get; set; }

    /// <summary>
    /// <para>The most tasks (processes and threads) the container may have.</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs)]
    [ValidateRange(1, long.MaxValue)]
    public long? PidsLimit { get; set; }

    /// <summary>
    /// <para>CPU bandwidth in CPUs, e.g. 0.5 for half of one CPU.</para>
    /// </summary>
    [Parameter(ParameterSetName = ByRootFs)]
    [ValidateRange(0.01, 1024.0)]
    public double? Cpu { get; set; }

    protected IReadOnlyDictionary<string, string> EnvironmentMap()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment ?? new Hashtable())
        {
            map[entry.Key.ToString() ?? ""] = entry.Value?.ToString() ?? "";
        }
        return map;
    }

    /// <summary>The spec these parameters describe, for a container called <paramref name="name"/>.</summary>
    protected ContainerSpec BuildSpec(string name)
    {
        var rootfs = GetUnresolvedProviderPathFromPSPath(RootFs);
        var (uid, gid) = ContainerSpecValidator.ResolveUser(rootfs, User, Group);
        return new ContainerSpec
        {
            Name = name,
            RootFs = rootfs,
            Command = Command,
            Isolation = Enum.Parse<IsolationLevel>(Isolation, ignoreCase: true),
            Network = Enum.Parse<NetworkMode>(Network, ignoreCase: true),
            Hostname = Hostname,
            Environment = EnvironmentMap(),
            WorkingDirectory = WorkingDirectory ?? "/",
            UserId = uid,
            GroupId = gid,
            Volumes = Volume.Select(VolumeMount.Parse).ToList(),
            Limits = new ContainerLimits(Memory, PidsLimit, Cpu),
        };
    }
}
