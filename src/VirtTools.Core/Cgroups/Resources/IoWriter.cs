using System.Globalization;
using Serilog;

namespace VirtTools.Cgroups.Resources;

/// <summary>io weight and per-device caps (v2 io.weight/io.max, v1 blkio.weight/blkio.throttle.*_device).</summary>
internal static class IoWriter
{
    public static void Apply(CgroupPlacement at, CgroupLimits limits, ILogger log)
    {
        if (limits.IoWeight is null && (limits.IoMax is null || limits.IoMax.Count == 0))
        {
            return;
        }
        var node = at.Io!;
        if (limits.IoWeight is { } weight)
        {
            // Weights need a scheduler that honours them (BFQ, or CFQ on old kernels); with none/mq-deadline
            // the kernel has no weight file at all, and there is nothing a weight could change.
            var file = node.IsV2
                ? (File.Exists(node.File("io.weight")) ? "io.weight" : File.Exists(node.File("io.bfq.weight")) ? "io.bfq.weight" : null)
                : (File.Exists(node.File("blkio.weight")) ? "blkio.weight" : File.Exists(node.File("blkio.bfq.weight")) ? "blkio.bfq.weight" : null);
            if (file is null)
            {
                log.Warning("io weight of {Group} not set: no io scheduler with weights (BFQ) on this host", node.Directory);
            }
            else
            {
                var value = node.IsV2 ? weight : V1Weight(weight);
                CgroupFile.Write(node, file, (file == "io.weight" ? "default " : "") + value.ToString(CultureInfo.InvariantCulture));
            }
        }
        foreach (var device in limits.IoMax ?? [])
        {
            var majorMinor = device.ResolveDevice();
            if (node.IsV2)
            {
                var text = new IoDeviceLimit
                {
                    Device = majorMinor,
                    ReadBps = device.ReadBps,
                    WriteBps = device.WriteBps,
                    ReadIops = device.ReadIops,
                    WriteIops = device.WriteIops,
                }.ToString();
                CgroupFile.Write(node, "io.max", text);
                continue;
            }
            // v1 has one file per cap; 0 removes a device's cap.
            void Cap(string file, long? value)
            {
                if (value is { } v)
                {
                    CgroupFile.Write(node, file, $"{majorMinor} {(v >= CgroupLimits.Unlimited ? 0 : v)}");
                }
            }
            Cap("blkio.throttle.read_bps_device", device.ReadBps);
            Cap("blkio.throttle.write_bps_device", device.WriteBps);
            Cap("blkio.throttle.read_iops_device", device.ReadIops);
            Cap("blkio.throttle.write_iops_device", device.WriteIops);
        }
    }

    /// <summary>v1 weights run 10..1000 where v2 weights run 1..10000, both with 100 as the default: clamp, so equal weights stay equal.</summary>
    private static long V1Weight(int weight) => Math.Clamp(weight, 10, 1000);

    public static CgroupLimits Read(CgroupPlacement at, CgroupLimits into)
    {
        if (at.Io is not { } node)
        {
            return into;
        }
        var devices = new Dictionary<string, IoDeviceLimit>(StringComparer.Ordinal);
        IoDeviceLimit For(string dev) => devices.TryGetValue(dev, out var d) ? d : devices[dev] = new IoDeviceLimit { Device = dev };
        int? weight = null;
        if (node.IsV2)
        {
            foreach (var line in (CgroupFile.TryReadText(node.File("io.max")) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parsed = IoDeviceLimit.Parse(line);
                devices[parsed.Device] = parsed;
            }
            var w = CgroupFile.TryReadText(node.File("io.weight"))?.Split('\n')[0].Split(' ');
            if (w is ["default", var value] && int.TryParse(value, out var iw))
            {
                weight = iw;
            }
        }
        else
        {
            void Caps(string file, Action<IoDeviceLimit, long> set)
            {
                foreach (var line in (CgroupFile.TryReadText(node.File(file)) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var words = line.Split(' ');
                    if (words.Length == 2 && long.TryParse(words[1], out var v))
                    {
                        set(For(words[0]), v);
                    }
                }
            }
            Caps("blkio.throttle.read_bps_device", (d, v) => d.ReadBps = v);
            Caps("blkio.throttle.write_bps_device", (d, v) => d.WriteBps = v);
            Caps("blkio.throttle.read_iops_device", (d, v) => d.ReadIops = v);
            Caps("blkio.throttle.write_iops_device", (d, v) => d.WriteIops = v);
            weight = (int?)(CgroupFile.ReadNumber(node, "blkio.weight") ?? CgroupFile.ReadNumber(node, "blkio.bfq.weight"));
        }
        return into with { IoWeight = weight, IoMax = devices.Count == 0 ? null : devices.Values.ToList() };
    }
}
