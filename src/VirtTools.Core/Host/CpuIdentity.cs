using System.Runtime.Intrinsics.X86;
using System.Text;

namespace VirtTools.Host;

/// <summary>What CPUID itself says about the processor we run on (not /proc/cpuinfo).</summary>
public sealed record CpuIdentity(
    string Vendor,
    string Model,
    int Family,
    int ModelNumber,
    int Stepping,
    int LogicalProcessors,
    bool Vmx,
    bool Svm,
    bool HypervisorBit,
    bool LongMode)
{
    /// <summary>VT-x or AMD-V is exposed to this operating system.</summary>
    public bool HardwareVirtualization => Vmx || Svm;

    /// <summary>Executes CPUID. Null where the process does not run on x86.</summary>
    public static CpuIdentity? Read()
    {
        if (!X86Base.IsSupported)
        {
            return null;
        }
        var (maxLeaf, b0, c0, d0) = X86Base.CpuId(0, 0);
        var vendor = Ascii(b0, d0, c0);

        var (a1, _, c1, _) = maxLeaf >= 1 ? X86Base.CpuId(1, 0) : (0, 0, 0, 0);
        // Leaf 1 EAX: stepping [3:0], model [7:4], family [11:8], extended model [19:16], extended family [27:20].
        var family = (a1 >> 8) & 0xf;
        var model = (a1 >> 4) & 0xf;
        if (family == 0xf)
        {
            family += (a1 >> 20) & 0xff;
        }
        if (family is 0x6 or >= 0xf)
        {
            model |= ((a1 >> 16) & 0xf) << 4;
        }

        var (maxExt, _, _, _) = X86Base.CpuId(unchecked((int)0x80000000), 0);
        var extMax = unchecked((uint)maxExt);
        var (_, _, c81, d81) = extMax >= 0x80000001 ? X86Base.CpuId(unchecked((int)0x80000001), 0) : (0, 0, 0, 0);

        var brand = new StringBuilder();
        if (extMax >= 0x80000004)
        {
            for (var leaf = 0x80000002u; leaf <= 0x80000004u; leaf++)
            {
                var (a, b, c, d) = X86Base.CpuId(unchecked((int)leaf), 0);
                brand.Append(Ascii(a, b, c, d));
            }
        }

        return new CpuIdentity(
            vendor,
            brand.ToString().Trim(),
            family,
            model,
            a1 & 0xf,
            Environment.ProcessorCount,
            Vmx: (c1 & (1 << 5)) != 0,       // CPUID.1:ECX.VMX[bit 5]  (Intel SDM vol. 2A, CPUID)
            Svm: (c81 & (1 << 2)) != 0,      // CPUID.80000001h:ECX.SVM[bit 2]  (AMD APM vol. 3)
            HypervisorBit: (c1 & (1 << 31)) != 0, // CPUID.1:ECX[bit 31], reserved for hypervisors to set
            LongMode: (d81 & (1 << 29)) != 0);    // CPUID.80000001h:EDX.LM[bit 29]
    }

    internal static string Ascii(params int[] registers)
    {
        var bytes = new byte[registers.Length * 4];
        for (var i = 0; i < registers.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), registers[i]);
        }
        return Encoding.ASCII.GetString(bytes).TrimEnd('\0');
    }
}
