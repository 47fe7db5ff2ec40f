namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// An operand size as a type. The JIT compiles a generic method once per struct type argument,
/// so <c>GetReg(r, S.Bytes)</c> inside <c>M&lt;S&gt;</c> becomes the one register access of that
/// size: the hot executor gets per-size code without writing each handler four times.
/// </summary>
internal interface IOperandSize
{
    static abstract int Bytes { get; }
}

internal readonly struct Size1 : IOperandSize
{
    public static int Bytes => 1;
}

internal readonly struct Size2 : IOperandSize
{
    public static int Bytes => 2;
}

internal readonly struct Size4 : IOperandSize
{
    public static int Bytes => 4;
}

internal readonly struct Size8 : IOperandSize
{
    public static int Bytes => 8;
}
