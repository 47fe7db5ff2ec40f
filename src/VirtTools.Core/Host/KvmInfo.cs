using VirtTools.Accelerators.Kvm;
using VirtTools.Diagnostics;

namespace VirtTools.Host;

/// <summary>What /dev/kvm is on this host, measured by opening it and asking.</summary>
public sealed record KvmInfo(
    bool Present,
    bool Usable,
    string? OpenError,
    int? ApiVersion,
    KvmKind Kind,
    string? KernelModule,
    int? VcpuMmapSize,
    IReadOnlyDictionary<string, int> Extensions,
    IReadOnlyList<string> MissingRequired)
{
    /// <summary>Extensions the machine layer cannot work without.</summary>
    public static readonly KvmCapability[] Required =
    [
        KvmCapability.UserMemory, KvmCapability.SetTssAddr, KvmCapability.ExtCpuid, KvmCapability.ImmediateExit,
    ];

    /// <summary>
    /// Extensions the machine layer uses when present (in-kernel devices, faster exits). A property,
    /// not a static field: building a machine touches this type (DetectKind), and in the native VMM
    /// the enum's values come from reflection metadata, tens of microseconds on a cold start.
    /// </summary>
    public static KvmCapability[] Reported => Enum.GetValues<KvmCapability>();

    /// <summary>Probes <paramref name="devicePath"/> and the loaded KVM modules under <paramref name="moduleRoot"/>.</summary>
    public static KvmInfo Probe(string devicePath = KvmSystem.DevicePath, string moduleRoot = "/sys/module")
    {
        var (kind, module) = DetectKind(moduleRoot);
        var empty = new Dictionary<string, int>();
        if (!File.Exists(devicePath))
        {
            return new KvmInfo(false, false, $"{devicePath} does not exist", null, kind, module, null, empty, []);
        }
        using var kvm = KvmSystem.TryOpen(out var errno, devicePath);
        if (kvm is null)
        {
            return new KvmInfo(true, false, $"open '{devicePath}': {Errno.Describe(errno)}", null, kind, module, null, empty, []);
        }
        var api = kvm.ApiVersion;
        var extensions = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var capability in Reported)
        {
            extensions[capability.ToString()] = kvm.CheckExtension(capability);
        }
        var missing = Required.Where(c => extensions[c.ToString()] == 0).Select(c => c.ToString()).ToList();
        var usable = api == KvmSystem.ExpectedApiVersion && missing.Count == 0;
        var error = api == KvmSystem.ExpectedApiVersion ? null : $"KVM API version {api}, expected {KvmSystem.ExpectedApiVersion}";
        return new KvmInfo(true, usable, error, api, kind, module, kvm.VcpuMmapSize, extensions, missing);
    }

    internal static (KvmKind Kind, string? Module) DetectKind(string moduleRoot)
    {
        // kvm_pvm is checked first: it is the one that can be loaded beside nothing else.
        foreach (var (module, kind) in new[] { ("kvm_pvm", KvmKind.Pvm), ("kvm_intel", KvmKind.HardwareVmx), ("kvm_amd", KvmKind.HardwareSvm) })
        {
            if (Directory.Exists(Path.Combine(moduleRoot, module)))
            {
                return (kind, module);
            }
        }
        return Directory.Exists(Path.Combine(moduleRoot, "kvm")) ? (KvmKind.Unknown, "kvm") : (KvmKind.None, null);
    }
}
