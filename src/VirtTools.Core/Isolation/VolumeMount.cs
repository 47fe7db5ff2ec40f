using VirtTools.Diagnostics;

namespace VirtTools.Isolation;

/// <summary>A host directory or file bind-mounted into a container.</summary>
public sealed record VolumeMount(string Source, string Target, bool ReadOnly)
{
    /// <summary>Parses <c>host:container[:ro|rw]</c>; both paths absolute, the host path existing.</summary>
    public static VolumeMount Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            throw Invalid(text, "expected host:container or host:container:ro");
        }
        var readOnly = parts.Length == 3 && parts[2] switch
        {
            "ro" => true,
            "rw" => false,
            _ => throw Invalid(text, $"unknown mode '{parts[2]}' (ro or rw)"),
        };
        if (!parts[0].StartsWith('/') || !parts[1].StartsWith('/'))
        {
            throw Invalid(text, "both paths must be absolute");
        }
        if (parts[1].Split('/').Contains(".."))
        {
            throw Invalid(text, "the container path must not contain '..'");
        }
        if (!Path.Exists(parts[0]))
        {
            throw Invalid(text, $"host path '{parts[0]}' does not exist");
        }
        return new VolumeMount(Path.GetFullPath(parts[0]), parts[1], readOnly);
    }

    public override string ToString() => $"{Source}:{Target}{(ReadOnly ? ":ro" : "")}";

    private static VirtToolsException Invalid(string text, string why) =>
        new("InvalidVolume", VirtErrorKind.InvalidArgument, $"Invalid volume '{text}': {why}", text);
}
