namespace VirtTools.Accelerators;

/// <summary>One model-specific register and its value.</summary>
public readonly record struct MsrEntry(uint Index, ulong Value);
