using System.Runtime.InteropServices;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// What every host-CPU oracle theory shares: where it can run (x86-64 Linux, where the test process
/// can execute the generated code natively) and its cases, VIRTTOOLS_ORACLE_RUNS sequences (400 by
/// default, as CI runs them; the bench asks for 10,000) in cases of 50, each with its own fixed seed.
/// </summary>
internal static class OracleRuns
{
    private const int PerCase = 50;

    public static bool HostCanRun => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>xunit member data: (seed, sequences) per case, seeds counting up from <paramref name="firstSeed"/>.</summary>
    public static IEnumerable<object[]> Seeds(int firstSeed)
    {
        int runs = int.TryParse(Environment.GetEnvironmentVariable("VIRTTOOLS_ORACLE_RUNS"), out int n) ? n : 400;
        for (int k = 0; k < (runs + PerCase - 1) / PerCase; k++)
        {
            yield return new object[] { firstSeed + k, PerCase };
        }
    }
}
