using VirtTools.Diagnostics;
using VirtTools.Isolation;

namespace VirtTools.Tests.Isolation;

public sealed class VolumeMountTests
{
    [Theory]
    [InlineData("/tmp:/data", "/tmp", "/data", false)]
    [InlineData("/tmp:/data:ro", "/tmp", "/data", true)]
    [InlineData("/tmp:/data:rw", "/tmp", "/data", false)]
    public void ParsesHostContainerAndMode(string text, string source, string target, bool readOnly) =>
        Assert.Equal(new VolumeMount(source, target, readOnly), VolumeMount.Parse(text));

    [Theory]
    [InlineData("/tmp")]
    [InlineData("/tmp:")]
    [InlineData("tmp:/data")]
    [InlineData("/tmp:data")]
    [InlineData("/tmp:/data:xx")]
    [InlineData("/tmp:/../etc")]
    [InlineData("/does/not/exist:/data")]
    [InlineData("/tmp:/a:ro:extra")]
    public void RejectsMalformedVolumes(string text)
    {
        var error = Assert.Throws<VirtToolsException>(() => VolumeMount.Parse(text));
        Assert.Equal("InvalidVolume", error.ErrorId);
        Assert.Contains(text, error.Message);
    }
}
