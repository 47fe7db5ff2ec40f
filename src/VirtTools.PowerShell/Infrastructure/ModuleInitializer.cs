using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace VirtTools.PowerShell.Infrastructure;

/// <summary>
/// Runs when <c>Import-Module</c> loads the cmdlet assembly: routes the module's own assemblies into
/// <see cref="VirtToolsLoadContext"/>. Only the assemblies the cmdlets reference directly are
/// redirected from the default context; their dependencies then resolve inside our context.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <summary>Assemblies the cmdlet layer references that must live in our context.</summary>
    private static readonly HashSet<string> entryAssemblies = new(StringComparer.Ordinal) { "VirtTools.Core", "VirtTools.Dashboard" };

    private static readonly VirtToolsLoadContext context = new(
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "deps"));

    /// <summary>The context the module's dependencies live in (tests check where assemblies were loaded).</summary>
    internal static AssemblyLoadContext Context => context;

    public void OnImport()
    {
        // Import-Module -Force runs this again in the same process: never register twice.
        AssemblyLoadContext.Default.Resolving -= ResolveIntoModuleContext;
        AssemblyLoadContext.Default.Resolving += ResolveIntoModuleContext;
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        // Core first: releasing machines and flushing the log may load VirtTools.Core, which needs the handler.
        Core.Flush();
        AssemblyLoadContext.Default.Resolving -= ResolveIntoModuleContext;
    }

    /// <summary>Machines hosted in this session end with the module: their vCPU threads and KVM fds go with it.</summary>
    private static class Machines
    {
        public static void Release() => Commands.Machines.MachineSession.Reset();
    }

    private static Assembly? ResolveIntoModuleContext(AssemblyLoadContext defaultContext, AssemblyName name) =>
        name.Name is { } simple && entryAssemblies.Contains(simple) ? context.LoadFromAssemblyName(name) : null;

    /// <summary>Kept in its own type so that VirtTools.Core is only touched after the handler is in place.</summary>
    private static class Core
    {
        public static void Flush()
        {
            Machines.Release();
            VirtTools.Diagnostics.VirtLog.Flush();
        }
    }
}
