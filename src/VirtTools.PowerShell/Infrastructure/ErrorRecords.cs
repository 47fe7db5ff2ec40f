using System.Management.Automation;
using VirtTools.Diagnostics;

namespace VirtTools.PowerShell.Infrastructure;

/// <summary>
/// The one mapping from core exceptions to ErrorRecords: a stable FullyQualifiedErrorId, a category,
/// the target object, and the message alone (never a .NET stack trace).
/// </summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(Exception exception, object? target = null) => exception switch
    {
        VirtToolsException virt => new ErrorRecord(virt, virt.ErrorId, Category(virt.Kind), virt.Target ?? target),
        UnauthorizedAccessException => new ErrorRecord(exception, "PermissionDenied", ErrorCategory.PermissionDenied, target),
        FileNotFoundException or DirectoryNotFoundException => new ErrorRecord(exception, "PathNotFound", ErrorCategory.ObjectNotFound, target),
        TimeoutException => new ErrorRecord(exception, "Timeout", ErrorCategory.OperationTimeout, target),
        ArgumentException => new ErrorRecord(exception, "InvalidArgument", ErrorCategory.InvalidArgument, target),
        OperationCanceledException => new ErrorRecord(exception, "OperationStopped", ErrorCategory.OperationStopped, target),
        IOException => new ErrorRecord(exception, "IOError", ErrorCategory.WriteError, target),
        _ => new ErrorRecord(exception, "UnexpectedError", ErrorCategory.NotSpecified, target),
    };

    /// <summary>Builds a record for a failure the cmdlet layer itself detects.</summary>
    public static ErrorRecord Create(string errorId, VirtErrorKind kind, string message, object? target) =>
        From(new VirtToolsException(errorId, kind, message, target));

    public static ErrorCategory Category(VirtErrorKind kind) => kind switch
    {
        VirtErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        VirtErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        VirtErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        VirtErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        VirtErrorKind.NotSupported => ErrorCategory.NotEnabled,
        VirtErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
        VirtErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        VirtErrorKind.Timeout => ErrorCategory.OperationTimeout,
        VirtErrorKind.DeviceError => ErrorCategory.DeviceError,
        _ => ErrorCategory.NotSpecified,
    };
}
