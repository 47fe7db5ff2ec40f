namespace VirtTools.Machine.Loaders;

/// <summary>What to load and how to start it.</summary>
/// <param name="Image">The image bytes (a flat binary, ELF, multiboot kernel or bzImage).</param>
/// <param name="Format">How to read <paramref name="Image"/>; Auto guesses from its contents.</param>
/// <param name="Mode">CPU mode for flat binaries (ELF, multiboot and Linux choose their own).</param>
/// <param name="LoadAddress">Where a flat binary goes and starts.</param>
/// <param name="CommandLine">Kernel command line (Linux, multiboot).</param>
/// <param name="Initrd">Initial ramdisk bytes (Linux).</param>
public sealed record LoadRequest(
    byte[] Image,
    ImageFormat Format = ImageFormat.Auto,
    CpuMode Mode = CpuMode.Long,
    ulong LoadAddress = MachineLayout.HighMemory,
    string? CommandLine = null,
    byte[]? Initrd = null);
