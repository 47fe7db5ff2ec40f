using VirtTools.Host;

namespace VirtTools.Tests.Host;

public sealed class NamespaceSupportTests
{
    [Fact]
    public void KindsAreTheNamespaceLinksOfThisProcess()
    {
        var support = NamespaceSupport.Probe();
        foreach (var kind in support.Kinds)
        {
            // Each link reads "<type>:[<inode>]"; time and pid name their type like the link.
            var target = new FileInfo($"/proc/self/ns/{kind}").LinkTarget;
            Assert.Matches($"^{kind}:\\[\\d+\\]$", target);
        }
        Assert.Contains("mnt", support.Kinds);
        Assert.DoesNotContain(support.Kinds, k => k.EndsWith("_for_children"));
    }

    [Fact]
    public void UserNamespacePolicyFollowsTheSysctls()
    {
        var support = NamespaceSupport.Probe();
        var max = long.Parse(File.ReadAllText("/proc/sys/user/max_user_namespaces").Trim());
        var debian = File.Exists("/proc/sys/kernel/unprivileged_userns_clone")
            ? File.ReadAllText("/proc/sys/kernel/unprivileged_userns_clone").Trim()
            : null;
        var apparmor = File.Exists("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
            ? File.ReadAllText("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").Trim()
            : null;
        var expected = max > 0 && debian != "0" && apparmor != "1";
        Assert.Equal(expected, support.UnprivilegedUserNamespaces);
    }
}
