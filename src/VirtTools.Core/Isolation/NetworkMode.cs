namespace VirtTools.Isolation;

/// <summary>Which network a container sees.</summary>
public enum NetworkMode
{
    /// <summary>Its own network namespace with only the loopback interface, up.</summary>
    None,
    /// <summary>The host's network namespace.</summary>
    Host,
}
