using VirtTools.Diagnostics;
using VirtTools.RootFs;

namespace VirtTools.Tests.RootFs;

public sealed class ElfFileTests
{
    [Fact]
    public void ReadsInterpreterAndNeededLibrariesOfAHostProgram()
    {
        var elf = ElfFile.Read("/usr/bin/ls");
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", elf.Interpreter);
        Assert.Contains("libc.so.6", elf.Needed);
    }

    [SkippableFact]
    public void AStaticProgramHasNoInterpreterAndNoNeededLibraries()
    {
        Skip.IfNot(File.Exists("/bin/busybox"), "busybox-static is not installed");
        var elf = ElfFile.Read("/bin/busybox");
        Assert.Null(elf.Interpreter);
        Assert.Empty(elf.Needed);
    }

    [Fact]
    public void RejectsAFileThatIsNotElf()
    {
        var error = Assert.Throws<VirtToolsException>(() => ElfFile.Parse("#!/bin/sh\necho hi\n"u8.ToArray().Concat(new byte[64]).ToArray(), "script"));
        Assert.Equal("NotElf", error.ErrorId);
    }

    [Fact]
    public void RejectsHeadersPointingOutsideTheFile()
    {
        var image = File.ReadAllBytes("/usr/bin/ls")[..0x100];
        var error = Assert.Throws<VirtToolsException>(() => ElfFile.Parse(image, "truncated"));
        Assert.Equal("BadElf", error.ErrorId);
    }
}
