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

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
