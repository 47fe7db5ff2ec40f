using System.Buffers.Binary;
using System.Diagnostics;
using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Initramfs;
using VirtTools.Machine.Loaders;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Machine;

/// <summary>
/// The Debian kernel (linux-image-amd64, a CI package) with an initramfs from <see cref="InitramfsBuilder"/>
/// whose /init prints a marker and writes 42 to the debug-exit port. On VT-x/AMD-V the guest must get
/// there. On kvm_pvm, where every guest kernel instruction goes through the host kernel's emulator
/// (about 2 MIPS), the tests pin down how far it gets and that it ends cleanly, and say which host ran;
/// how an emulation failure ends (Crashed, with the exit data) is pinned down by
/// KvmGuestTests.UnemulatedInstructionEndsCrashedWithTheExitDataOnPvm, which gets there in milliseconds.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class LinuxBootTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const string CommandLine = "console=ttyS0 earlyprintk=serial,ttyS0 reboot=k panic=-1 noxsave tsc_early_khz=2000000";
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("virttools-linux-");

    public void Dispose() => work.Delete(recursive: true);

    [SkippableFact]
    public void BzImageStartsExecutingKernelCode()
    {
        Requires.Kvm();
        var kind = KvmInfo.Probe().Kind;
        output.WriteLine($"KVM kind on this host: {kind}");
        using var machine = VirtMachine.Create(Config(File.ReadAllBytes(Kernel())));
        machine.Start();
        if (kind != KvmKind.Pvm)
        {
            ExpectInit(machine);
            return;
        }
        // The decompressor alone takes minutes at PVM's emulation speed. It is kernel code: it switches to
        // its own page tables (CR3 leaves the loader's 0x9000) and relocates itself above the image.
        var watch = Stopwatch.StartNew();
        MachineRegisters regs;
        do
        {
            Thread.Sleep(500);
            var (r, s) = machine.ReadRegisters();
            regs = MachineRegisters.From(machine.Name, r, s);
        }
        while (regs.Cr3 == MachineLayout.Pml4 && watch.Elapsed < TimeSpan.FromSeconds(60));
        output.WriteLine($"after {watch.Elapsed.TotalSeconds:F1} s: RIP 0x{regs.Rip:x}, CR3 0x{regs.Cr3:x}, mode {regs.Mode}, exits {machine.Exits.Total}");
        Assert.Equal(MachineState.Running, machine.State);
        Assert.NotEqual(MachineLayout.Pml4, regs.Cr3);
        Assert.True(regs.Rip > MachineLayout.HighMemory + 0x200, "the kernel has moved on from its entry point");
        var stop = Stopwatch.StartNew();
        machine.Stop(force: true);
        Assert.True(stop.ElapsedMilliseconds < 100, $"forced stop took {stop.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// The same kernel uncompressed (vmlinux, ELF64, as Firecracker boots it) skips the decompressor: on
    /// kvm_pvm it gets far enough to print its boot log on our COM1 (about 75 s on a busy two-core host; the test allows 180 s). The
    /// test waits for the first lines, reports the last line reached, and stops the machine by force.
    /// </summary>
    [SkippableFact]
    public void VmlinuxPrintsItsBootLogOnCom1()
    {
        Requires.Kvm();
        var kind = KvmInfo.Probe().Kind;
        output.WriteLine($"KVM kind on this host: {kind}");
        using var machine = VirtMachine.Create(Config(ExtractVmlinux(File.ReadAllBytes(Kernel()))));
        machine.Start();
        if (kind != KvmKind.Pvm)
        {
            ExpectInit(machine);
            return;
        }
        const string lastExpected = "BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usable\r\n";
        var watch = Stopwatch.StartNew();
        while (!machine.Output.ToString().Contains(lastExpected) && machine.State == MachineState.Running && watch.Elapsed < TimeSpan.FromSeconds(180))
        {
            Thread.Sleep(200);
        }
        var text = machine.Output.ToString();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        output.WriteLine($"after {watch.Elapsed.TotalSeconds:F1} s: {machine.State} {machine.Reason}; {lines.Length} lines, last: {lines.LastOrDefault()}");
        Assert.True(machine.State == MachineState.Running, $"{machine.Reason}\n{text}");
        Assert.Contains("Linux version", text);
        Assert.Contains("Command line: " + CommandLine, text);
        Assert.Contains(lastExpected, text);
        var stop = Stopwatch.StartNew();
        machine.Stop(force: true);
        Assert.True(stop.ElapsedMilliseconds < 100, $"forced stop took {stop.ElapsedMilliseconds} ms");
    }

    private void ExpectInit(VirtMachine machine)
    {
        Assert.True(machine.WaitForExit(TimeSpan.FromSeconds(120)), $"no exit within 120 s; output so far:\n{machine.Output}");
        Assert.True(machine.State == MachineState.Stopped, $"{machine.Reason}\n{machine.Output}");
        Assert.Contains("VIRTTOOLS-INIT", machine.Output.ToString());
        Assert.Equal(42u, machine.ExitCode);
    }

    private MachineConfig Config(byte[] kernel) => new()
    {
        Name = "linux",
        Accelerator = AcceleratorKind.Kvm,
        MemoryBytes = 256UL << 20,
        Boot = new LoadRequest(kernel, ImageFormat.Linux, CpuMode.Long, MachineLayout.HighMemory, CommandLine, BuildInitramfs()),
    };

    private static string Kernel() =>
        Directory.GetFiles("/boot", "vmlinuz-*").OrderBy(f => f, StringComparer.Ordinal).LastOrDefault()
        ?? throw new InvalidOperationException("no /boot/vmlinuz-*: install linux-image-amd64 (listed in .ci/run)");

    /// <summary>An initramfs whose /init (static C) prints a marker, then writes 42 to port 0xf4.</summary>
    private byte[] BuildInitramfs()
    {
        var source = Path.Combine(work.FullName, "init.c");
        File.WriteAllText(source, """
            #include <unistd.h>
            #include <sys/io.h>
            #include <sys/reboot.h>
            int main(void) {
                write(1, "VIRTTOOLS-INIT\n", 15);
                if (ioperm(0xf4, 1, 1) == 0) outb(42, 0xf4);
                reboot(RB_AUTOBOOT);
                return 0;
            }
            """);
        var init = Path.Combine(work.FullName, "init");
        Run("gcc", "-static", "-O2", "-o", init, source);
        var cpio = Path.Combine(work.FullName, "initrd.cpio");
        InitramfsBuilder.Build(cpio, null, init);
        return File.ReadAllBytes(cpio);
    }

    /// <summary>The uncompressed vmlinux inside a bzImage: the XZ payload (payload_offset/length at 0x248) through xz.</summary>
    private byte[] ExtractVmlinux(byte[] bzImage)
    {
        var setupSectors = bzImage[0x1f1] == 0 ? 4 : bzImage[0x1f1];
        var offset = (setupSectors + 1) * 512 + (int)BinaryPrimitives.ReadUInt32LittleEndian(bzImage.AsSpan(0x248));
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bzImage.AsSpan(0x24c));
        var payload = Path.Combine(work.FullName, "payload.xz");
        File.WriteAllBytes(payload, bzImage.AsSpan(offset, length).ToArray());
        // Debian's payload is XZ with trailing padding; xz reports that but the output is complete.
        Run("sh", "-c", $"xz -dc '{payload}' > '{work.FullName}/vmlinux' 2>/dev/null; test -s '{work.FullName}/vmlinux'");
        return File.ReadAllBytes(Path.Combine(work.FullName, "vmlinux"));
    }

    private static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true })!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {errors}");
    }
}
