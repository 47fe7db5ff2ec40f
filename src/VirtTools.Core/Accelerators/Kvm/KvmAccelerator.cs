using VirtTools.Diagnostics;
using VirtTools.Host;

namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// The KVM accelerator: an open /dev/kvm that passed the API-version and capability checks, plus what
/// every VM created from it shares (the supported CPUID table, the vCPU mapping size).
/// </summary>
public sealed class KvmAccelerator : IAccelerator
{
    private readonly KvmSystem system;

    private KvmAccelerator(KvmSystem system, KvmHostFacts facts)
    {
        this.system = system;
        HostKind = facts.Kind;
        Description = facts.Module is null ? "KVM" : $"KVM ({facts.Module})";
        VcpuMmapSize = facts.VcpuMmapSize;
        SupportedCpuid = facts.SupportedCpuid;
        HasIrqchip = facts.HasIrqchip;
        HasPit2 = facts.HasPit2;
        MaxVcpus = facts.MaxVcpus;
    }

    public AcceleratorKind Kind => AcceleratorKind.Kvm;

    public string Description { get; }

    /// <summary>Hardware VT-x/AMD-V or PVM: the tests and reports say which one ran.</summary>
    public KvmKind HostKind { get; }

    internal KvmSystem System => system;

    internal int VcpuMmapSize { get; }

    internal byte[] SupportedCpuid { get; }

    internal bool HasIrqchip { get; }

    internal bool HasPit2 { get; }

    /// <summary>The most vCPUs one VM may have on this host (KVM_CAP_MAX_VCPUS).</summary>
    public int MaxVcpus { get; }

    /// <summary>
    /// Opens /dev/kvm and refuses it unless the API version and the required capabilities are there.
    /// Every machine opens its own descriptor, but the checks and the facts they yield (the supported
    /// CPUID table above all, one of the slower ioctls) are taken once per process and path: they
    /// cannot change while the module is loaded, and they were a tenth of a machine's time to its
    /// first guest instruction (docs/machine.md, Kvm.Bench.ps1).
    /// </summary>
    public static KvmAccelerator Open(string path = KvmSystem.DevicePath)
    {
        var system = KvmSystem.TryOpen(out var errno, path) ?? throw new VirtToolsException("AcceleratorNotAvailable",
            errno is Errno.EACCES or Errno.EPERM ? VirtErrorKind.PermissionDenied : VirtErrorKind.NotSupported,
            $"accelerator Kvm is not available: open '{path}': {Errno.Describe(errno)}", AcceleratorKind.Kvm);
        try
        {
            KvmHostFacts? facts;
            lock (checkedHosts)
            {
                if (!checkedHosts.TryGetValue(path, out facts))
                {
                    facts = Check(system);
                    checkedHosts.Add(path, facts);
                }
            }
            return new KvmAccelerator(system, facts);
        }
        catch
        {
            system.Dispose();
            throw;
        }
    }

    /// <summary>Per device path; a plain dictionary under a lock, cheaper to set up in a VMM's cold start than a concurrent one.</summary>
    private static readonly Dictionary<string, KvmHostFacts> checkedHosts = new(StringComparer.Ordinal);

    /// <summary>The API version and capability checks; a refusal is thrown, never cached.</summary>
    private static KvmHostFacts Check(KvmSystem system)
    {
        if (system.ApiVersion != KvmSystem.ExpectedApiVersion)
        {
            throw new VirtToolsException("AcceleratorNotAvailable", VirtErrorKind.NotSupported,
                $"accelerator Kvm is not available: API version {system.ApiVersion}, expected {KvmSystem.ExpectedApiVersion}", AcceleratorKind.Kvm);
        }
        var missing = new List<KvmCapability>();
        foreach (var capability in KvmInfo.Required)
        {
            if (system.CheckExtension(capability) == 0)
            {
                missing.Add(capability);
            }
        }
        if (missing.Count > 0)
        {
            throw new VirtToolsException("AcceleratorNotAvailable", VirtErrorKind.NotSupported,
                $"accelerator Kvm is not available: missing {string.Join(", ", missing)}", AcceleratorKind.Kvm);
        }
        var (kind, module) = KvmInfo.DetectKind("/sys/module");
        // KVM_CAP_MAX_VCPUS is the hard limit per VM; kernels without it allow KVM_CAP_NR_VCPUS, and
        // without that 4 (Documentation/virt/kvm/api.rst, KVM_CREATE_VCPU).
        var recommended = system.CheckExtension(KvmCapability.NrVcpus);
        var max = system.CheckExtension(KvmCapability.MaxVcpus);
        return new KvmHostFacts(
            kind, module, system.VcpuMmapSize, system.GetSupportedCpuid(),
            HasIrqchip: system.CheckExtension(KvmCapability.Irqchip) > 0,
            HasPit2: system.CheckExtension(KvmCapability.Pit2) > 0,
            MaxVcpus: max > 0 ? max : recommended > 0 ? recommended : 4);
    }

    public IVirtualMachine CreateVm(VmOptions options) => new KvmVm(this, options);

    public void Dispose() => system.Dispose();
}
