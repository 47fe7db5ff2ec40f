using System.Text.Json;
using System.Text.Json.Serialization;

namespace VirtTools.Machine.Remote;

/// <summary>The one JSON shape shared by state.json, config.json and the socket protocol: enums as names, one object per line.</summary>
public static class VmmJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = false,
        // Generated metadata (VmmJsonContext) first: the VMM's cold start; reflection for anything else.
        TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
            VmmJsonContext.Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)
        ?? throw new JsonException($"empty {typeof(T).Name}");

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
