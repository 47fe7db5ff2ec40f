using System.Management.Automation;
using VirtTools.Dashboard;
using VirtTools.Diagnostics;
using VirtTools.Monitoring;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Dashboard;

/// <summary>
/// <para type="synopsis">Shows a live terminal dashboard of every VirtTools container, machine and cgroup on this host.</para>
/// </summary>
/// <remarks>
/// <para>Show-VirtDashboard opens a full-screen table, refreshed every -Interval seconds, with one row per container, machine and cgroup: state, CPU as a percentage of the host and of the item's quota, time throttled, memory used against its limit, pids against pids.max, uptime, and for machines the accelerator, vCPU count and exits per second (or guest MIPS on the emulator). A sparkline shows each row's recent CPU.</para>
/// <para>Keys: Up/Down to move, Enter for the detail pane (limits, history charts, recent events such as OOM kills and limit hits, and the last output lines), / to filter by name, a to toggle all items or running ones, s/S or 1-9 to sort by a column (again to reverse), x for the actions menu (stop, kill, remove, pause, resume, each confirmed), F5 to refresh now, ? for help. Quit with q or Esc: Ctrl+C does not reach PowerShell while the dashboard runs.</para>
/// <para>Containers come from the host-wide state under /run/virttools, cgroups are the virttools/* groups under this session's cgroup, and machines are the ones this session hosts (New-VirtMachine).</para>
/// <para>-ReadOnly disables every action. -Once prints one snapshot as objects (two readings -Interval apart, so rates are real) and exits; -Once -AsText prints the dashboard screen itself as text. Without an interactive terminal (redirected input or output) the command warns and prints one snapshot as -Once does.</para>
/// <para>Log events raised while the dashboard is up (limit hits, exits, actions) are kept and written as verbose and warning records after it closes. The terminal is restored on every way out, also after an error.</para>
/// </remarks>
/// <example>
/// <code>Show-VirtDashboard</code>
/// <para>Opens the dashboard, refreshed every second.</para>
/// </example>
/// <example>
/// <code>Show-VirtDashboard -Interval 5 -ReadOnly</code>
/// <para>Opens the dashboard refreshed every five seconds, with stop, kill and remove disabled: safe to leave running on a shared screen.</para>
/// </example>
/// <example>
/// <code>Show-VirtDashboard -Once | Where-Object MemoryPercent -gt 80</code>
/// <para>Takes one snapshot and lists the items using more than 80 % of their memory limit.</para>
/// </example>
/// <example>
/// <code>Show-VirtDashboard -Once -AsText | Set-Content dashboard.txt</code>
/// <para>Saves what the dashboard would show right now as plain text, for a log or a bug report.</para>
/// </example>
[Cmdlet(VerbsCommon.Show, "VirtDashboard")]
[OutputType(typeof(MonitorSample), typeof(string))]
public sealed class ShowVirtDashboardCommand : VirtCmdlet
{
    private readonly ManualResetEventSlim stopping = new();

    /// <summary>
    /// <para>Seconds between refreshes (default 1). With -Once, the time between the two readings the rates are computed from.</para>
    /// </summary>
    [Parameter]
    [ValidateRange(0.1, 3600)]
    public double Interval { get; set; } = 1;

    /// <summary>
    /// <para>Disables the actions menu: nothing can be stopped, killed, removed, paused or resumed from the dashboard.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

    /// <summary>
    /// <para>Prints one snapshot, one object per item, and exits instead of opening the dashboard.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Once { get; set; }

    /// <summary>
    /// <para>With -Once: prints the dashboard screen as text (drawn off-screen, 160 columns wide) instead of objects.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter AsText { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            using var sampler = Invoke(() => new MonitorSampler(HostSources.Create(() => Machines.MachineSession.Registry)));
            var interval = TimeSpan.FromSeconds(Interval);
            if (!Once && NoTerminalReason() is { } reason)
            {
                WriteWarning($"Show-VirtDashboard needs an interactive terminal ({reason}): writing one snapshot instead, as -Once does.");
                Once = true;
            }
            if (Once)
            {
                WriteSnapshot(sampler, interval);
                return;
            }
            Invoke(() => DashboardApp.Run(sampler, new DashboardOptions { Interval = interval, ReadOnly = ReadOnly }));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e);
        }
    }

    private void WriteSnapshot(MonitorSampler sampler, TimeSpan interval)
    {
        Invoke(() => sampler.Refresh());
        // Rates need two readings; the wait is cancellable with Ctrl+C (StopProcessing).
        if (stopping.Wait(interval))
        {
            return;
        }
        if (AsText)
        {
            var rows = sampler.Current.Items.Count;
            WriteObject(Invoke(() => DashboardApp.RenderText(sampler, 160, Math.Clamp(rows + 8, 12, 200))));
            return;
        }
        foreach (var item in Invoke(() => sampler.Refresh()).Items.OrderBy(i => i.Kind).ThenBy(i => i.Name, StringComparer.Ordinal))
        {
            WriteObject(item);
        }
    }

    protected override void StopProcessing() => stopping.Set();

    /// <summary>Why this session cannot host a full-screen UI, or null when it can.</summary>
    private static string? NoTerminalReason() =>
        Console.IsInputRedirected ? "standard input is redirected"
        : Console.IsOutputRedirected ? "standard output is redirected"
        : Environment.GetEnvironmentVariable("TERM") is "dumb" ? "TERM is dumb"
        : null;
}
