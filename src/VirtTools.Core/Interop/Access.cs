using Tmds.Linux;

namespace VirtTools.Interop;

/// <summary>access(2): what the kernel would allow this process, counting root and ACLs.</summary>
public static class Access
{
    private const int W_OK = 2;

    public static unsafe bool CanWrite(string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            return LibC.access(p, W_OK) == 0;
        }
    }
}
