namespace VirtTools.Tests.Support;

/// <summary>
/// Capability gates for tests that need root or /dev/kvm. Without the capability a test is skipped
/// with the reason; where VIRTTOOLS_REQUIRE names it (CI sets root,kvm) the same gap is a failure,
/// so a missing capability can never hide behind a skip.
/// </summary>
public static class Requires
{
    private static readonly HashSet<string> required = new(
        (Environment.GetEnvironmentVariable("VIRTTOOLS_REQUIRE") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        StringComparer.OrdinalIgnoreCase);

    public static void Root() =>
        Gate("root", Environment.IsPrivilegedProcess, "needs root (euid 0) for cgroupfs, namespaces and mounts");

    public static void Kvm() =>
        Gate("kvm", CanOpenKvm(), "needs a read-write /dev/kvm");

    /// <summary>Skips, or fails when the capability is required, if <paramref name="available"/> is false.</summary>
    public static void Gate(string capability, bool available, string why)
    {
        if (available)
        {
            return;
        }
        if (required.Contains(capability))
        {
            Assert.Fail($"VIRTTOOLS_REQUIRE includes '{capability}' but this host lacks it: {why}");
        }
        Skip.If(true, $"skipped: {why} (set VIRTTOOLS_REQUIRE={capability} to make this a failure)");
    }

    private static bool CanOpenKvm()
    {
        try
        {
            using var stream = new FileStream("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
