using System.Management.Automation;
using VirtTools.Host;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Host;

/// <summary>
/// <para type="synopsis">Reports what this host can do for virtualization, measured from the kernel.</para>
/// </summary>
/// <remarks>
/// <para>Get-VirtHost returns one object that describes this host, read from CPUID, /dev/kvm, /proc and /sys rather than assumed:</para>
/// <para>- the CPU vendor and model, and whether VT-x (vmx) or AMD-V (svm) is exposed;</para>
/// <para>- the hypervisor we run under (CPUID leaf 0x40000000 signature, DMI as a fallback) and the container we run in, if any;</para>
/// <para>- /dev/kvm: present, openable, API version, the KVM extensions the machine layer uses, and which kind of KVM backs it (hardware VT-x/AMD-V, or software-assisted PVM, where guest kernel code is emulated by the host kernel);</para>
/// <para>- the cgroup layout (v1, v2 or hybrid), each hierarchy with its controllers, mount point, this process's group and whether it may create groups there;</para>
/// <para>- the namespace kinds the kernel offers and whether unprivileged users may create user namespaces;</para>
/// <para>- the accelerators usable here (Kvm, Whp on Windows, Emulator always).</para>
/// <para>As a non-root user the command reports what non-root can see; the Unchecked property lists what it could not check. Use Test-VirtHost for a pass/warn/fail verdict per capability.</para>
/// </remarks>
/// <example>
/// <code>Get-VirtHost</code>
/// <para>Shows a one-line summary: CPU, hypervisor, KVM kind, cgroup layout and accelerators.</para>
/// </example>
/// <example>
/// <code>(Get-VirtHost).Kvm.Extensions</code>
/// <para>Lists every KVM extension with the value KVM_CHECK_EXTENSION returned (0 when absent).</para>
/// </example>
/// <example>
/// <code>Get-VirtHost | Select-Object -ExpandProperty Cgroups | Select-Object -ExpandProperty Hierarchies | Format-Table</code>
/// <para>Shows every cgroup hierarchy, its controllers and where this process sits in it.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "VirtHost")]
[OutputType(typeof(HostInfo))]
public sealed class GetVirtHostCommand : VirtCmdlet
{
    protected override void EndProcessing()
    {
        try
        {
            WriteObject(Await(() => HostProbe.ProbeAsync()));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e);
        }
    }
}
