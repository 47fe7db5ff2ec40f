using System.Text;
using System.Text.RegularExpressions;
using VirtTools.Accelerators.Kvm;
using VirtTools.Host;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Host;

/// <summary>
/// KvmInfo against the kernel: a C probe, compiled here against the host's linux/kvm.h, asks
/// /dev/kvm the same questions; every capability number and answer must match ours.
/// </summary>
public sealed partial class KvmInfoTests : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("virttools-kvmprobe-").FullName;

    [SkippableFact]
    public void MatchesACProbeCompiledAgainstTheKernelHeader()
    {
        Requires.Kvm();
        Skip.IfNot(Commands.Exists("gcc") && File.Exists("/usr/include/linux/kvm.h"), "needs gcc and linux/kvm.h (apt-get install gcc linux-libc-dev)");

        var probe = Compile();
        var (exit, output) = Commands.Run(probe);
        Assert.True(exit == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(f => f[0], f => f[1..]);

        var info = KvmInfo.Probe();
        Assert.True(info.Present);
        Assert.Equal(int.Parse(lines["api"][0]), info.ApiVersion);
        Assert.Equal(int.Parse(lines["mmap"][0]), info.VcpuMmapSize);
        foreach (var capability in Enum.GetValues<KvmCapability>())
        {
            var (number, answer) = (int.Parse(lines[capability.ToString()][0]), int.Parse(lines[capability.ToString()][1]));
            Assert.Equal(number, (int)capability);
            Assert.True(answer == info.Extensions[capability.ToString()], $"{capability}: C says {answer}, we say {info.Extensions[capability.ToString()]}");
        }
    }

    [SkippableFact]
    public void ReportsApiTwelveAndTheKindTheLoadedModuleSays()
    {
        Requires.Kvm();
        var info = KvmInfo.Probe();
        Assert.Equal(12, info.ApiVersion);
        Assert.True(info.Usable, info.OpenError ?? string.Join(",", info.MissingRequired));

        var flags = new ProcCpuInfo().Flags;
        var expected = Directory.Exists("/sys/module/kvm_pvm") ? KvmKind.Pvm
            : Directory.Exists("/sys/module/kvm_intel") ? KvmKind.HardwareVmx
            : Directory.Exists("/sys/module/kvm_amd") ? KvmKind.HardwareSvm
            : KvmKind.Unknown;
        Assert.Equal(expected, info.Kind);
        if (info.Kind == KvmKind.Pvm)
        {
            // PVM is what a host without VT-x/AMD-V gets: the flags must say so too.
            Assert.DoesNotContain("vmx", flags);
            Assert.DoesNotContain("svm", flags);
        }
    }

    [Fact]
    public void AMissingDeviceIsReportedNotThrown()
    {
        var info = KvmInfo.Probe(Path.Combine(scratch, "no-kvm"), scratch);
        Assert.False(info.Present);
        Assert.False(info.Usable);
        Assert.Equal(KvmKind.None, info.Kind);
        Assert.Contains("does not exist", info.OpenError);
    }

    [Fact]
    public void AnUnopenableDeviceSaysWhy()
    {
        var notADevice = Path.Combine(scratch, "kvm");
        Directory.CreateDirectory(notADevice);
        var info = KvmInfo.Probe(notADevice, scratch);
        Assert.True(info.Present || !File.Exists(notADevice));
        Assert.False(info.Usable);
    }

    private string Compile()
    {
        var source = new StringBuilder("""
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/ioctl.h>
            #include <linux/kvm.h>
            int main(void) {
                int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
                if (fd < 0) { perror("open /dev/kvm"); return 1; }
                printf("api %d\n", ioctl(fd, KVM_GET_API_VERSION, 0));
                printf("mmap %d\n", ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0));

            """);
        foreach (var capability in Enum.GetValues<KvmCapability>())
        {
            var macro = "KVM_CAP_" + UpperSnake(capability.ToString());
            source.AppendLine($"    {{ int r = ioctl(fd, KVM_CHECK_EXTENSION, {macro}); printf(\"{capability} %d %d\\n\", {macro}, r < 0 ? 0 : r); }}");
        }
        source.AppendLine("    return 0;\n}");
        var c = Path.Combine(scratch, "probe.c");
        var exe = Path.Combine(scratch, "probe");
        File.WriteAllText(c, source.ToString());
        var (exit, output) = Commands.Run("gcc", "-O0", "-o", exe, c);
        Assert.True(exit == 0, "the C probe did not compile (a capability name without a KVM_CAP_ macro?):\n" + output);
        return exe;
    }

    /// <summary>UserMemory -> USER_MEMORY, X86UserSpaceMsr -> X86_USER_SPACE_MSR, Pit2 -> PIT2.</summary>
    private static string UpperSnake(string name) => WordBoundary().Replace(name, "_$1").ToUpperInvariant();

    [GeneratedRegex("(?<=[a-z0-9])([A-Z])")]
    private static partial Regex WordBoundary();

    public void Dispose() => Directory.Delete(scratch, recursive: true);
}
