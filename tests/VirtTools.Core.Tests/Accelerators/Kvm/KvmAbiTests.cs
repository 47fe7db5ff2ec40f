using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using VirtTools.Accelerators;
using VirtTools.Accelerators.Kvm;

namespace VirtTools.Tests.Accelerators.Kvm;

/// <summary>
/// Every ioctl number and kvm_run offset the backend hard-codes, compared with the host's
/// &lt;linux/kvm.h&gt; through a C probe compiled with gcc (a CI package).
/// </summary>
public sealed class KvmAbiTests
{
    private static readonly Lazy<Dictionary<string, ulong>> header = new(CompileProbe);

    public static TheoryData<string, string> Constants() => new()
    {
        { nameof(KvmIoctl.GetSupportedCpuid), "KVM_GET_SUPPORTED_CPUID" },
        { nameof(KvmIoctl.CreateVcpu), "KVM_CREATE_VCPU" },
        { nameof(KvmIoctl.SetUserMemoryRegion), "KVM_SET_USER_MEMORY_REGION" },
        { nameof(KvmIoctl.SetTssAddr), "KVM_SET_TSS_ADDR" },
        { nameof(KvmIoctl.SetIdentityMapAddr), "KVM_SET_IDENTITY_MAP_ADDR" },
        { nameof(KvmIoctl.CreateIrqchip), "KVM_CREATE_IRQCHIP" },
        { nameof(KvmIoctl.IrqLine), "KVM_IRQ_LINE" },
        { nameof(KvmIoctl.CreatePit2), "KVM_CREATE_PIT2" },
        { nameof(KvmIoctl.Run), "KVM_RUN" },
        { nameof(KvmIoctl.GetRegs), "KVM_GET_REGS" },
        { nameof(KvmIoctl.SetRegs), "KVM_SET_REGS" },
        { nameof(KvmIoctl.GetSregs), "KVM_GET_SREGS" },
        { nameof(KvmIoctl.SetSregs), "KVM_SET_SREGS" },
        { nameof(KvmIoctl.Interrupt), "KVM_INTERRUPT" },
        { nameof(KvmIoctl.SetMsrs), "KVM_SET_MSRS" },
        { nameof(KvmIoctl.SetSignalMask), "KVM_SET_SIGNAL_MASK" },
        { nameof(KvmIoctl.GetLapic), "KVM_GET_LAPIC" },
        { nameof(KvmIoctl.SetLapic), "KVM_SET_LAPIC" },
        { nameof(KvmIoctl.SetCpuid2), "KVM_SET_CPUID2" },
        { nameof(KvmIoctl.GetCpuid2), "KVM_GET_CPUID2" },
        { nameof(KvmIoctl.GetMpState), "KVM_GET_MP_STATE" },
        { nameof(KvmIoctl.SetMpState), "KVM_SET_MP_STATE" },
    };

    [Theory]
    [MemberData(nameof(Constants))]
    public void IoctlNumberMatchesTheHeader(string field, string macro)
    {
        var value = typeof(KvmIoctl).GetField(field, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        Assert.Equal(header.Value[macro], Convert.ToUInt64(value));
    }

    [Fact]
    public void RunLayoutAndStructSizesMatchTheHeader()
    {
        var h = header.Value;
        Assert.Equal((ulong)KvmRunLayout.ExitReason, h["run.exit_reason"]);
        Assert.Equal((ulong)KvmRunLayout.ImmediateExit, h["run.immediate_exit"]);
        Assert.Equal((ulong)KvmRunLayout.ReadyForInterruptInjection, h["run.ready_for_interrupt_injection"]);
        Assert.Equal((ulong)KvmRunLayout.IfFlag, h["run.if_flag"]);
        Assert.Equal((ulong)KvmRunLayout.IoPort, h["run.io.port"]);
        Assert.Equal((ulong)KvmRunLayout.IoDataOffset, h["run.io.data_offset"]);
        Assert.Equal((ulong)KvmRunLayout.MmioLen, h["run.mmio.len"]);
        Assert.Equal((ulong)KvmRunLayout.MmioIsWrite, h["run.mmio.is_write"]);
        Assert.Equal((ulong)KvmRunLayout.InternalData, h["run.internal.data"]);
        Assert.Equal(h["sizeof.kvm_regs"], (ulong)Marshal.SizeOf<Registers>());
        Assert.Equal(h["sizeof.kvm_segment"], (ulong)Marshal.SizeOf<SegmentRegister>());
        Assert.Equal(h["sizeof.kvm_dtable"], (ulong)Marshal.SizeOf<DescriptorTable>());
        Assert.Equal(h["sizeof.kvm_sregs"], (ulong)Marshal.SizeOf<SpecialRegisters>() + 32);
        Assert.Equal((ulong)KvmExitReason.InternalError, h["KVM_EXIT_INTERNAL_ERROR"]);
        Assert.Equal((ulong)KvmExitReason.SystemEvent, h["KVM_EXIT_SYSTEM_EVENT"]);
        Assert.Equal((ulong)KvmExitReason.Shutdown, h["KVM_EXIT_SHUTDOWN"]);
    }

    private static Dictionary<string, ulong> CompileProbe()
    {
        var dir = Directory.CreateTempSubdirectory("virttools-kvmabi-");
        try
        {
            var macros = string.Concat(Constants().Select(row => $"P(\"{row[1]}\", {row[1]});"));
            var source = Path.Combine(dir.FullName, "probe.c");
            File.WriteAllText(source, $$"""
                #include <stdio.h>
                #include <stddef.h>
                #include <linux/kvm.h>
                #define P(n, v) printf("%s %lu\n", n, (unsigned long)(v))
                int main(void) {
                    {{macros}}
                    P("run.exit_reason", offsetof(struct kvm_run, exit_reason));
                    P("run.immediate_exit", offsetof(struct kvm_run, immediate_exit));
                    P("run.ready_for_interrupt_injection", offsetof(struct kvm_run, ready_for_interrupt_injection));
                    P("run.if_flag", offsetof(struct kvm_run, if_flag));
                    P("run.io.port", offsetof(struct kvm_run, io.port));
                    P("run.io.data_offset", offsetof(struct kvm_run, io.data_offset));
                    P("run.mmio.len", offsetof(struct kvm_run, mmio.len));
                    P("run.mmio.is_write", offsetof(struct kvm_run, mmio.is_write));
                    P("run.internal.data", offsetof(struct kvm_run, internal.data));
                    P("sizeof.kvm_regs", sizeof(struct kvm_regs));
                    P("sizeof.kvm_segment", sizeof(struct kvm_segment));
                    P("sizeof.kvm_dtable", sizeof(struct kvm_dtable));
                    P("sizeof.kvm_sregs", sizeof(struct kvm_sregs));
                    P("KVM_EXIT_INTERNAL_ERROR", KVM_EXIT_INTERNAL_ERROR);
                    P("KVM_EXIT_SYSTEM_EVENT", KVM_EXIT_SYSTEM_EVENT);
                    P("KVM_EXIT_SHUTDOWN", KVM_EXIT_SHUTDOWN);
                    return 0;
                }
                """);
            var binary = Path.Combine(dir.FullName, "probe");
            Run("gcc", "-o", binary, source);
            return Run(binary).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .ToDictionary(parts => parts[0], parts => ulong.Parse(parts[1]));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {errors}");
        return output;
    }
}
