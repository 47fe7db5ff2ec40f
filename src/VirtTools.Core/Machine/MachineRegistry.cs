using VirtTools.Diagnostics;

namespace VirtTools.Machine;

/// <summary>
/// The machines one process hosts, by name (names are unique, case-insensitive). The PowerShell module
/// keeps one for its session; tests create their own.
/// </summary>
public sealed class MachineRegistry : IDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<string, VirtMachine> machines = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<VirtMachine> All
    {
        get
        {
            lock (gate)
            {
                return [.. machines.Values.OrderBy(m => m.Name, StringComparer.OrdinalIgnoreCase)];
            }
        }
    }

    /// <summary>Builds a machine and registers it; <c>MachineExists</c> when the name is taken.</summary>
    public VirtMachine Create(MachineConfig config)
    {
        lock (gate)
        {
            if (machines.ContainsKey(config.Name))
            {
                throw new VirtToolsException("MachineExists", VirtErrorKind.AlreadyExists, $"a machine named '{config.Name}' already exists", config.Name);
            }
            var machine = VirtMachine.Create(config);
            machines.Add(config.Name, machine);
            return machine;
        }
    }

    public VirtMachine Get(string name)
    {
        lock (gate)
        {
            return machines.TryGetValue(name, out var machine) ? machine
                : throw new VirtToolsException("MachineNotFound", VirtErrorKind.NotFound, $"no machine named '{name}'", name);
        }
    }

    /// <summary>Unregisters and disposes a machine; a running one only with <paramref name="force"/>.</summary>
    public void Remove(string name, bool force)
    {
        VirtMachine machine;
        lock (gate)
        {
            machine = Get(name);
            if (!force && machine.State is MachineState.Running or MachineState.Paused)
            {
                throw new VirtToolsException("MachineRunning", VirtErrorKind.ResourceBusy,
                    $"machine '{name}' is {machine.State}; stop it first or use -Force", name);
            }
            machines.Remove(name);
        }
        machine.Dispose();
    }

    public void Dispose()
    {
        foreach (var machine in All)
        {
            machine.Dispose();
        }
        lock (gate)
        {
            machines.Clear();
        }
    }
}
