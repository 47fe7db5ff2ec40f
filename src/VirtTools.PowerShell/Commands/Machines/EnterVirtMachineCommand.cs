using System.Collections.Concurrent;
using System.Management.Automation;
using System.Text;
using VirtTools.Machine;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Attaches this terminal to a machine's serial console (COM1). Detach with Ctrl+] .</para>
/// </summary>
/// <remarks>
/// <para>Enter-VirtMachine shows what the guest has written to COM1 so far, then everything it writes, and sends your keystrokes to the guest's UART (Enter sends a carriage return, as a serial terminal does). A machine still in the Created state is started first.</para>
/// <para>Press Ctrl+] (0x1d, as in telnet) to detach: the machine keeps running. The command also returns when the machine stops or crashes, or on Ctrl+C.</para>
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
        var machine = SelectMachines().FirstOrDefault();
        if (machine is null)
        {
            return;
        }
        try
        {
            if (machine.State == MachineState.Created)
            {
                Invoke(machine.Start);
            }
            Attach(machine);
            if (PassThru)
            {
                WriteObject(VirtMachineInfo.From(machine));
            }
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, machine.Name);
        }
    }

    protected override void StopProcessing() => stopRequested.Set();

    private void Attach(VirtMachine machine)
    {
        var pending = new ConcurrentQueue<byte>();
        void OnByte(byte b) => pending.Enqueue(b);
        using var stdout = Console.OpenStandardOutput();
        // Subscribe before copying the backlog: a byte may then show twice, but none is lost.
        machine.Output.Received += OnByte;
        var detached = new ManualResetEventSlim();
        try
        {
            stdout.Write(machine.Output.ToArray());
            stdout.Flush();
            if (Console.IsInputRedirected)
            {
                StartRedirectedReader(machine, detached);
            }
            var buffer = new List<byte>();
            while (!detached.IsSet && !stopRequested.IsSet)
            {
                var ended = machine.State is MachineState.Stopped or MachineState.Crashed;
                buffer.Clear();
                while (pending.TryDequeue(out var b))
                {
                    buffer.Add(b);
                }
                if (buffer.Count > 0)
                {
                    stdout.Write(buffer.ToArray());
                    stdout.Flush();
                }
                if (ended)
                {
                    break;
                }
                if (!Console.IsInputRedirected)
                {
                    ForwardKeys(machine, detached);
                }
                stopRequested.Wait(10);
            }
        }
        finally
        {
            machine.Output.Received -= OnByte;
        }
        WriteVerbose(machine.State is MachineState.Stopped or MachineState.Crashed
            ? $"machine '{machine.Name}' is {machine.State}: {machine.Reason}"
            : $"detached from machine '{machine.Name}' ({machine.State})");
    }

    private static void ForwardKeys(VirtMachine machine, ManualResetEventSlim detached)
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

    private static void StartRedirectedReader(VirtMachine machine, ManualResetEventSlim detached)
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
