using System.Buffers.Text;
using System.Text;
using Tmds.Linux;
using VirtTools.Diagnostics;

namespace VirtTools.Cgroups;

/// <summary>
/// Reads and writes cgroupfs control files with open/read/close and nothing else: the dashboard reads a
/// dozen files of a hundred groups every second, so the hot path allocates no strings and no streams.
/// </summary>
internal static unsafe class CgroupFile
{
    /// <summary>Control files are small; io.stat with many devices is the largest we read.</summary>
    private const int BufferSize = 16 * 1024;

    [ThreadStatic]
    private static byte[]? buffer;

    /// <summary>A path as the NUL-terminated bytes open(2) takes, computed once per group and file.</summary>
    public static byte[] PathBytes(string path) => Encoding.UTF8.GetBytes(path + "\0");

    /// <summary>The whole file in a per-thread buffer (valid until the next read on this thread); false if it cannot be read.</summary>
    public static bool TryRead(byte[]? path, out ReadOnlySpan<byte> content)
    {
        content = default;
        if (path is null)
        {
            return false;
        }
        var data = buffer ??= new byte[BufferSize];
        int fd;
        fixed (byte* p = path)
        {
            fd = LibC.open(p, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        }
        if (fd < 0)
        {
            return false;
        }
        var total = 0;
        try
        {
            fixed (byte* b = data)
            {
                while (total < data.Length)
                {
                    var n = (long)LibC.read(fd, b + total, data.Length - total);
                    if (n <= 0)
                    {
                        break;
                    }
                    total += (int)n;
                }
            }
        }
        finally
        {
            LibC.close(fd);
        }
        content = data.AsSpan(0, total);
        return true;
    }

    /// <summary>
    /// Re-reads an already open control file from offset 0 with one pread(2): cgroupfs regenerates the
    /// content for every read at offset 0, so a kept descriptor saves the open and close, which cost most
    /// (path lookup). False when the read fails (ENODEV once the group was removed).
    /// </summary>
    public static bool TryReread(int fd, out ReadOnlySpan<byte> content)
    {
        content = default;
        var data = buffer ??= new byte[BufferSize];
        long n;
        fixed (byte* b = data)
        {
            n = (long)LibC.pread(fd, b, data.Length, 0);
        }
        if (n < 0)
        {
            return false;
        }
        content = data.AsSpan(0, (int)n);
        return true;
    }

    /// <summary>open(2) read-only; -1 on failure.</summary>
    public static int OpenRead(byte[] path)
    {
        fixed (byte* p = path)
        {
            return LibC.open(p, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        }
    }

    public static void Close(int fd) => LibC.close(fd);

    /// <summary>The file as text (limits and lists, not the hot path); null if it cannot be read.</summary>
    public static string? TryReadText(string path)
    {
        if (!TryRead(PathBytes(path), out var content))
        {
            return null;
        }
        if (content.Length < BufferSize)
        {
            return Encoding.UTF8.GetString(content);
        }
        // A full buffer: a long cgroup.procs (thousands of pids). Read it whole the slow way.
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="value"/> in one write(2), as cgroupfs wants; 0 or the errno.</summary>
    public static int TryWrite(string path, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var pathBytes = PathBytes(path);
        int fd;
        fixed (byte* p = pathBytes)
        {
            // No O_CREAT: a missing control file means a missing controller, never a file to create.
            fd = LibC.open(p, LibC.O_WRONLY | LibC.O_CLOEXEC | LibC.O_TRUNC, 0);
        }
        if (fd < 0)
        {
            return Errno.Last;
        }
        try
        {
            fixed (byte* b = bytes)
            {
                var n = (long)LibC.write(fd, b, bytes.Length);
                return n < 0 ? Errno.Last : 0;
            }
        }
        finally
        {
            LibC.close(fd);
        }
    }

    /// <summary>Writes or throws <c>CgroupWriteFailed</c> naming the value and file: "write '64M' to '.../memory.max': Invalid argument".</summary>
    public static void Write(CgroupNode node, string file, string value, object? target = null)
    {
        var path = node.File(file);
        var errno = TryWrite(path, value);
        if (errno != 0)
        {
            throw Errno.Failure($"write '{value}' to '{path}'", errno, "CgroupWriteFailed", target ?? path);
        }
    }

    /// <summary>A limit as cgroupfs reads it: <paramref name="unlimited"/> ("max" on v2, "-1" on v1) or decimal bytes.</summary>
    public static string Limit(long value, string unlimited) =>
        value >= CgroupLimits.Unlimited ? unlimited : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A control file's number (limits, not the hot path); null when the file is missing or holds no number.</summary>
    public static long? ReadNumber(CgroupNode? node, string file) =>
        node is not null && TryRead(PathBytes(node.File(file)), out var content) ? Number(content) : null;

    /// <summary>A limit read back: null for "no limit" ("max", -1, or v1's PAGE_COUNTER_MAX in bytes).</summary>
    public static long? ReadLimit(CgroupNode? node, string file) =>
        ReadNumber(node, file) is { } v && v >= 0 && v < (1L << 62) ? v : null;

    /// <summary>The first line's number; <see cref="CgroupLimits.Unlimited"/> for "max" (v1 spells it as a huge number).</summary>
    public static long? Number(ReadOnlySpan<byte> content)
    {
        content = content.Trim(" \n\t"u8);
        if (content.SequenceEqual("max"u8))
        {
            return CgroupLimits.Unlimited;
        }
        return Utf8Parser.TryParse(content, out long value, out _) ? value : null;
    }

    /// <summary>The number after <paramref name="key"/> at the start of a line ("oom_kill 1", "usage_usec 42").</summary>
    public static long? Field(ReadOnlySpan<byte> content, ReadOnlySpan<byte> key)
    {
        while (!content.IsEmpty)
        {
            var end = content.IndexOf((byte)'\n');
            var line = end < 0 ? content : content[..end];
            if (line.Length > key.Length && line.StartsWith(key) && line[key.Length] == (byte)' ')
            {
                return Utf8Parser.TryParse(line[(key.Length + 1)..], out long value, out _) ? value : null;
            }
            content = end < 0 ? default : content[(end + 1)..];
        }
        return null;
    }

    /// <summary>Sums "key=N" over every line (v2 io.stat: "8:0 rbytes=1 wbytes=2 ...").</summary>
    public static long SumKeyed(ReadOnlySpan<byte> content, ReadOnlySpan<byte> key)
    {
        long sum = 0;
        while (true)
        {
            var at = content.IndexOf(key);
            if (at < 0)
            {
                return sum;
            }
            // Only whole words: " rbytes=" or line start, never "xrbytes=".
            if (at == 0 || content[at - 1] is (byte)' ' or (byte)'\n')
            {
                if (Utf8Parser.TryParse(content[(at + key.Length)..], out long value, out _))
                {
                    sum += value;
                }
            }
            content = content[(at + key.Length)..];
        }
    }

    /// <summary>Sums v1 blkio lines "8:0 Read N" for <paramref name="operation"/>; the "Total" line has no device and is skipped.</summary>
    public static long SumBlkio(ReadOnlySpan<byte> content, ReadOnlySpan<byte> operation)
    {
        long sum = 0;
        while (!content.IsEmpty)
        {
            var end = content.IndexOf((byte)'\n');
            var line = end < 0 ? content : content[..end];
            var space = line.IndexOf((byte)' ');
            if (space > 0 && line[..space].Contains((byte)':'))
            {
                var rest = line[(space + 1)..];
                if (rest.Length > operation.Length && rest.StartsWith(operation) && rest[operation.Length] == (byte)' '
                    && Utf8Parser.TryParse(rest[(operation.Length + 1)..], out long value, out _))
                {
                    sum += value;
                }
            }
            content = end < 0 ? default : content[(end + 1)..];
        }
        return sum;
    }

    /// <summary>Parses PSI: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=...".</summary>
    public static PressureStats? Pressure(ReadOnlySpan<byte> content)
    {
        var newline = content.IndexOf((byte)'\n');
        if (newline < 0 || !content.StartsWith("some "u8))
        {
            return null;
        }
        var some = content[..newline];
        var full = content[(newline + 1)..];
        return new PressureStats(
            Decimal(some, "avg10="u8), Decimal(some, "avg60="u8), Decimal(some, "avg300="u8),
            TimeSpan.FromMicroseconds(SumKeyed(some, "total="u8)),
            Decimal(full, "avg10="u8), Decimal(full, "avg60="u8), Decimal(full, "avg300="u8),
            TimeSpan.FromMicroseconds(SumKeyed(full, "total="u8)));
    }

    private static double Decimal(ReadOnlySpan<byte> line, ReadOnlySpan<byte> key)
    {
        var at = line.IndexOf(key);
        return at >= 0 && Utf8Parser.TryParse(line[(at + key.Length)..], out double value, out _) ? value : 0;
    }
}
