using VirtTools.Machine;

namespace VirtTools.Tests.Machine.Devices;

/// <summary>An interrupt line that records every level it is driven to.</summary>
internal sealed class RecordingLine : IInterruptLine
{
    public List<bool> Levels { get; } = [];

    public bool Level => Levels.Count > 0 && Levels[^1];

    public int RisingEdges => Levels.Count(l => l);

    public void Set(bool level)
    {
        lock (Levels)
        {
            Levels.Add(level);
        }
    }
}

/// <summary>Port accesses as a guest makes them: one byte in, one byte out.</summary>
internal static class Ports
{
    public static byte In(this IBusDevice device, ulong offset)
    {
        Span<byte> data = stackalloc byte[1];
        device.Read(offset, data);
        return data[0];
    }

    public static void Out(this IBusDevice device, ulong offset, byte value) => device.Write(offset, [value]);
}
