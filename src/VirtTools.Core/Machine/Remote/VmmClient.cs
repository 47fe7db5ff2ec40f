using System.Net.Sockets;
using System.Text;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Remote;

/// <summary>Sends one request line to a VMM's control socket and reads the reply line.</summary>
public static class VmmClient
{
    public static VmmReply Send(string directory, string name, VmmRequest request)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(VmmPaths.Socket(directory)));
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            writer.WriteLine(VmmJson.Serialize(request));
            var line = reader.ReadLine() ?? throw new IOException("the VMM process closed the connection without a reply");
            return VmmJson.Deserialize<VmmReply>(line).EnsureOk(name);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new VirtToolsException("VmmUnreachable", VirtErrorKind.DeviceError,
                $"connect to the VMM process of machine '{name}' ({VmmPaths.Socket(directory)}): {e.Message}", name, e);
        }
    }
}
