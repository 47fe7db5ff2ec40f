using System.Text;

namespace VirtTools.Machine.Initramfs;

/// <summary>
/// Writes a cpio archive in the "newc" format the Linux kernel unpacks into its initramfs
/// (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte ASCII header of
/// "070701" and thirteen 8-digit hex fields, the NUL-terminated name, the data, each padded to 4 bytes,
/// and a final "TRAILER!!!" entry.
/// </summary>
public sealed class CpioNewcWriter : IDisposable
{
    public const uint TypeDirectory = 0x4000, TypeRegular = 0x8000, TypeSymlink = 0xa000, TypeCharDevice = 0x2000;

    private readonly Stream stream;
    private uint nextInode = 1;
    private bool finished;

    public CpioNewcWriter(Stream stream) => this.stream = stream;

    public void AddDirectory(string name, uint permissions = 0x1ed) =>
        Add(name, TypeDirectory | permissions, [], nlink: 2);

    public void AddFile(string name, ReadOnlySpan<byte> data, uint permissions = 0x1a4) =>
        Add(name, TypeRegular | permissions, data);

    public void AddSymlink(string name, string target) =>
        Add(name, TypeSymlink | 0x1ff, Encoding.UTF8.GetBytes(target));

    public void AddCharDevice(string name, uint major, uint minor, uint permissions = 0x180) =>
        Add(name, TypeCharDevice | permissions, [], rdevMajor: major, rdevMinor: minor);

    /// <summary>Writes the trailer; the archive is complete afterwards.</summary>
    public void Finish()
    {
        if (finished)
        {
            return;
        }
        Add("TRAILER!!!", 0, [], nlink: 1, inode: 0);
        finished = true;
        stream.Flush();
    }

    private void Add(string name, uint mode, ReadOnlySpan<byte> data, uint nlink = 1, uint rdevMajor = 0, uint rdevMinor = 0, uint? inode = null)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name.TrimStart('/') + "\0");
        var header = new StringBuilder("070701", 110);
        foreach (var field in new[] { inode ?? nextInode++, mode, 0u, 0u, nlink, 0u, (uint)data.Length, 0u, 0u, rdevMajor, rdevMinor, (uint)nameBytes.Length, 0u })
        {
            header.Append(field.ToString("x8"));
        }
        stream.Write(Encoding.ASCII.GetBytes(header.ToString()));
        stream.Write(nameBytes);
        Pad(110 + nameBytes.Length);
        stream.Write(data);
        Pad(data.Length);
    }

    private void Pad(long written)
    {
        var padding = (int)((4 - written % 4) % 4);
        for (var i = 0; i < padding; i++)
        {
            stream.WriteByte(0);
        }
    }

    public void Dispose() => Finish();
}
