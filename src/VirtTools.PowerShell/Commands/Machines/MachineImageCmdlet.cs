using System.Management.Automation;
using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// The parameters that describe a machine and what it boots (New-VirtMachine, Invoke-VirtMachine).
/// Enumerations from VirtTools.Core are taken as validated strings: a field of a Core value type would
/// make PowerShell load VirtTools.Core while it scans the cmdlet types, before the module's
/// AssemblyLoadContext is in place.
/// </summary>
public abstract class MachineImageCmdlet : VirtCmdlet
{
    /// <summary>
    /// <para>Guest RAM in MiB (default 64).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(2, 1 << 20)]
    public ulong MemoryMB { get; set; } = 64;

    /// <summary>
    /// <para>Number of vCPUs (KVM with its in-kernel irqchip only for more than one: the guest starts the others with INIT-SIPI-SIPI, and finds them in the MP table). At most 254, or the host's KVM_CAP_MAX_VCPUS if lower.</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ProcessorCount { get; set; } = 1;

    /// <summary>
    /// <para>Which engine runs the vCPU: Auto (KVM, then WHP, then the emulator), Kvm, Whp or Emulator.</para>
    /// </summary>
    [Parameter]
    [ValidateSet("Auto", "Kvm", "Whp", "Emulator")]
    public string Accelerator { get; set; } = "Auto";

    /// <summary>
    /// <para>Keep the interrupt controller and the PIT in VirtTools (the user-space 8259 and 8254 models) even where the accelerator has its own.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter UserSpaceDevices { get; set; }

    /// <summary>
    /// <para>The image to boot: a flat binary, an ELF file, a multiboot kernel or a bzImage (see -Format).</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = "Image")]
    [ValidateNotNullOrEmpty]
    public string Image { get; set; } = "";

    /// <summary>
    /// <para>How to read -Image: Auto (guess from the contents), Flat, Elf, Multiboot or Linux.</para>
    /// </summary>
    [Parameter(ParameterSetName = "Image")]
    [ValidateSet("Auto", "Flat", "Elf", "Multiboot", "Linux")]
    public string Format { get; set; } = "Auto";

    /// <summary>
    /// <para>CPU mode for a flat binary: Real (starts at 0000:LoadAddress), Protected (flat 32-bit segments) or Long (identity-mapped page tables, GDT and stack built by the loader).</para>
    /// </summary>
    [Parameter(ParameterSetName = "Image")]
    [ValidateSet("Real", "Protected", "Long")]
    public string Mode { get; set; } = "Long";

    /// <summary>
    /// <para>Guest physical address a flat binary is loaded at and started from (default 0x100000).</para>
    /// </summary>
    [Parameter(ParameterSetName = "Image")]
    public ulong LoadAddress { get; set; } = 0x100000;

    /// <summary>
    /// <para>A Linux bzImage, booted by the 64-bit boot protocol.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = "Kernel")]
    [ValidateNotNullOrEmpty]
    public string Kernel { get; set; } = "";

    /// <summary>
    /// <para>An initramfs for -Kernel (for example from New-VirtInitramfs).</para>
    /// </summary>
    [Parameter(ParameterSetName = "Kernel")]
    public string? Initrd { get; set; }

    /// <summary>
    /// <para>The kernel command line (Linux and multiboot images).</para>
    /// </summary>
    [Parameter]
    public string? CommandLine { get; set; }

    /// <summary>Reads the files and assembles the configuration for a machine named <paramref name="name"/>.</summary>
    protected MachineConfig BuildConfig(string name)
    {
        LoadRequest boot = ParameterSetName == "Kernel"
            ? new LoadRequest(ReadFile(Kernel), ImageFormat.Linux, CpuMode.Long, MachineLayout.HighMemory, CommandLine,
                Initrd is null ? null : ReadFile(Initrd))
            : new LoadRequest(ReadFile(Image), Enum.Parse<ImageFormat>(Format, ignoreCase: true), Enum.Parse<CpuMode>(Mode, ignoreCase: true),
                LoadAddress, CommandLine);
        return new MachineConfig
        {
            Name = name,
            MemoryBytes = MemoryMB << 20,
            ProcessorCount = ProcessorCount,
            Accelerator = Enum.Parse<AcceleratorKind>(Accelerator, ignoreCase: true),
            InKernelDevices = !UserSpaceDevices,
            Boot = boot,
        };
    }

    private byte[] ReadFile(string path)
    {
        var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        if (!File.Exists(full))
        {
            throw new Diagnostics.VirtToolsException("PathNotFound", Diagnostics.VirtErrorKind.NotFound, $"file '{full}' does not exist", full);
        }
        return File.ReadAllBytes(full);
    }
}
