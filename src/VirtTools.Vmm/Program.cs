using VirtTools.Machine.Remote;

// dotnet VirtTools.Vmm.dll <machine directory>: builds the machine from config.json, serves its
// socket until a remove request, then deletes the directory. Nothing goes to the inherited
// stdout/stderr (the starting pwsh may be gone): diagnostics go to vmm.log.
if (args.Length != 1 || !Directory.Exists(args[0]))
{
    return 2;
}
var directory = Path.GetFullPath(args[0]);
using var log = new StreamWriter(VmmPaths.LogFile(directory), append: true) { AutoFlush = true };
Console.SetOut(log);
Console.SetError(log);
try
{
    using var server = VmmServer.Open(directory);
    log.WriteLine($"{DateTime.UtcNow:O} machine '{server.Machine.Name}' served by pid {Environment.ProcessId}");
    server.Serve();
    log.WriteLine($"{DateTime.UtcNow:O} removed");
    return 0;
}
catch (Exception e)
{
    log.WriteLine($"{DateTime.UtcNow:O} {e}");
    return 1;
}
