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
/// <para>Without -Detached, the machine lives in this pwsh process (in-process mode) until Remove-VirtMachine or until the module is removed. With -Detached it runs in its own VMM process (dotnet VirtTools.Vmm.dll), with its state under /run/virttools/machines/&lt;name&gt;, and every pwsh session on the host sees and controls it.</para>
/// </remarks>
/// <example>
/// <code>New-VirtMachine -Name demo -Image ./guest.bin -Mode Long -LoadAddress 0x100000 | Start-VirtMachine</code>
/// <para>Creates a machine from a 64-bit flat binary and starts it.</para>
/// </example>
/// <example>
/// <code>New-VirtMachine -Name svc -Image ./guest.bin -Detached | Start-VirtMachine</code>
/// <para>Creates a machine in its own VMM process and starts it; Get-VirtMachine in any other pwsh lists it.</para>
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
    /// <para>Run the machine in its own VMM process, controlled over a Unix socket and visible host-wide under /run/virttools.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Detached { get; set; }

    protected override void EndProcessing()
    {
        if (!ShouldProcess(Name, "Create machine"))
        {
            return;
        }
        try
        {
            var config = BuildConfig(Name);
            WriteObject(Detached
                ? Invoke(() => VmmLauncher.Launch(config).Info())
                : VirtMachineInfo.From(Invoke(() => MachineSession.Registry.Create(config))));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, Name);
        }
    }
}
