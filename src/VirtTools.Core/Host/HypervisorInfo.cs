using System.Runtime.Intrinsics.X86;

namespace VirtTools.Host;

/// <summary>The hypervisor below us, if any, and how we know.</summary>
/// <param name="Name">Friendly name (KVM, Microsoft Hyper-V, VMware, Xen, bhyve, QEMU TCG, ...), or null on bare metal.</param>
/// <param name="Signature">The 12-byte vendor signature of CPUID leaf 0x40000000 (or the DMI string used instead).</param>
/// <param name="Source">Cpuid, Dmi, or None.</param>
public sealed record HypervisorInfo(string? Name, string? Signature, string Source)
{
    /// <summary>Known CPUID hypervisor signatures (leaf 0x40000000 EBX:ECX:EDX), as systemd-detect-virt knows them.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Signatures = new Dictionary<string, string>
    {
        ["KVMKVMKVM"] = "KVM",
        ["Linux KVM Hv"] = "KVM (Hyper-V enlightenments)",
        ["Microsoft Hv"] = "Microsoft Hyper-V",
        ["VMwareVMware"] = "VMware",
        ["XenVMMXenVMM"] = "Xen",
        ["bhyve bhyve "] = "bhyve",
        ["TCGTCGTCGTCG"] = "QEMU TCG",
        ["VBoxVBoxVBox"] = "VirtualBox",
        [" lrpepyh  vr"] = "Parallels",
        ["ACRNACRNACRN"] = "ACRN",
        ["QNXQVMBSQG"] = "QNX",
        ["SRESRESRESRE"] = "Apple Virtualization",
    };

    /// <summary>DMI strings that name a virtual platform when CPUID has no signature.</summary>
    private static readonly (string Needle, string Name)[] dmiNames =
    [
        ("KVM", "KVM"), ("QEMU", "QEMU"), ("VMware", "VMware"), ("VirtualBox", "VirtualBox"), ("innotek", "VirtualBox"),
        ("Xen", "Xen"), ("Bochs", "Bochs"), ("Parallels", "Parallels"), ("BHYVE", "bhyve"),
        ("Microsoft Corporation Virtual Machine", "Microsoft Hyper-V"), ("Amazon EC2", "Amazon EC2"), ("Google Compute Engine", "Google"),
    ];

    public static HypervisorInfo Detect(CpuIdentity? cpu, string dmiRoot = "/sys/class/dmi/id")
    {
        if (cpu is { HypervisorBit: true } && X86Base.IsSupported)
        {
            // Xen with Viridian moves its own leaves up by 0x100; scan like systemd does.
            for (var leaf = 0x40000000u; leaf < 0x40010000u; leaf += 0x100)
            {
                var (max, b, c, d) = X86Base.CpuId(unchecked((int)leaf), 0);
                var signature = CpuIdentity.Ascii(b, c, d);
                if (Signatures.TryGetValue(signature, out var name))
                {
                    return new HypervisorInfo(name, signature, "Cpuid");
                }
                if (leaf == 0x40000000u && unchecked((uint)max) < 0x40000000u)
                {
                    break;
                }
            }
        }
        foreach (var file in new[] { "sys_vendor", "product_name", "bios_vendor", "board_vendor" })
        {
            var text = ReadTrimmed(Path.Combine(dmiRoot, file));
            if (text is null)
            {
                continue;
            }
            foreach (var (needle, name) in dmiNames)
            {
                if (text.Contains(needle, StringComparison.OrdinalIgnoreCase))
                {
                    return new HypervisorInfo(name, text, "Dmi");
                }
            }
        }
        if (cpu is { HypervisorBit: true })
        {
            return new HypervisorInfo("Unknown", null, "Cpuid");
        }
        return new HypervisorInfo(null, null, "None");
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
