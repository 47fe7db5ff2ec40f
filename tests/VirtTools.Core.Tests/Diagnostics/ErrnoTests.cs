using VirtTools.Diagnostics;
using VirtTools.Interop;

namespace VirtTools.Tests.Diagnostics;

public sealed class ErrnoTests
{
    [Fact]
    public void FailureNamesTheStepAndTheSystemsWords()
    {
        var e = Errno.Failure("pivot_root '/x'", Errno.EPERM, "PivotRootFailed", "/x");
        Assert.Equal("pivot_root '/x': Operation not permitted", e.Message);
        Assert.Equal(("PivotRootFailed", VirtErrorKind.PermissionDenied, (object?)"/x"), (e.ErrorId, e.Kind, e.Target));
    }

    [Theory]
    [InlineData(Errno.ENOENT, VirtErrorKind.NotFound)]
    [InlineData(Errno.EBUSY, VirtErrorKind.ResourceBusy)]
    [InlineData(Errno.EEXIST, VirtErrorKind.AlreadyExists)]
    [InlineData(Errno.EINVAL, VirtErrorKind.InvalidArgument)]
    [InlineData(Errno.EIO, VirtErrorKind.DeviceError)]
    public void ErrnoMapsToAKind(int errno, VirtErrorKind kind) =>
        Assert.Equal(kind, Errno.Failure("step", errno, "Id").Kind);

    [Fact]
    public void OpeningAMissingFileReportsPathAndErrno()
    {
        var e = Assert.Throws<VirtToolsException>(() => FileDescriptor.Open("/nonexistent/virttools", 0, "OpenFailed"));
        Assert.Equal("open '/nonexistent/virttools': No such file or directory", e.Message);
        Assert.Equal(VirtErrorKind.NotFound, e.Kind);
    }
}
