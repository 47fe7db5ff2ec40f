using System.Management.Automation;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// <para type="synopsis">Opens an interactive shell inside a running container, on its own pseudo-terminal.</para>
/// </summary>
/// <remarks>
/// <para>Enter-VirtContainer runs a shell (or -Command) inside the container's namespaces and root on a new pseudo-terminal that becomes the shell's controlling terminal, so job control works, Ctrl+C and Ctrl+Z go to the program in the container, and resizing your terminal resizes the container's. Exit the shell to come back to pwsh.</para>
/// <para>It needs a real terminal; it writes the shell's exit code when it is not zero.</para>
/// </remarks>
/// <example>
/// <code>Enter-VirtContainer web</code>
/// <para>Opens /bin/sh inside the running container web.</para>
/// </example>
/// <example>
/// <code>Enter-VirtContainer web -Command /bin/busybox,ash</code>
/// <para>Opens busybox's ash instead.</para>
/// </example>
[Cmdlet(VerbsCommon.Enter, "VirtContainer", DefaultParameterSetName = ByName)]
[OutputType(typeof(void))]
public sealed class EnterVirtContainerCommand : ContainerCommandBase
{
    /// <summary>
    /// <para>The program and arguments to run (default /bin/sh).</para>
    /// </summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[] Command { get; set; } = ["/bin/sh"];

    protected override void ProcessRecord()
    {
        foreach (var name in SelectedNames().Take(1))
        {
            try
            {
                var code = Invoke(() => Runtime.Enter(name, Command));
                if (code != 0)
                {
                    WriteVerbose($"The shell in '{name}' exited with {code}");
                }
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, name);
            }
        }
    }
}
