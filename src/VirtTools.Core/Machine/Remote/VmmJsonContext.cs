using System.Text.Json;
using System.Text.Json.Serialization;

namespace VirtTools.Machine.Remote;

/// <summary>
/// Compile-time JSON metadata for everything the VMM reads and writes, and the only metadata
/// <see cref="VmmJson"/> uses. Why: the VMM is compiled ahead of time (NativeAOT), where reflection
/// has no types to look at; and a JIT VMM spent over a second (on a loaded 2-CPU host) building
/// reflection converters for config.json before the machine could even be built.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(MachineConfig))]
[JsonSerializable(typeof(VmmState))]
[JsonSerializable(typeof(VmmRequest))]
[JsonSerializable(typeof(VmmReply))]
internal sealed partial class VmmJsonContext : JsonSerializerContext;
