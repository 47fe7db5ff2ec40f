using System.Diagnostics;
using VirtTools.Cgroups;

namespace VirtTools.Tests.Cgroups;

/// <summary>
/// A real group under virttools/ with a unique name, removed (processes killed) on Dispose, also when
/// the test fails. Processes start gated on stdin, so they enter the group before they do anything.
/// </summary>
internal sealed class TestGroup : IDisposable
{
    public TestGroup(CgroupLimits? limits = null)
    {
        Manager = CgroupManager.ForCurrentProcess();
        Name = NewName();
        Group = Manager.Create(Name, limits);
    }

    public CgroupManager Manager { get; }

    public string Name { get; }

    public Cgroup Group { get; }

    private readonly List<Process> processes = [];

    public static string NewName() => "xt-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Starts <c>sh -c script</c>, moves it into the group, then lets it run.</summary>
    public Process Start(string script)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("read go; " + script);
        var process = Process.Start(info)!;
        processes.Add(process);
        Group.AddProcess(process.Id);
        process.StandardInput.WriteLine("go");
        process.StandardInput.Flush();
        return process;
    }

    public void Dispose()
    {
        if (Group.Exists)
        {
            Group.Remove(force: true);
        }
        foreach (var p in processes)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
            p.WaitForExit(5000);
            p.Dispose();
        }
    }
}
