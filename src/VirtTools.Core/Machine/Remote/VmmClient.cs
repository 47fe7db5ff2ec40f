using System.Net.Sockets;
using System.Text;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Remote;

/// <summary>Sends one request line to a VMM's control socket and reads the reply line.</summary>
public static class VmmClient
{
    /// <summary>
    /// How long a reply may take beyond the request's own wait: a hung VMM must fail the request
    /// (VmmUnreachable) rather than hang the cmdlet; a graceful stop, the slowest request, takes 5 s.
    /// </summary>
    public static TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public static VmmReply Send(string directory, string name, VmmRequest request, TimeSpan? replyTimeout = null)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(VmmPaths.Socket(directory)));
            socket.ReceiveTimeout = (int)((replyTimeout ?? ReplyTimeout).TotalMilliseconds + request.WaitMs);
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
