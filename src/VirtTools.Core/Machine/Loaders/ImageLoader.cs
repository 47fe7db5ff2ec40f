using VirtTools.Accelerators;

namespace VirtTools.Machine.Loaders;

/// <summary>Picks the loader for a request (guessing the format when asked to) and runs it.</summary>
public static class ImageLoader
{
    /// <summary>The format <paramref name="image"/> looks like: bzImage, multiboot, ELF, else flat.</summary>
    public static ImageFormat Detect(ReadOnlySpan<byte> image) =>
        LinuxLoader.IsBzImage(image) ? ImageFormat.Linux
        : MultibootLoader.FindHeader(image) >= 0 ? ImageFormat.Multiboot
        : ElfLoader.IsElf(image) ? ImageFormat.Elf
        : ImageFormat.Flat;

    public static BootState Load(GuestMemory memory, SpecialRegisters reset, LoadRequest request)
    {
        var format = request.Format == ImageFormat.Auto ? Detect(request.Image) : request.Format;
        return format switch
        {
            ImageFormat.Linux => LinuxLoader.Load(memory, reset, request),
            ImageFormat.Multiboot => MultibootLoader.Load(memory, reset, request),
            ImageFormat.Elf => ElfLoader.Load(memory, reset, request.Image),
            _ => FlatBinaryLoader.Load(memory, reset, request),
        };
    }
}
