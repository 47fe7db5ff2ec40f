namespace VirtTools.Isolation;

/// <summary>
/// Which directory (device and inode) and when it last changed (mtime in nanoseconds since the
/// epoch): equal stamps mean the directory's entries were not replaced in between, as far as the
/// file system's clock can tell (see <see cref="ModifiedUtc"/>).
/// </summary>
public readonly record struct StateDirectoryStamp(ulong Device, ulong Inode, long MtimeNanoseconds)
{
    /// <summary>
    /// The mtime as a time. File systems stamp it from a coarse clock (a scheduler tick), so two
    /// changes within one tick can leave the same mtime: a stamp taken close to its mtime proves little.
    /// </summary>
    public DateTime ModifiedUtc => DateTime.UnixEpoch.AddTicks(MtimeNanoseconds / 100);
}
