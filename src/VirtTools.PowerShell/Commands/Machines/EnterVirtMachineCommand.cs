using System.Management.Automation;
using System.Text;
using VirtTools.Machine;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Attaches this terminal to a machine's serial console (COM1). Detach with Ctrl+] .</para>
/// </summary>
/// <remarks>
/// <para>Enter-VirtMachine shows what the guest has written to COM1 so far (up to the last 1 MiB), then everything it writes, and sends your keystrokes to the guest's UART (Enter sends a carriage return, as a serial terminal does). A machine still in the Created state is started first.</para>
/// <para>Press Ctrl+] (0x1d, as in telnet) to detach: the machine keeps running, and Enter-VirtMachine from this or any other pwsh on the host attaches again. A machine in its own VMM process (the default) is reached over its control socket: the VMM holds each output request until there is output, so an idle console costs no polling. The command also returns when the machine stops or crashes, or on Ctrl+C.</para>
/// <para>When standard input is redirected (a script piping text in), the bytes are sent as they are, a 0x1d byte detaches, and end of input leaves the console attached until the machine ends.</para>
/// </remarks>
/// <example>
/// <code>New-VirtMachine -Name shell -MemoryMB 256 -Kernel ./bzImage -Initrd ./initrd.cpio -CommandLine 'console=ttyS0' | Enter-VirtMachine</code>
/// <para>Boots a kernel and opens its serial console.</para>
/// </example>
/// <example>
/// <code>Enter-VirtMachine -Name demo -PassThru</code>
/// <para>Attaches to a running machine; after detaching returns its state.</para>
/// </example>
[Cmdlet(VerbsCommon.Enter, "VirtMachine")]
[OutputType(typeof(VirtMachineInfo))]
public sealed class EnterVirtMachineCommand : MachineCmdlet
{
    /// <summary>The detach key: Ctrl+] (GS, 0x1d), the telnet escape character.</summary>
    public const byte DetachByte = 0x1d;

    private readonly ManualResetEventSlim stopRequested = new();

    /// <summary>
    /// <para>Return the machine's state after detaching.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var machine = Select<IMachineConsole>().FirstOrDefault();
        if (machine is null)
        {
            return;
        }
        try
        {
            if (Invoke(machine.Info).State == MachineState.Created)
            {
                Invoke(machine.Start);
            }
            var ended = Attach(machine);
            var info = Invoke(machine.Info);
            WriteVerbose(ended
                ? $"machine '{machine.Name}' is {info.State}: {info.Reason}"
                : $"detached from machine '{machine.Name}' ({info.State})");
            if (PassThru)
            {
                WriteObject(info);
            }
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, machine.Name);
        }
    }

    protected override void StopProcessing() => stopRequested.Set();

    /// <summary>
    /// Copies the console to stdout from a reader thread that waits for output (in the machine's
    /// process, so nothing polls the socket), while this thread forwards keys. Returns true when the
    /// machine ended, false on detach or Ctrl+C.
    /// </summary>
    private bool Attach(IMachineConsole machine)
    {
        using var stdout = Console.OpenStandardOutput();
        var detached = new ManualResetEventSlim();
        var ended = new ManualResetEventSlim();
        Exception? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                // From offset 0: the backlog first (what is still kept), then everything new.
                long offset = 0;
                while (!detached.IsSet && !stopRequested.IsSet)
                {
                    var read = machine.ReadOutput(offset, OutputWait);
                    if (read.Data.Length > 0 && !detached.IsSet)
                    {
                        stdout.Write(read.Data);
                        stdout.Flush();
                    }
                    offset = read.Next;
                    if (read.MachineEnded && read.Data.Length == 0)
                    {
                        break;
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                ended.Set();
            }
        })
        { IsBackground = true, Name = "console-output" };
        reader.Start();
        if (Console.IsInputRedirected)
        {
            StartRedirectedReader(machine, detached);
        }
        while (!detached.IsSet && !stopRequested.IsSet && !ended.IsSet)
        {
            if (!Console.IsInputRedirected)
            {
                ForwardKeys(machine, detached);
            }
            // Keys are polled locally (Console.KeyAvailable); only output waits on the machine.
            ended.Wait(KeyPollInterval);
        }
        var machineEnded = ended.IsSet && !detached.IsSet && !stopRequested.IsSet;
        detached.Set();
        // The reader returns after its current wait at the latest; it writes nothing once detached.
        reader.Join(OutputWait + TimeSpan.FromSeconds(1));
        if (failure is not null && machineEnded)
        {
            throw failure;
        }
        return machineEnded;
    }

    /// <summary>How long one output request waits in the machine for new output before asking again.</summary>
    private static readonly TimeSpan OutputWait = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan KeyPollInterval = TimeSpan.FromMilliseconds(10);

    private static void ForwardKeys(IMachineConsole machine, ManualResetEventSlim detached)
    {
        while (Console.KeyAvailable)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.KeyChar == (char)DetachByte)
            {
                detached.Set();
                return;
            }
            var text = key.Key == ConsoleKey.Enter ? "\r" : key.KeyChar == '\0' ? "" : key.KeyChar.ToString();
            if (text.Length > 0)
            {
                machine.SendInput(Encoding.UTF8.GetBytes(text));
            }
        }
    }

    private static void StartRedirectedReader(IMachineConsole machine, ManualResetEventSlim detached)
    {
        var reader = new Thread(() =>
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[256];
            int read;
            while (!detached.IsSet && (read = stdin.Read(buffer)) > 0)
            {
                var chunk = buffer.AsSpan(0, read);
                var detach = chunk.IndexOf(DetachByte);
                machine.SendInput(detach < 0 ? chunk : chunk[..detach]);
                if (detach >= 0)
                {
                    detached.Set();
                }
            }
        })
        { IsBackground = true, Name = "console-input" };
        reader.Start();
    }
}
