namespace VirtTools.RootFs;

/// <summary>What New-VirtRootFs should put into a root filesystem.</summary>
/// <param name="Path">The directory to build; created if missing.</param>
/// <param name="Commands">Host programs (names looked up in PATH, or absolute paths) copied with their libraries.</param>
/// <param name="Busybox">Add the host's static busybox and a link per applet.</param>
/// <param name="Tarball">A .tar or .tar.gz rootfs to unpack first.</param>
/// <param name="Force">Replace an existing non-empty directory.</param>
public sealed record RootFsOptions(string Path, IReadOnlyList<string> Commands, bool Busybox = false, string? Tarball = null, bool Force = false);
