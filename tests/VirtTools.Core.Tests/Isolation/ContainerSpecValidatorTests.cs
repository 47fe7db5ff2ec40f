using VirtTools.Diagnostics;
using VirtTools.Isolation;

namespace VirtTools.Tests.Isolation;

public sealed class ContainerSpecValidatorTests
{
    [Theory]
    [InlineData("web")]
    [InlineData("a.b_c-1")]
    [InlineData("X")]
    public void AcceptsValidNames(string name) => ContainerSpecValidator.ValidateName(name);

    [Theory]
    [InlineData("")]
    [InlineData("-x")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void RejectsInvalidNames(string name) =>
        Assert.Equal("InvalidName", Assert.Throws<VirtToolsException>(() => ContainerSpecValidator.ValidateName(name)).ErrorId);

    [Fact]
    public void ResolvesUsersAndGroupsFromTheRootfs()
    {
        var root = Directory.CreateTempSubdirectory("virttools-users-");
        try
        {
            Directory.CreateDirectory(Path.Combine(root.FullName, "etc"));
            File.WriteAllText(Path.Combine(root.FullName, "etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/:/bin/sh\n");
            File.WriteAllText(Path.Combine(root.FullName, "etc/group"), "root:x:0:\nstaff:x:50:\n");
            Assert.Equal((1000, 1001), ContainerSpecValidator.ResolveUser(root.FullName, "app", null));
            Assert.Equal((1000, 50), ContainerSpecValidator.ResolveUser(root.FullName, "app", "staff"));
            Assert.Equal((7, 8), ContainerSpecValidator.ResolveUser(root.FullName, "7", "8"));
            Assert.Equal("UserNotFound", Assert.Throws<VirtToolsException>(() => ContainerSpecValidator.ResolveUser(root.FullName, "nobody-here", null)).ErrorId);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
