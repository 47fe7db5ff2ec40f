using VirtTools.Accelerators;

namespace VirtTools.Machine.Loaders;

/// <summary>Copies raw bytes to the load address and starts there in the requested mode.</summary>
public static class FlatBinaryLoader
{
    public static BootState Load(GuestMemory memory, SpecialRegisters reset, LoadRequest request)
    {
        memory.Write(request.LoadAddress, request.Image);
        return CpuSetup.Enter(memory, reset, request.Mode, request.LoadAddress);
    }
}
