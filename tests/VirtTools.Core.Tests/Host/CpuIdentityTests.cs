using VirtTools.Host;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Host;

/// <summary>CPUID as we execute it must agree with the kernel's reading of the same instruction.</summary>
public sealed class CpuIdentityTests
{
    private readonly CpuIdentity cpu = CpuIdentity.Read() ?? throw new InvalidOperationException("these tests run on x86-64");
    private readonly ProcCpuInfo kernel = new();

    [Fact]
    public void VendorAndModelMatchTheKernel()
    {
        Assert.Equal(kernel["vendor_id"], cpu.Vendor);
        Assert.Equal(kernel["model name"], cpu.Model);
        Assert.Equal(int.Parse(kernel["cpu family"]), cpu.Family);
        Assert.Equal(int.Parse(kernel["model"]), cpu.ModelNumber);
        Assert.Equal(int.Parse(kernel["stepping"]), cpu.Stepping);
    }

    [Fact]
    public void VirtualizationAndHypervisorBitsMatchTheKernelFlags()
    {
        var flags = kernel.Flags;
        Assert.Equal(flags.Contains("vmx"), cpu.Vmx);
        Assert.Equal(flags.Contains("svm"), cpu.Svm);
        Assert.Equal(flags.Contains("hypervisor"), cpu.HypervisorBit);
        Assert.Equal(flags.Contains("lm"), cpu.LongMode);
    }

    [Fact]
    public void AsciiDecodesRegistersInCpuidOrder()
    {
        // "GenuineIntel" as CPUID leaf 0 returns it: EBX "Genu", EDX "ineI", ECX "ntel".
        Assert.Equal("GenuineIntel", CpuIdentity.Ascii(0x756e6547, 0x49656e69, 0x6c65746e));
    }
}
