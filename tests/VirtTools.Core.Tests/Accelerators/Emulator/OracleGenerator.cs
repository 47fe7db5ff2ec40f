using System.Text;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// Random unprivileged integer instruction sequences for the host-CPU oracle, as nasm text, with the
/// flags the manuals leave undefined tracked per instruction. <c>bits</c> 64 uses every register
/// but RSP and R15 (the data base) and [r15 + disp] memory; 32 is compatibility mode (no REX
/// registers, high-byte registers, EBP as the data base); 16 is 16-bit code whose data segment
/// covers every 16-bit offset, so all eight 16-bit addressing forms are safe with any register
/// values, plus 32-bit operands (66h) and 32-bit addressing (67h) over zero-extended registers.
/// </summary>
internal sealed class OracleGenerator(Random rnd, int bits = 64)
{
    public const uint CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
    public const uint All = CF | PF | AF | ZF | SF | OF;

    /// <summary>The data buffer in 64- and 32-bit code (its base is in R15 or EBP).</summary>
    public const int DataSize = 4096;

    /// <summary>
    /// The data segment in 16-bit code: a 16-bit address (at most FFFFh) plus a dword, and a 32-bit
    /// address of a zero-extended 16-bit base plus twice a zero-extended 16-bit index plus 255.
    /// </summary>
    public const int DataSize16 = 0x31000;

    private static readonly int[] Pool = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
    private static readonly string[] R64 = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    private static readonly string[] R32 = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
    private static readonly string[] R16 = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
    private static readonly string[] R8 = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
    private static readonly string[] R8Legacy = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };

    /// <summary>32-bit code keeps EBP as the data base; 16-bit code may use BP (its accesses go through SS, based like DS).</summary>
    private static readonly int[] Pool32 = { 0, 1, 2, 3, 6, 7 };
    private static readonly int[] Pool16 = { 0, 1, 2, 3, 5, 6, 7 };
    private static readonly string[] Address16 = { "bx + si", "bx + di", "bp + si", "bp + di", "si", "di", "bp", "bx" };

    /// <summary>Flags whose value is undefined after the instructions so far.</summary>
    public uint Undefined;
    public readonly StringBuilder Text = new();

    /// <summary>Lines the picked instruction needs first (zero-extending the registers of a 32-bit address in 16-bit code).</summary>
    private readonly StringBuilder setup = new();

    private bool Legacy => bits != 64;
    private int Size() => Legacy ? new[] { 1, 2, 4 }[rnd.Next(3)] : new[] { 1, 2, 4, 8 }[rnd.Next(4)];
    /// <summary>The widest operand in this mode stands in for a 64-bit request in 32- and 16-bit code.</summary>
    private int W(int size) => Legacy && size == 8 ? 4 : size;
    private static string Reg(int r, int size) => size switch { 1 => R8[r], 2 => R16[r], 4 => R32[r], _ => R64[r] };
    private string AnyReg(int size)
    {
        size = W(size);
        return bits switch
        {
            64 => Reg(Pool[rnd.Next(Pool.Length)], size),
            _ when size == 1 => R8Legacy[rnd.Next(8)],
            32 => Reg(Pool32[rnd.Next(Pool32.Length)], size),
            _ => Reg(Pool16[rnd.Next(Pool16.Length)], size),
        };
    }
    private string Ptr(int size) => W(size) switch { 1 => "byte", 2 => "word", 4 => "dword", _ => "qword" };
    private string Mem(int size) => $"{Ptr(size)} [{Address()}]";

    /// <summary>An effective address inside the data buffer (or segment).</summary>
    private string Address()
    {
        if (bits == 64)
        {
            return $"r15 + {rnd.Next(DataSize - 8)}";
        }
        if (bits == 32)
        {
            return $"ebp + {rnd.Next(DataSize - 8)}";
        }
        switch (rnd.Next(6))
        {
            case 0:
                return $"word {rnd.Next(0x10000)}";
            case 1:
                {
                    // 67h: base + index * scale with both zero-extended first, so the sum stays below DataSize16.
                    string b = R32[Pool16[rnd.Next(Pool16.Length)]], i = R32[Pool16[rnd.Next(Pool16.Length)]];
                    setup.AppendLine($"movzx {b}, {b[1..]}");
                    if (i != b) { setup.AppendLine($"movzx {i}, {i[1..]}"); }
                    return $"{b} + {i} * {rnd.Next(1, 3)} + {rnd.Next(256)}";
                }
            default:
                {
                    // 16-bit forms wrap at 64 KiB, which the data segment covers whole.
                    string form = Address16[rnd.Next(Address16.Length)];
                    return rnd.Next(3) switch { 0 => form, 1 => $"{form} + {rnd.Next(-128, 128)}", _ => $"{form} + {rnd.Next(0x10000)}" };
                }
        }
    }
    private string Rm(int size) => rnd.Next(3) == 0 ? Mem(size) : AnyReg(size);
    private long Imm(int size) => size switch { 1 => rnd.Next(-128, 128), 2 => rnd.Next(-32768, 32768), _ => rnd.Next(int.MinValue, int.MaxValue) };
    private static uint CcReads(int cc) => (cc >> 1) switch { 0 => OF, 1 => CF, 2 => ZF, 3 => CF | ZF, 4 => SF, 5 => PF, 6 => SF | OF, _ => ZF | SF | OF };
    private static readonly string[] Cc = { "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g" };

    /// <summary>Adds one instruction whose flag inputs are all defined.</summary>
    public void Next()
    {
        while (true)
        {
            setup.Clear();
            var (asm, reads, defined, undefined) = Pick();
            if ((reads & Undefined) != 0)
            {
                continue;
            }
            Text.Append(setup).AppendLine(asm);
            Undefined = (Undefined & ~defined) | undefined;
            return;
        }
    }

    private (string, uint, uint, uint) Pick()
    {
        int s = Size();
        // BCD adjustments are invalid in 64-bit mode, so only legacy code draws them.
        switch (rnd.Next(Legacy ? 23 : 22))
        {
            case 0:
            case 1:
                {
                    string op = new[] { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" }[rnd.Next(8)];
                    bool logic = op is "or" or "and" or "xor";
                    uint reads = op is "adc" or "sbb" ? CF : 0;
                    string form = rnd.Next(3) switch
                    {
                        0 => $"{op} {Rm(s)}, {AnyReg(s)}",
                        1 => $"{op} {AnyReg(s)}, {Rm(s)}",
                        _ => $"{op} {Rm(s)}, {Imm(Math.Min(s, 4))}",
                    };
                    return (form, reads, logic ? All & ~AF : All, logic ? AF : 0);
                }
            case 2: return ($"test {Rm(s)}, {AnyReg(s)}", 0, All & ~AF, AF);
            case 3: return ($"{(rnd.Next(2) == 0 ? "inc" : "dec")} {Rm(s)}", 0, All & ~CF, 0);
            case 4: return rnd.Next(2) == 0 ? ($"neg {Rm(s)}", 0u, All, 0u) : ($"not {Rm(s)}", 0u, 0u, 0u);
            case 5:
                {
                    string op = new[] { "rol", "ror", "rcl", "rcr", "shl", "shr", "sar" }[rnd.Next(7)];
                    s = W(s);
                    int count = rnd.Next(2) == 0 ? 1 : rnd.Next(64);
                    int masked = count & (s == 8 ? 63 : 31);
                    bool viaCl = rnd.Next(2) == 0;
                    string target = Rm(s);
                    if (viaCl && (target.Contains("cl") || target.Contains("cx") || target.Contains("ch")))
                    {
                        viaCl = false;
                    }
                    string text = viaCl ? $"mov cl, {count}\n{op} {target}, cl" : $"{op} {target}, {count}";
                    if (masked == 0)
                    {
                        return (text, 0, 0, 0);
                    }
                    bool rotate = op is "rol" or "ror" or "rcl" or "rcr";
                    uint reads = op is "rcl" or "rcr" ? CF : 0;
                    uint undefined = masked == 1 ? 0 : OF;
                    if (!rotate)
                    {
                        undefined |= AF;
                        if (op != "sar" && masked >= s * 8) { undefined |= CF; }
                    }
                    uint defined = (rotate ? CF | OF : All) & ~undefined;
                    return (text, reads, defined, undefined);
                }
            case 6:
                {
                    if (s == 1) { s = 4; }
                    return rnd.Next(3) switch
                    {
                        0 => ($"imul {AnyReg(s)}, {Rm(s)}", 0, CF | OF, SF | ZF | AF | PF),
                        1 => ($"imul {AnyReg(s)}, {Rm(s)}, {Imm(Math.Min(s, 4))}", 0, CF | OF, SF | ZF | AF | PF),
                        _ => ($"{(rnd.Next(2) == 0 ? "mul" : "imul")} {Rm(rnd.Next(2) == 0 ? 1 : s)}", 0, CF | OF, SF | ZF | AF | PF),
                    };
                }
            case 7: return ($"mov {Rm(s)}, {AnyReg(s)}", 0, 0, 0);
            case 8: return ($"mov {AnyReg(s)}, {Rm(s)}", 0, 0, 0);
            case 9:
                {
                    int src = rnd.Next(2) == 0 ? 1 : 2;
                    int dst = src == 1 ? new[] { 2, 4, 8 }[rnd.Next(3)] : new[] { 4, 8 }[rnd.Next(2)];
                    return ($"mov{(rnd.Next(2) == 0 ? "zx" : "sx")} {AnyReg(dst)}, {Rm(src)}", 0, 0, 0);
                }
            case 10: return ($"xchg {Rm(s)}, {AnyReg(s)}", 0, 0, 0);
            case 11:
                {
                    if (s == 1) { s = 8; }
                    string a = AnyReg(8), b = AnyReg(8);
                    if (W(s) == 1) { s = 4; }
                    if (bits == 16 && rnd.Next(2) == 0)
                    {
                        return ($"lea {AnyReg(s)}, [{Address16[rnd.Next(Address16.Length)]} + {rnd.Next(-1000, 1000)}]", 0, 0, 0);
                    }
                    return ($"lea {AnyReg(s)}, [{a} + {b} * {new[] { 1, 2, 4, 8 }[rnd.Next(4)]} + {rnd.Next(-1000, 1000)}]", 0, 0, 0);
                }
            case 12:
                {
                    if (s == 1) { s = 8; }
                    string op = new[] { "bt", "bts", "btr", "btc" }[rnd.Next(4)];
                    string text = rnd.Next(2) == 0 ? $"{op} {AnyReg(s)}, {AnyReg(s)}" : $"{op} {Rm(s)}, {rnd.Next(256)}";
                    return (text, 0, CF, OF | SF | AF | PF);
                }
            case 13:
                {
                    // 32-bit BSF/BSR in 64-bit mode may or may not clear the upper half on a zero source.
                    int size = rnd.Next(2) == 0 ? 2 : bits == 32 ? 4 : 8;
                    return ($"{(rnd.Next(2) == 0 ? "bsf" : "bsr")} {AnyReg(size)}, {Rm(size)}", 0, ZF, CF | OF | SF | AF | PF);
                }
            case 14:
                {
                    if (s == 1) { s = 4; }
                    int cc = rnd.Next(16);
                    return ($"cmov{Cc[cc]} {AnyReg(s)}, {Rm(s)}", CcReads(cc), 0, 0);
                }
            case 15:
                {
                    int cc = rnd.Next(16);
                    return ($"set{Cc[cc]} {Rm(1)}", CcReads(cc), 0, 0);
                }
            case 16:
                {
                    if (s == 1) { s = 4; }
                    s = W(s);
                    int count = rnd.Next(s == 2 ? 16 : s * 8);
                    if (count == 0) { count = 1; }
                    string text = $"{(rnd.Next(2) == 0 ? "shld" : "shrd")} {Rm(s)}, {AnyReg(s)}, {count}";
                    return (text, 0, (All & ~AF) & ~(count == 1 ? 0 : OF), AF | (count == 1 ? 0 : OF));
                }
            case 17:
                {
                    if (s < 4) { s = 4; }
                    return ($"bswap {AnyReg(W(s))}", 0, 0, 0);
                }
            case 18: return ($"xadd {Rm(s)}, {AnyReg(s)}", 0, All, 0);
            case 19: return ($"cmpxchg {Rm(s)}, {AnyReg(s)}", 0, All, 0);
            case 20:
                return rnd.Next(9) switch
                {
                    0 => ("cbw", 0, 0, 0),
                    1 => ("cwde", 0, 0, 0),
                    2 => (bits switch { 64 => "cdqe", 32 => "cwde", _ => "cwd" }, 0, 0, 0),
                    3 => (bits == 64 ? "cqo" : "cdq", 0, 0, 0),
                    4 => ("lahf", SF | ZF | AF | PF | CF, 0, 0),
                    5 => ("sahf", 0, SF | ZF | AF | PF | CF, 0),
                    6 => ("cmc", CF, CF, 0),
                    7 => ("stc", 0, CF, 0),
                    _ => ("cdq", 0, 0, 0),
                };
            case 22:
                {
                    // SDM: DAA/DAS leave OF undefined; AAA/AAS define only AF and CF; AAM/AAD only SF, ZF, PF.
                    return rnd.Next(6) switch
                    {
                        0 => ("daa", CF | AF, All & ~OF, OF),
                        1 => ("das", CF | AF, All & ~OF, OF),
                        2 => ("aaa", AF, AF | CF, OF | SF | ZF | PF),
                        3 => ("aas", AF, AF | CF, OF | SF | ZF | PF),
                        4 => ($"aam {rnd.Next(1, 256)}", 0, SF | ZF | PF, OF | AF | CF),
                        _ => ($"aad {rnd.Next(256)}", 0, SF | ZF | PF, OF | AF | CF),
                    };
                }
            default:
                {
                    if (s == 1) { s = 4; }
                    return rnd.Next(3) switch
                    {
                        0 => ($"popcnt {AnyReg(s)}, {Rm(s)}", 0, All, 0),
                        1 => ($"lzcnt {AnyReg(s)}, {Rm(s)}", 0, CF | ZF, OF | SF | AF | PF),
                        _ => ($"tzcnt {AnyReg(s)}, {Rm(s)}", 0, CF | ZF, OF | SF | AF | PF),
                    };
                }
        }
    }
}
