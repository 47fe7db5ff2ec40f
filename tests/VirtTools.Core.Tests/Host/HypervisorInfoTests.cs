using VirtTools.Host;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Host;

public sealed class HypervisorInfoTests : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("virttools-dmi-").FullName;

    [SkippableFact]
    public void AgreesWithSystemdDetectVirt()
    {
        Skip.IfNot(Commands.Exists("systemd-detect-virt"), "systemd-detect-virt is not installed");
        var (_, output) = Commands.Run("systemd-detect-virt", "--vm");
        var expected = output.Trim();
        var detected = HypervisorInfo.Detect(CpuIdentity.Read());
        if (expected == "none")
        {
            Assert.Null(detected.Name);
            return;
        }
        Assert.NotNull(detected.Name);
        // systemd names: kvm, qemu, vmware, microsoft, xen, bhyve, oracle, parallels, ...
        var normalized = detected.Name!.ToLowerInvariant();
        var systemdName = expected switch
        {
            "microsoft" => "microsoft hyper-v",
            "oracle" => "virtualbox",
            _ => expected,
        };
        Assert.StartsWith(systemdName, normalized);
    }

    [Fact]
    public void CpuidSignatureWinsWhenTheHypervisorBitIsSet()
    {
        var cpu = CpuIdentity.Read()!;
        var detected = HypervisorInfo.Detect(cpu, scratch);
        if (cpu.HypervisorBit)
        {
            Assert.Equal("Cpuid", detected.Source);
            Assert.NotNull(detected.Name);
        }
        else
        {
            Assert.Equal("None", detected.Source);
        }
    }

    [Fact]
    public void FallsBackToDmiWithoutAHypervisorBit()
    {
        File.WriteAllText(Path.Combine(scratch, "sys_vendor"), "QEMU\n");
        var bareCpu = new CpuIdentity("GenuineIntel", "test", 6, 0, 0, 1, false, false, HypervisorBit: false, true);
        var detected = HypervisorInfo.Detect(bareCpu, scratch);
        Assert.Equal(("QEMU", "Dmi"), (detected.Name, detected.Source));
    }

    [Fact]
    public void ReportsBareMetalWhenNothingPointsToAHypervisor()
    {
        File.WriteAllText(Path.Combine(scratch, "sys_vendor"), "Dell Inc.\n");
        var bareCpu = new CpuIdentity("GenuineIntel", "test", 6, 0, 0, 1, true, false, HypervisorBit: false, true);
        Assert.Equal(new HypervisorInfo(null, null, "None"), HypervisorInfo.Detect(bareCpu, scratch));
    }

    [Theory]
    [InlineData("KVMKVMKVM", "KVM")]
    [InlineData("Microsoft Hv", "Microsoft Hyper-V")]
    [InlineData("VMwareVMware", "VMware")]
    [InlineData("XenVMMXenVMM", "Xen")]
    [InlineData("bhyve bhyve ", "bhyve")]
    [InlineData("TCGTCGTCGTCG", "QEMU TCG")]
    public void KnowsTheCommonSignatures(string signature, string name) =>
        Assert.Equal(name, HypervisorInfo.Signatures[signature]);

    public void Dispose() => Directory.Delete(scratch, recursive: true);
}
