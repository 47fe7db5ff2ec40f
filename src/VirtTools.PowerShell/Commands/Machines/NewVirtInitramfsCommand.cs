using System.Management.Automation;
using VirtTools.Machine.Initramfs;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Writes an initramfs (an uncompressed newc cpio archive) from a folder, an init program, or both.</para>
/// </summary>
/// <remarks>
/// <para>New-VirtInitramfs packs the tree under -Path (directories, files with their permission bits, symlinks) and, with -Init, the given program as /init; it always adds /dev/console, which the kernel opens for init before any devtmpfs exists. Everything is owned by root. The Linux kernel unpacks the archive as its initramfs; pass it to New-VirtMachine or Invoke-VirtMachine with -Initrd.</para>
/// </remarks>
/// <example>
/// <code>New-VirtInitramfs -Init ./init -Destination ./initrd.cpio</code>
/// <para>Makes an initramfs whose /init is the given static program.</para>
/// </example>
/// <example>
/// <code>New-VirtInitramfs -Path ./rootfs -Destination ./initrd.cpio -Force</code>
/// <para>Packs a whole root file system, replacing an existing archive.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "VirtInitramfs", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class NewVirtInitramfsCommand : Infrastructure.VirtCmdlet
{
    /// <summary>
    /// <para>A folder whose tree becomes the root of the initramfs.</para>
    /// </summary>
    [Parameter(Position = 0)]
    public string? Path { get; set; }

    /// <summary>
    /// <para>A program to place at /init (mode 0755): the first process the kernel starts.</para>
    /// </summary>
    [Parameter]
    public string? Init { get; set; }

    /// <summary>
    /// <para>The archive to write.</para>
    /// </summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>
    /// <para>Replace the destination if it exists.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        var destination = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination);
        try
        {
            if (File.Exists(destination) && !Force)
            {
                throw new Diagnostics.VirtToolsException("DestinationExists", Diagnostics.VirtErrorKind.AlreadyExists,
                    $"'{destination}' exists; use -Force to replace it", destination);
            }
            if (!ShouldProcess(destination, "Write initramfs"))
            {
                return;
            }
            var folder = Path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            var init = Init is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Init);
            Invoke(() => InitramfsBuilder.Build(destination, folder, init));
            WriteObject(new FileInfo(destination));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, destination);
        }
    }
}
