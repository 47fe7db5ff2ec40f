namespace VirtTools.Machine.Remote;

/// <summary>The machines of every VMM process on this host, live or stale, from /run/virttools/machines.</summary>
public static class RemoteMachineDirectory
{
    public static IReadOnlyList<RemoteMachine> List()
    {
        if (!Directory.Exists(VmmPaths.Root))
        {
            return [];
        }
        return [.. Directory.EnumerateDirectories(VmmPaths.Root)
            .Where(d => !Path.GetFileName(d).StartsWith('.')) // being removed (VmmPaths.Doomed)
            .Select(d => new RemoteMachine(d, VmmState.TryRead(d)))
            .OrderBy(m => m.Name, StringComparer.OrdinalIgnoreCase)];
    }
}
