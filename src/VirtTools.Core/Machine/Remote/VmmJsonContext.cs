using System.Text.Json.Serialization;

namespace VirtTools.Machine.Remote;

/// <summary>
/// Compile-time JSON metadata for everything the VMM reads and writes. Why: a VMM process starts
/// cold, and reflection-based System.Text.Json spent over a second (on a loaded 2-CPU host) building
/// its converters for config.json before the machine could even be built.
/// </summary>
[JsonSerializable(typeof(MachineConfig))]
[JsonSerializable(typeof(VmmState))]
[JsonSerializable(typeof(VmmRequest))]
[JsonSerializable(typeof(VmmReply))]
internal sealed partial class VmmJsonContext : JsonSerializerContext;
