namespace VirtTools.Diagnostics;

/// <summary>
/// What went wrong, in the terms a caller can act on. The PowerShell layer maps each kind to one
/// ErrorCategory; the core never references System.Management.Automation.
/// </summary>
public enum VirtErrorKind
{
    /// <summary>A value the caller passed is malformed or out of range.</summary>
    InvalidArgument,
    /// <summary>The named object (group, container, machine, file) does not exist.</summary>
    NotFound,
    /// <summary>The object already exists.</summary>
    AlreadyExists,
    /// <summary>The caller lacks a privilege (root, CAP_SYS_ADMIN, access to /dev/kvm).</summary>
    PermissionDenied,
    /// <summary>The host lacks a feature (no /dev/kvm, no controller, wrong kernel).</summary>
    NotSupported,
    /// <summary>The object is in use (live processes, a running machine).</summary>
    ResourceBusy,
    /// <summary>The object is in a state where the operation makes no sense.</summary>
    InvalidOperation,
    /// <summary>A wait ran out of time.</summary>
    Timeout,
    /// <summary>A device or kernel interface failed (ioctl, mount, write to cgroupfs).</summary>
    DeviceError,
}
