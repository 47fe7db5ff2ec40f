using System.Management.Automation;
using VirtTools.Machine;
using VirtTools.Machine.Remote;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Creates a machine: memory, devices, an accelerator VM and a vCPU with the image loaded, ready to start.</para>
/// </summary>
/// <remarks>
/// <para>New-VirtMachine builds a machine in the Created state: guest RAM mapped once and shared with the accelerator, the legacy devices (16550A UART on COM1, i8042, CMOS/RTC, debug-exit port 0xf4, and the 8259 PIC and 8254 PIT in user space unless the accelerator has its own), and the image loaded as -Format and -Mode say.</para>
/// <para>With -Image: a flat binary (started at -LoadAddress in -Mode Real, Protected or Long), an ELF32/ELF64 file, a multiboot v1 kernel, or a bzImage. With -Kernel: a Linux bzImage booted by the 64-bit boot protocol with -Initrd and -CommandLine.</para>
/// <para>The machine runs in its own VMM process (VirtTools.Vmm, compiled ahead of time; set VIRTTOOLS_VMM=dotnet for the framework-dependent one), with its state under /run/virttools/machines/&lt;name&gt;: every pwsh session on the host sees and controls it, and it outlives the pwsh that created it until Remove-VirtMachine. With -InProcess it lives in this pwsh process instead (for tests and debugging), until Remove-VirtMachine or until the module is removed, and other sessions do not see it.</para>
/// </remarks>
/// <example>
/// <code>New-VirtMachine -Name demo -Image ./guest.bin -Mode Long -LoadAddress 0x100000 | Start-VirtMachine</code>
/// <para>Creates a machine from a 64-bit flat binary and starts it.</para>
/// </example>
/// <example>
/// <code>New-VirtMachine -Name dbg -Accelerator Emulator -Image ./boot.bin -Mode Real -LoadAddress 0x7c00 -InProcess</code>
/// <para>Creates a machine in this pwsh process: no VMM process is started, and only this session sees it.</para>
/// </example>
/// <example>
/// <code>New-VirtMachine -Name linux -MemoryMB 256 -Kernel /boot/vmlinuz -Initrd ./initrd.cpio -CommandLine 'console=ttyS0'</code>
/// <para>Creates a machine that boots a Linux kernel with an initramfs.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "VirtMachine", SupportsShouldProcess = true, DefaultParameterSetName = "Image")]
[OutputType(typeof(VirtMachineInfo))]
public sealed class NewVirtMachineCommand : MachineImageCmdlet
{
    /// <summary>
    /// <para>A name for the machine, unique in this session.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>
    /// <para>Host the machine in this pwsh process instead of its own VMM process (for tests and debugging): only this session sees it, and it ends with the module.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter InProcess { get; set; }

    /// <summary>
    /// <para>Run the machine in its own VMM process. This is the default; the switch is kept for scripts written when it was not.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Detached { get; set; }

    protected override void EndProcessing()
    {
        if (InProcess && Detached)
        {
            ThrowTerminatingError(Infrastructure.ErrorRecords.Create("ParameterConflict", Diagnostics.VirtErrorKind.InvalidArgument,
                "-InProcess and -Detached contradict each other: a machine runs either in this pwsh or in its own VMM process", Name));
        }
        if (!ShouldProcess(Name, "Create machine"))
        {
            return;
        }
        try
        {
            var config = BuildConfig(Name);
            WriteObject(InProcess
                ? VirtMachineInfo.From(Invoke(() => MachineSession.Registry.Create(config)))
                : Invoke(() => VmmLauncher.Launch(config).Info()));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, Name);
        }
    }
}
