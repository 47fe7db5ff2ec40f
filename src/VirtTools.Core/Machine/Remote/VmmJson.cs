using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace VirtTools.Machine.Remote;

/// <summary>
/// The one JSON shape shared by state.json, config.json and the socket protocol: web defaults, enums as
/// names, one object per line, from <see cref="VmmJsonContext"/>'s generated metadata alone.
/// </summary>
public static class VmmJson
{
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, TypeInfo<T>());

    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize(json, TypeInfo<T>())
        ?? throw new JsonException($"empty {typeof(T).Name}");

    /// <summary>A type the context does not list fails here, at once, rather than in a VMM built ahead of time.</summary>
    private static JsonTypeInfo<T> TypeInfo<T>() =>
        VmmJsonContext.Default.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
        ?? throw new NotSupportedException($"{typeof(T).Name} is not in VmmJsonContext");

    /// <summary>Writes beside and renames, so a reader never sees half a file.</summary>
    public static void WriteFileAtomically<T>(string path, T value)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, Serialize(value));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>As <see cref="WriteFileAtomically"/>, but leaves a file that is already there alone; false then.</summary>
    public static bool WriteFileIfAbsent<T>(string path, T value)
    {
        var temporary = path + ".new";
        File.WriteAllText(temporary, Serialize(value));
        try
        {
            // A move that must not overwrite is link(2) + unlink(2) on Linux: it fails if the file exists.
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }
    }
}
