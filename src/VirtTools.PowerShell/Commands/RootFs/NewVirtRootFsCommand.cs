using System.Management.Automation;
using VirtTools.Diagnostics;
using VirtTools.PowerShell.Infrastructure;
using VirtTools.RootFs;

namespace VirtTools.PowerShell.Commands.RootFs;

/// <summary>
/// <para type="synopsis">Builds a container root filesystem from this host's own programs, its static busybox, or a tarball.</para>
/// </summary>
/// <remarks>
/// <para>New-VirtRootFs needs no download. For each -Command it copies the host program and every shared library it needs, found as the dynamic loader would: DT_NEEDED entries of the ELF dynamic section, searched in DT_RPATH/DT_RUNPATH, ld.so.conf and the default directories, recursively, plus the PT_INTERP interpreter.</para>
/// <para>-Busybox adds the host's static busybox (package busybox-static) with a link for every applet; -FromTarball unpacks a .tar or .tar.gz root filesystem first. Then it writes /etc/passwd, group, hosts and resolv.conf (where missing) and creates empty /proc, /sys, /dev and /tmp.</para>
/// <para>An existing non-empty directory is only replaced with -Force.</para>
/// </remarks>
/// <example>
/// <code>New-VirtRootFs -Path /tmp/rootfs -Command sh,cat,hostname,head,tail,sleep -Force</code>
/// <para>Builds a small rootfs with dash and five coreutils programs and their libraries.</para>
/// </example>
/// <example>
/// <code>New-VirtRootFs -Path /tmp/bb -Busybox</code>
/// <para>Builds a rootfs with busybox and its 300-odd applets.</para>
/// </example>
/// <example>
/// <code>New-VirtRootFs -Path /tmp/alpine -FromTarball ./alpine-minirootfs.tar.gz</code>
/// <para>Unpacks a rootfs tarball, showing progress.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "VirtRootFs", SupportsShouldProcess = true)]
[OutputType(typeof(RootFsInfo))]
public sealed class NewVirtRootFsCommand : VirtCmdlet
{
    /// <summary>
    /// <para>The directory to build the root filesystem in.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>
    /// <para>Host programs to copy, by name (looked up in the standard PATH directories) or absolute path.</para>
    /// </summary>
    [Parameter(Position = 1)]
    public string[] Command { get; set; } = [];

    /// <summary>
    /// <para>Add the host's static busybox and a link for each applet.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Busybox { get; set; }

    /// <summary>
    /// <para>A .tar or .tar.gz root filesystem to unpack first.</para>
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FromTarball { get; set; }

    /// <summary>
    /// <para>Replace the directory if it exists and is not empty.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(path, "Build root filesystem"))
        {
            return;
        }
        try
        {
            var tarball = FromTarball is null ? null : GetUnresolvedProviderPathFromPSPath(FromTarball);
            var options = new RootFsOptions(path, Command, Busybox, tarball, Force);
            WriteObject(Invoke(() => new RootFsBuilder(new ProgressAdapter(this)).Build(options)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, path);
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, "New-VirtRootFs", "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>Kept out of the cmdlet type itself, which must not name VirtTools.Core types (see ContainerSpecCommandBase).</summary>
    private sealed class ProgressAdapter(Cmdlet cmdlet) : IProgressSink
    {
        public void Report(string activity, string status, int percent) =>
            cmdlet.WriteProgress(new ProgressRecord(1, activity, status) { PercentComplete = Math.Clamp(percent, -1, 100) });
    }
}
