namespace VirtTools.Machine.Loaders;

/// <summary>How the image file is laid out.</summary>
public enum ImageFormat
{
    /// <summary>Guess from the contents: ELF magic, multiboot header, bzImage "HdrS", else flat.</summary>
    Auto,
    /// <summary>Raw bytes copied to the load address; entry at the load address.</summary>
    Flat,
    /// <summary>ELF32 (protected mode) or ELF64 (long mode); PT_LOAD segments at their physical addresses.</summary>
    Elf,
    /// <summary>A multiboot v1 kernel (ELF or a.out kludge), entered in protected mode with EBX = info.</summary>
    Multiboot,
    /// <summary>A Linux bzImage, entered by the 64-bit boot protocol.</summary>
    Linux,
}
