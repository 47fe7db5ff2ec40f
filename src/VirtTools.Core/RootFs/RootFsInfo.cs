namespace VirtTools.RootFs;

/// <summary>A root filesystem New-VirtRootFs built.</summary>
/// <param name="Path">Its directory.</param>
/// <param name="Commands">The commands it provides (programs copied, busybox applets linked).</param>
/// <param name="Files">Every host file copied into it, with its libraries and interpreter.</param>
/// <param name="SizeBytes">Bytes of regular files under it.</param>
public sealed record RootFsInfo(string Path, IReadOnlyList<string> Commands, IReadOnlyList<string> Files, long SizeBytes);
