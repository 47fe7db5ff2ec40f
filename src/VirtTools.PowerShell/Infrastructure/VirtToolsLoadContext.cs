using System.Reflection;
using System.Runtime.Loader;

namespace VirtTools.PowerShell.Infrastructure;

/// <summary>
/// The module's own AssemblyLoadContext. VirtTools.Core, the dashboard, and everything they pull in
/// (Serilog, Terminal.Gui, Microsoft.Extensions.*, Tmds.LibC) are loaded from the deps/ folder into
/// it, so another module's older copies of the same assemblies in the default context can neither
/// break us nor be broken by us. Framework assemblies still come from the default context.
/// </summary>
internal sealed class VirtToolsLoadContext : AssemblyLoadContext
{
    private readonly string dependencyDirectory;

    public VirtToolsLoadContext(string dependencyDirectory) : base("VirtTools", isCollectible: false) =>
        this.dependencyDirectory = dependencyDirectory;

    /// <summary>The folder next to the cmdlet assembly that holds the isolated dependencies.</summary>
    public string DependencyDirectory => dependencyDirectory;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var candidate = Path.Combine(dependencyDirectory, assemblyName.Name + ".dll");
        // Null defers to the default context: that is how System.* and the runtime itself are shared.
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var candidate = Path.Combine(dependencyDirectory, unmanagedDllName);
        return File.Exists(candidate) ? LoadUnmanagedDllFromPath(candidate) : IntPtr.Zero;
    }
}
