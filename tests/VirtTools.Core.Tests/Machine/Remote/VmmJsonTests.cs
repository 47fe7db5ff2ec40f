using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Remote;

namespace VirtTools.Tests.Machine.Remote;

/// <summary>
/// The VMM's JSON (config.json, state.json, the socket lines) comes from generated metadata alone:
/// the native VMM has no reflection to fall back on, so a type missing from the context must fail
/// in these tests too, not only there.
/// </summary>
public sealed class VmmJsonTests
{
    private sealed record Unlisted(int Value);

    [Fact]
    public void AStateRoundTripsWithEnumsAsNamesAndCamelCase()
    {
        var state = new VmmState { Name = "m", Pid = 42, State = MachineState.Paused, Accelerator = AcceleratorKind.Kvm, MemoryMB = 16 };
        var json = VmmJson.Serialize(state);
        Assert.Contains("\"state\":\"Paused\"", json);
        Assert.Contains("\"accelerator\":\"Kvm\"", json);
        Assert.DoesNotContain('\n', json);
        var back = VmmJson.Deserialize<VmmState>(json);
        Assert.Equal(MachineState.Paused, back.State);
        Assert.Equal(42, back.Pid);
        Assert.Equal(16UL, back.MemoryMB);
    }

    [Fact]
    public void AReplyCarriesTheMachineInfoWithItsTimeToFirstExit()
    {
        var info = new VirtMachineInfo("m", Guid.NewGuid(), MachineState.Stopped, AcceleratorKind.Kvm, "KVM", true, 16, 1, DateTime.UtcNow,
            TimeSpan.FromSeconds(1), 0, "guest wrote 0 to the debug-exit port", new Dictionary<string, long> { ["PortIo"] = 3 }, 3, 0, 0, null, 5,
            TimeSpan.FromMicroseconds(1500));
        var back = VmmJson.Deserialize<VmmReply>(VmmJson.Serialize(new VmmReply { Ok = true, Info = info })).Info!;
        Assert.Equal(TimeSpan.FromMicroseconds(1500), back.TimeToFirstExit);
        Assert.Equal(3, back.Exits["PortIo"]);
        Assert.Equal(MachineState.Stopped, back.State);
    }

    [Fact]
    public void ATypeOutsideTheContextIsRefusedAtOnce()
    {
        var e = Assert.Throws<NotSupportedException>(() => VmmJson.Serialize(new Unlisted(1)));
        Assert.Contains("VmmJsonContext", e.Message);
        Assert.Throws<NotSupportedException>(() => VmmJson.Deserialize<Unlisted>("{\"value\":1}"));
    }
}
