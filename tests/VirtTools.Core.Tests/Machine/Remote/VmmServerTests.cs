using System.Text;
using VirtTools.Diagnostics;
using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;
using VirtTools.Machine.Remote;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Machine.Remote;

/// <summary>
/// The VMM's socket protocol with the server in this process (the in-process mode): the same
/// VmmServer the VirtTools.Vmm executable runs, driven through VmmClient.
/// </summary>
public sealed class VmmServerTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vmm-test-").FullName;

    [SkippableFact]
    public void DrivesAnEchoGuestThroughTheSocketAndEndsOnRemove()
    {
        Requires.Kvm();
        var config = new MachineConfig
        {
            Name = "vmm-echo",
            MemoryBytes = 16UL << 20,
            Accelerator = AcceleratorKind.Kvm,
            InKernelDevices = false,
            Boot = new LoadRequest(GuestImages.Get("echo"), ImageFormat.Flat, CpuMode.Long, 0x100000),
        };
        VmmJson.WriteFileAtomically(VmmPaths.ConfigFile(directory), config);
        var server = VmmServer.Open(directory);
        var serving = Task.Run(server.Serve);

        Assert.Equal(MachineState.Created, VmmClient.Send(directory, "vmm-echo", new VmmRequest("status")).Info!.State);
        Assert.Equal(MachineState.Running, VmmClient.Send(directory, "vmm-echo", new VmmRequest("start")).Info!.State);
        Assert.Equal(MachineState.Running, VmmState.TryRead(directory)!.State);
        VmmClient.Send(directory, "vmm-echo", new VmmRequest("input", Data: Convert.ToBase64String("hi"u8)));
        var text = "";
        for (var i = 0; i < 200 && !text.Contains("hi", StringComparison.Ordinal); i++)
        {
            Thread.Sleep(10);
            text = Encoding.Latin1.GetString(Convert.FromBase64String(VmmClient.Send(directory, "vmm-echo", new VmmRequest("output")).Output!));
        }
        Assert.StartsWith("echo> ", text);
        Assert.Contains("hi", text);

        var refused = Assert.Throws<VirtToolsException>(() => VmmClient.Send(directory, "vmm-echo", new VmmRequest("remove")));
        Assert.Equal("MachineRunning", refused.ErrorId);
        var stopped = VmmClient.Send(directory, "vmm-echo", new VmmRequest("stop", Force: true)).Info!;
        Assert.Equal(MachineState.Stopped, stopped.State);
        VmmClient.Send(directory, "vmm-echo", new VmmRequest("remove"));
        Assert.True(serving.Wait(TimeSpan.FromSeconds(5)));
        server.Dispose();
        Assert.False(Directory.Exists(directory));
    }

    [SkippableFact]
    public void OutputWaitsInTheServerForTheEchoAndReturnsAsItArrives()
    {
        Requires.Kvm();
        using var hosted = Host(new MachineConfig
        {
            Name = "vmm-wait",
            MemoryBytes = 16UL << 20,
            Accelerator = AcceleratorKind.Kvm,
            InKernelDevices = false,
            Boot = new LoadRequest(GuestImages.Get("echo"), ImageFormat.Flat, CpuMode.Long, 0x100000),
        });
        Send(new VmmRequest("start"));
        var prompt = Send(new VmmRequest("output") { WaitMs = 5000 });
        Assert.StartsWith("e", Encoding.Latin1.GetString(Convert.FromBase64String(prompt.Output!)));
        Assert.Equal(MachineState.Running, prompt.State);

        // Nothing more comes without input: the request is held for its whole wait and answers empty.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var idle = Send(new VmmRequest("output", Offset: 1_000_000) { WaitMs = 300 });
        Assert.True(clock.ElapsedMilliseconds >= 250, $"an idle output request returned after {clock.ElapsedMilliseconds} ms");
        Assert.Equal("", idle.Output);

        // Input sent while a request waits wakes it with the echo, long before its 8 s are up.
        var offset = idle.OutputEnd;
        var typing = Task.Run(() =>
        {
            Thread.Sleep(200);
            Send(new VmmRequest("input", Data: Convert.ToBase64String("z"u8)));
        });
        clock.Restart();
        var echoed = Send(new VmmRequest("output", Offset: offset) { WaitMs = 8000 });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"the echo came back after {clock.ElapsedMilliseconds} ms");
        Assert.Contains("z", Encoding.Latin1.GetString(Convert.FromBase64String(echoed.Output!)));
        Assert.True(echoed.OutputEnd > offset);
        typing.Wait();
        Send(new VmmRequest("stop", Force: true));
    }

    [Fact]
    public void StepsDisassemblesAndBreaksAnEmulatorMachineOverTheSocket()
    {
        using var hosted = Host(EmulatorBootConfig("vmm-debug"));

        var step = Send(new VmmRequest("step") { Count = 3 }).Step!;
        // cli; xor ax, ax (2 bytes); mov ds, ax (2 bytes)
        Assert.Equal((3L, "Count", 0x7c05UL, "mov es,ax"), (step.Executed, step.Stop, step.Rip, step.Next));
        Assert.Equal(0x7c05UL, Send(new VmmRequest("registers")).Registers!.Rip);

        var lines = Send(new VmmRequest("disassemble") { Address = 0x7c00, Count = 2 }).Disassembly!;
        Assert.Equal(new[] { 0x7c00UL, 0x7c01UL }, lines.Select(l => l.Address));
        Assert.Equal("cli", lines[0].Instruction);
        Assert.Equal("mov es,ax", Send(new VmmRequest("disassemble") { Count = 1 }).Disassembly!.Single().Instruction);

        Assert.Equal("Address", Send(new VmmRequest("break") { Address = 0x7c09 }).Breakpoints!.Single().Kind);
        Assert.Equal("Port", Send(new VmmRequest("break") { Port = 0x3f8 }).Breakpoints!.Single().Kind);
        Assert.Equal(new[] { ("Address", 0x7c09UL), ("Port", 0x3f8UL) },
            Send(new VmmRequest("breakpoints")).Breakpoints!.Select(b => (b.Kind, b.Value)));
        Assert.True(Send(new VmmRequest("unbreak") { Port = 0x3f8 }).Removed);
        Assert.False(Send(new VmmRequest("unbreak") { Port = 0x3f8 }).Removed);

        // Running into the address breakpoint parks the machine there.
        Send(new VmmRequest("start"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Send(new VmmRequest("status")).Info!.State != MachineState.Paused && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.Equal(MachineState.Paused, Send(new VmmRequest("status")).Info!.State);
        Assert.Equal(0x7c09UL, Send(new VmmRequest("registers")).Registers!.Rip);
        Send(new VmmRequest("stop", Force: true));
    }

    [Fact]
    public void ABreakRequestWithoutAddressOrPortIsRefused()
    {
        using var hosted = Host(EmulatorBootConfig("vmm-badbreak"));
        var refused = Assert.Throws<VirtToolsException>(() => Send(new VmmRequest("break")));
        Assert.Equal("VmmRequestInvalid", refused.ErrorId);
        Assert.Equal("VmmRequestUnknown", Assert.Throws<VirtToolsException>(() => Send(new VmmRequest("frobnicate"))).ErrorId);
    }

    [SkippableFact]
    public void DebuggerOpsOnAKvmMachineFailWithTheInProcessError()
    {
        Requires.Kvm();
        using var hosted = Host(new MachineConfig
        {
            Name = "vmm-kvmdebug",
            MemoryBytes = 16UL << 20,
            Accelerator = AcceleratorKind.Kvm,
            Boot = new LoadRequest(GuestImages.Get("spin"), ImageFormat.Flat, CpuMode.Long, 0x100000),
        });
        foreach (var request in new[] { new VmmRequest("step") { Count = 1 }, new VmmRequest("break") { Address = 0x100000 } })
        {
            var refused = Assert.Throws<VirtToolsException>(() => Send(request));
            Assert.Equal(("DebuggerNeedsEmulator", VirtErrorKind.NotSupported), (refused.ErrorId, refused.Kind));
        }
        Assert.Empty(Send(new VmmRequest("breakpoints")).Breakpoints!);
        Assert.Equal(0x100000UL, Send(new VmmRequest("registers")).Registers!.Rip);
    }

    private static MachineConfig EmulatorBootConfig(string name) => new()
    {
        Name = name,
        MemoryBytes = 16UL << 20,
        Accelerator = AcceleratorKind.Emulator,
        Boot = new LoadRequest(GuestImages.Get("boot"), ImageFormat.Flat, CpuMode.Real, 0x7c00),
    };

    private VmmReply Send(VmmRequest request) => VmmClient.Send(directory, "test", request);

    /// <summary>Serves <paramref name="config"/> from this test's directory until disposed (which removes it).</summary>
    private HostedServer Host(MachineConfig config)
    {
        VmmJson.WriteFileAtomically(VmmPaths.ConfigFile(directory), config);
        var server = VmmServer.Open(directory);
        return new HostedServer(server, Task.Run(server.Serve), directory);
    }

    private sealed record HostedServer(VmmServer Server, Task Serving, string Directory) : IDisposable
    {
        public void Dispose()
        {
            VmmClient.Send(Directory, "test", new VmmRequest("remove", Force: true));
            Serving.Wait(TimeSpan.FromSeconds(5));
            Server.Dispose();
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
