namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The x87 register file (Intel SDM vol. 1, 8.1): eight 80-bit data registers addressed as a
/// stack from FSW.TOP, the control and status words, a tag per register, and the last
/// instruction/operand pointers and opcode that FSTENV, FSAVE and FXSAVE report. Pure state:
/// the instructions are in X86Cpu.X87.cs.
/// </summary>
internal sealed class X87Fpu
{
    // FSW bits (SDM vol. 1, figure 8-4) beyond the six exception flags.
    public const ushort StackFault = 0x40, ErrorSummary = 0x80, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, Busy = 0x8000;
    public const ushort ConditionCodes = C0 | C1 | C2 | C3;
    /// <summary>FCW after FNINIT: all exceptions masked, 64-bit precision, round to nearest.</summary>
    public const ushort DefaultControl = 0x037F;

    /// <summary>Physical registers R0..R7; ST(i) is R[(TOP + i) mod 8].</summary>
    public readonly Float80[] Registers = new Float80[8];
    public ushort Control = DefaultControl;
    /// <summary>FSW including TOP in bits 11..13.</summary>
    public ushort Status;
    /// <summary>Bit n set: physical register n is empty (tag 11b).</summary>
    public byte Empty = 0xFF;
    /// <summary>Last non-control instruction: FOP (11 bits), its offset and CS selector.</summary>
    public ushort Opcode;
    public ulong InstructionPointer;
    public ushort CodeSelector;
    /// <summary>Its memory operand's offset and segment selector, if it had one.</summary>
    public ulong DataPointer;
    public ushort DataSelector;

    public int Top
    {
        get => (Status >> 11) & 7;
        set => Status = (ushort)((Status & ~0x3800) | ((value & 7) << 11));
    }

    public int Physical(int st) => (Top + st) & 7;
    public bool IsEmpty(int st) => (Empty & (1 << Physical(st))) != 0;
    public Float80 Get(int st) => Registers[Physical(st)];

    public void Set(int st, Float80 value)
    {
        int p = Physical(st);
        Registers[p] = value;
        Empty &= (byte)~(1 << p);
    }

    public void Free(int st) => Empty |= (byte)(1 << Physical(st));

    /// <summary>FNINIT (SDM vol. 1, table 8-2): registers keep their contents but are all tagged empty.</summary>
    public void Init()
    {
        Control = DefaultControl;
        Status = 0;
        Empty = 0xFF;
        Opcode = 0;
        InstructionPointer = DataPointer = 0;
        CodeSelector = DataSelector = 0;
    }

    /// <summary>Power-on state (SDM vol. 3, table 10-1): FCW 0040h, FTW 5555h (all +0.0).</summary>
    public void PowerOn()
    {
        Init();
        Control = 0x0040;
        Array.Clear(Registers);
        Empty = 0;
    }

    /// <summary>The full tag word FSTENV and FSAVE store: 2 bits per physical register.</summary>
    public ushort TagWord
    {
        get
        {
            int tags = 0;
            for (int p = 0; p < 8; p++)
            {
                int tag = (Empty & (1 << p)) != 0 ? 3 : Registers[p].Tag;
                tags |= tag << (2 * p);
            }
            return (ushort)tags;
        }
        set
        {
            // Only "empty or not" is kept; the valid/zero/special distinction is recomputed from the value.
            byte empty = 0;
            for (int p = 0; p < 8; p++)
            {
                if (((value >> (2 * p)) & 3) == 3) { empty |= (byte)(1 << p); }
            }
            Empty = empty;
        }
    }

    /// <summary>Sets ES and B when an exception flag is set whose FCW mask bit is clear.</summary>
    public void UpdateErrorSummary()
    {
        if ((Status & ~Control & 0x3F) != 0) { Status |= ErrorSummary | Busy; }
        else { Status &= unchecked((ushort)~(ErrorSummary | Busy)); }
    }
}
