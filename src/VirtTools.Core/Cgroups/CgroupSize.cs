using System.Globalization;
using VirtTools.Diagnostics;

namespace VirtTools.Cgroups;

/// <summary>
/// Byte sizes as users write them: a number of bytes (what a PowerShell literal such as 256MB already is),
/// or a string with a binary suffix ("1.5G", "512M", "64k", "2GiB", "256MB"), or "max" for no limit.
/// Suffixes are powers of 1024, as PowerShell's KB/MB/GB literals and the kernel's own parsers use.
/// </summary>
public static class CgroupSize
{
    /// <summary>The forms the error message offers, so every bad value says what would have worked.</summary>
    public const string AcceptedForms = "a byte count (67108864), a PowerShell literal (64MB), a string with a K/M/G/T suffix ('1.5G', '512M', '64KiB') or 'max' for no limit";

    /// <summary>
    /// Parses <paramref name="value"/> into bytes; <see cref="CgroupLimits.Unlimited"/> for "max".
    /// Throws <c>InvalidCgroupSize</c> naming the value and <see cref="AcceptedForms"/>.
    /// </summary>
    public static long Parse(object? value, string what = "size")
    {
        switch (value)
        {
            case null:
                throw Invalid(value, what, "no value");
            case long l:
                return NonNegative(l, value, what);
            case int i:
                return NonNegative(i, value, what);
            case uint or ulong or short or ushort or byte or sbyte:
                return NonNegative(Convert.ToDecimal(value, CultureInfo.InvariantCulture), value, what);
            case double or float or decimal:
                return NonNegative(Convert.ToDecimal(value, CultureInfo.InvariantCulture), value, what);
            case string s:
                return ParseString(s, what);
            default:
                // PSObject and friends: their string form is what the user typed or a number.
                return ParseString(value.ToString() ?? "", what);
        }
    }

    /// <summary>Parses without throwing; false for anything <see cref="Parse"/> would reject.</summary>
    public static bool TryParse(object? value, out long bytes)
    {
        try
        {
            bytes = Parse(value);
            return true;
        }
        catch (VirtToolsException)
        {
            bytes = 0;
            return false;
        }
    }

    /// <summary>Formats bytes the way the tables show them: 64 MiB, 1.5 GiB, "max".</summary>
    public static string Format(long? bytes)
    {
        if (bytes is not { } b)
        {
            return "";
        }
        if (b >= CgroupLimits.Unlimited)
        {
            return "max";
        }
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double v = b;
        var unit = 0;
        while (v >= 1024 && unit < units.Length - 1)
        {
            v /= 1024;
            unit++;
        }
        return unit == 0 ? $"{b} B" : v.ToString(v >= 100 ? "0" : v >= 10 ? "0.#" : "0.##", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static long ParseString(string text, string what)
    {
        var s = text.Trim();
        if (s.Equals("max", StringComparison.OrdinalIgnoreCase) || s.Equals("unlimited", StringComparison.OrdinalIgnoreCase))
        {
            return CgroupLimits.Unlimited;
        }
        var end = s.Length;
        while (end > 0 && char.IsLetter(s[end - 1]))
        {
            end--;
        }
        var number = s[..end].Trim();
        var suffix = s[end..].ToUpperInvariant();
        var multiplier = suffix switch
        {
            "" or "B" => 1m,
            "K" or "KB" or "KIB" => 1024m,
            "M" or "MB" or "MIB" => 1024m * 1024,
            "G" or "GB" or "GIB" => 1024m * 1024 * 1024,
            "T" or "TB" or "TIB" => 1024m * 1024 * 1024 * 1024,
            "P" or "PB" or "PIB" => 1024m * 1024 * 1024 * 1024 * 1024,
            _ => -1m,
        };
        if (multiplier < 0 || !decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            throw Invalid(text, what, "not a size");
        }
        return NonNegative(amount * multiplier, text, what);
    }

    private static long NonNegative(decimal bytes, object? original, string what)
    {
        if (bytes < 0)
        {
            throw Invalid(original, what, "negative");
        }
        if (bytes >= long.MaxValue)
        {
            throw Invalid(original, what, "too large");
        }
        return (long)decimal.Floor(bytes);
    }

    private static VirtToolsException Invalid(object? value, string what, string reason) =>
        new("InvalidCgroupSize", VirtErrorKind.InvalidArgument,
            $"Invalid {what} '{value}' ({reason}): use {AcceptedForms}.", value);
}
