using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;

// KvmAotProbe <guest.bin> <runs>: builds and runs the guest <runs> times on KVM, as Invoke-VirtMachine
// does (MachineRun.Run), and prints the median time from the start of the build to the first exit
// over the second half of the runs (the first half warms caches), then this process's mapping count.
if (args.Length != 2 || !int.TryParse(args[1], out var runs) || runs < 2)
{
    Console.Error.WriteLine("usage: KvmAotProbe <guest.bin> <runs>");
    return 2;
}
var config = new MachineConfig
{
    Name = "aot-probe",
    MemoryBytes = 16UL << 20,
    Accelerator = AcceleratorKind.Kvm,
    Boot = new LoadRequest(File.ReadAllBytes(args[0]), ImageFormat.Flat, CpuMode.Long, MachineLayout.HighMemory),
};
var samples = new List<double>();
for (var i = 0; i < runs; i++)
{
    var result = MachineRun.Run(config, TimeSpan.FromSeconds(30));
    if (result.ExitCode != 0 || result.TimeToFirstExit is not { } first)
    {
        Console.Error.WriteLine($"guest failed: {result.Reason}");
        return 1;
    }
    if (i >= runs / 2)
    {
        samples.Add(first.TotalMicroseconds);
    }
}
samples.Sort();
Console.WriteLine($"first_exit_us {samples[samples.Count / 2]:F1} mappings {File.ReadAllLines("/proc/self/maps").Length}");
return 0;
