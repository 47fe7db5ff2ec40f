namespace VirtTools.Diagnostics;

/// <summary>
/// The one exception type the core throws on purpose. <see cref="ErrorId"/> is stable (scripts and
/// tests match on it), <see cref="Kind"/> says what kind of failure it is, <see cref="Target"/> is the
/// object it concerns (a name, a path, a value).
/// </summary>
public class VirtToolsException : Exception
{
    public VirtToolsException(string errorId, VirtErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    /// <summary>Stable identifier, e.g. <c>CgroupNotFound</c>; becomes the FullyQualifiedErrorId.</summary>
    public string ErrorId { get; }

    public VirtErrorKind Kind { get; }

    public object? Target { get; }
}
