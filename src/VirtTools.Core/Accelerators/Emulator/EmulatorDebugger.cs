using Iced.Intel;
using VirtTools.Diagnostics;
using VirtTools.Machine;

namespace VirtTools.Accelerators.Emulator;

/// <summary>One line of disassembly.</summary>
public sealed record DisassemblyLine(ulong Address, string Bytes, string Instruction);

/// <summary>What a single-step run did.</summary>
public sealed record StepResult(string Name, long Executed, string Stop, ulong Rip, string? Next);

/// <summary>A breakpoint on an instruction address (linear) or an I/O port.</summary>
public sealed record MachineBreakpoint(string Name, string Kind, ulong Value);

/// <summary>
/// The debugger behind Step-VirtMachine, Get-VirtDisassembly and the breakpoint cmdlets: steps the
/// emulator's vCPU from the calling thread, disassembles guest memory with Iced, and manages the
/// CPU's address and port breakpoints (a hit parks the machine as Paused).
/// </summary>
public static class EmulatorDebugger
{
    private static X86Cpu Cpu(VirtMachine machine, IVirtualCpu vcpu) => vcpu is EmulatorVcpu e
        ? e.Cpu
        : throw new VirtToolsException("DebuggerNeedsEmulator", VirtErrorKind.NotSupported,
            $"machine '{machine.Name}' runs on {machine.AcceleratorKind}: stepping and breakpoints need -Accelerator Emulator", machine.Name);

    /// <summary>Executes up to <paramref name="count"/> instructions (stops early at HLT, a breakpoint, a triple fault).</summary>
    public static StepResult Step(VirtMachine machine, long count)
    {
        if (machine.State is MachineState.Stopped or MachineState.Crashed)
        {
            throw new VirtToolsException("MachineNotSteppable", VirtErrorKind.InvalidOperation,
                $"machine '{machine.Name}' is {machine.State}", machine.Name);
        }
        return machine.WithVcpu(vcpu =>
        {
            var cpu = Cpu(machine, vcpu);
            var emu = (EmulatorVcpu)vcpu;
            ulong before = cpu.InstructionCount;
            long left = count;
            string stop = "Count";
            bool savedExitOnIo = cpu.ExitOnPortIo;
            var breaks = cpu.Breakpoints.ToArray();
            // Stepping starts on the current instruction even when a breakpoint sits there.
            cpu.Breakpoints.Clear();
            try
            {
                while (left > 0)
                {
                    var exit = emu.Run(machine, 1);
                    left = count - (long)(cpu.InstructionCount - before);
                    if (exit.Reason is VcpuExitReason.Halt or VcpuExitReason.Shutdown)
                    {
                        stop = exit.Reason.ToString();
                        break;
                    }
                    if (breaks.Contains(cpu.GetSegment(X86Decoder.CS).Base + cpu.Rip) && left > 0)
                    {
                        stop = "Breakpoint";
                        break;
                    }
                    if (exit.Reason == VcpuExitReason.Debug)
                    {
                        stop = "PortBreakpoint";
                        break;
                    }
                }
            }
            finally
            {
                foreach (var b in breaks)
                {
                    cpu.Breakpoints.Add(b);
                }
                cpu.ExitOnPortIo = savedExitOnIo;
            }
            ulong rip = cpu.Rip;
            var next = Disassemble(cpu, cpu.GetSegment(X86Decoder.CS).Base + rip, 1).FirstOrDefault();
            return new StepResult(machine.Name, (long)(cpu.InstructionCount - before), stop, rip, next?.Instruction);
        });
    }

    /// <summary>
    /// Disassembles <paramref name="count"/> instructions at <paramref name="address"/> (linear; default
    /// CS:RIP) in the vCPU's current code size. On KVM machines the address is read as physical memory.
    /// </summary>
    public static IReadOnlyList<DisassemblyLine> Disassemble(VirtMachine machine, ulong? address, int count)
    {
        return machine.WithVcpu(vcpu =>
        {
            if (vcpu is EmulatorVcpu e)
            {
                return Disassemble(e.Cpu, address ?? e.Cpu.GetSegment(X86Decoder.CS).Base + e.Cpu.Rip, count);
            }
            var regs = vcpu.GetRegisters();
            var sregs = vcpu.GetSpecialRegisters();
            int bits = (sregs.Efer & SpecialRegisters.EferLongModeActive) != 0 && sregs.Cs.L == 1 ? 64 : sregs.Cs.Db == 1 ? 32 : 16;
            ulong at = address ?? sregs.Cs.Base + regs.Rip;
            byte[] bytes = new byte[count * 15];
            int n = 0;
            for (; n < bytes.Length; n++)
            {
                try
                {
                    bytes[n] = machine.Memory.Span(at + (ulong)n, 1)[0];
                }
                catch (VirtToolsException)
                {
                    break;
                }
            }
            return Format(bytes.AsSpan(0, n).ToArray(), at, bits, count);
        });
    }

    internal static IReadOnlyList<DisassemblyLine> Disassemble(X86Cpu cpu, ulong linear, int count)
    {
        byte[] bytes = new byte[count * 15];
        int n = 0;
        for (; n < bytes.Length && cpu.TryReadLinear(linear + (ulong)n, out bytes[n]); n++)
        {
        }
        return Format(bytes.AsSpan(0, n).ToArray(), linear, cpu.CodeBits, count);
    }

    private static IReadOnlyList<DisassemblyLine> Format(byte[] bytes, ulong address, int bits, int count)
    {
        var lines = new List<DisassemblyLine>();
        var decoder = Decoder.Create(bits, new ByteArrayCodeReader(bytes));
        decoder.IP = address;
        var formatter = new NasmFormatter();
        formatter.Options.FirstOperandCharIndex = 0;
        var output = new StringOutput();
        while (lines.Count < count && decoder.IP < address + (ulong)bytes.Length)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid && instruction.Length == 0)
            {
                break;
            }
            formatter.Format(instruction, output);
            int offset = (int)(instruction.IP - address);
            string hex = Convert.ToHexString(bytes, offset, instruction.Length).ToLowerInvariant();
            lines.Add(new DisassemblyLine(instruction.IP, hex, instruction.IsInvalid ? "(bad)" : output.ToStringAndReset()));
            output.Reset();
        }
        return lines;
    }

    public static MachineBreakpoint AddBreakpoint(VirtMachine machine, ulong? address, ushort? port) =>
        machine.WithVcpu(vcpu =>
        {
            var cpu = Cpu(machine, vcpu);
            if (address is { } a)
            {
                cpu.Breakpoints.Add(a);
                return new MachineBreakpoint(machine.Name, "Address", a);
            }
            cpu.PortBreakpoints.Add(port!.Value);
            return new MachineBreakpoint(machine.Name, "Port", port.Value);
        });

    public static bool RemoveBreakpoint(VirtMachine machine, MachineBreakpoint breakpoint) =>
        machine.WithVcpu(vcpu =>
        {
            var cpu = Cpu(machine, vcpu);
            return breakpoint.Kind == "Address" ? cpu.Breakpoints.Remove(breakpoint.Value) : cpu.PortBreakpoints.Remove((ushort)breakpoint.Value);
        });

    public static IReadOnlyList<MachineBreakpoint> Breakpoints(VirtMachine machine) =>
        machine.WithVcpu(vcpu =>
        {
            if (vcpu is not EmulatorVcpu e)
            {
                return (IReadOnlyList<MachineBreakpoint>)Array.Empty<MachineBreakpoint>();
            }
            return e.Cpu.Breakpoints.Order().Select(a => new MachineBreakpoint(machine.Name, "Address", a))
                .Concat(e.Cpu.PortBreakpoints.Order().Select(p => new MachineBreakpoint(machine.Name, "Port", p))).ToList();
        });
}
