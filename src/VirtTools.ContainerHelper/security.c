/* Container level: capabilities, no_new_privs, the default seccomp filter, rlimits. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"

/* The capabilities a container keeps (Docker's default set without CAP_MKNOD; docs/containers.md). */
static const int kept_caps[] = {
    CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID, CAP_SETUID,
    CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_CHROOT, CAP_AUDIT_WRITE, CAP_SETFCAP,
};

static int is_kept(int cap)
{
    for (size_t i = 0; i < sizeof kept_caps / sizeof kept_caps[0]; i++)
        if (kept_caps[i] == cap)
            return 1;
    return 0;
}

static void set_identity(const struct spec *spec)
{
    /* Supplementary groups from the caller's session would otherwise survive into the container. */
    if (setgroups(0, NULL) < 0)
        fail("setgroups", "0");
    if (setgid(spec->gid) < 0)
        fail("setgid", "");
    if (setuid(spec->uid) < 0)
        fail("setuid", "");
}

void drop_privileges(const struct spec *spec)
{
    if (spec->level != LEVEL_CONTAINER) {
        set_identity(spec);
        return;
    }
    /* The bounding set caps what any later execve can regain; dropping needs CAP_SETPCAP, so first. */
    for (int cap = 0; cap <= 63; cap++) {
        if (is_kept(cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            fail("drop capability from bounding set", "");
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        fail("clear ambient capabilities", "");
    set_identity(spec);
    if (spec->uid == 0) {
        struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
        for (size_t i = 0; i < sizeof kept_caps / sizeof kept_caps[0]; i++) {
            int cap = kept_caps[i];
            data[cap / 32].effective |= 1u << (cap % 32);
            data[cap / 32].permitted |= 1u << (cap % 32);
        }
        if (syscall(SYS_capset, &header, data) < 0)
            fail("capset", "");
    }
    /* No setuid binary or file capability can raise privileges past this point. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail("prctl PR_SET_NO_NEW_PRIVS", "");
}

/* A deny list in the spirit of Docker's default profile: kernel state a container must not touch. */
static const int denied_syscalls[] = {
    SYS_kexec_load, SYS_kexec_file_load, SYS_init_module, SYS_finit_module, SYS_delete_module,
    SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_keyctl, SYS_add_key, SYS_request_key,
    SYS_bpf, SYS_perf_event_open, SYS_userfaultfd, SYS_open_by_handle_at, SYS_reboot, SYS_swapon,
    SYS_swapoff, SYS_acct, SYS_quotactl, SYS_lookup_dcookie, SYS_iopl, SYS_ioperm, SYS_settimeofday,
    SYS_clock_settime, SYS_clock_adjtime, SYS_adjtimex, SYS_syslog, SYS_mount, SYS_umount2,
    SYS_pivot_root, SYS_unshare, SYS_setns, SYS_kcmp, SYS_uselib, SYS_vhangup, SYS_fanotify_init,
    SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_open_tree,
    SYS_mount_setattr, SYS_name_to_handle_at, SYS_mknod, SYS_mknodat,
};

#define DENY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

void apply_seccomp(void)
{
    enum { DENIED = sizeof denied_syscalls / sizeof denied_syscalls[0] };
    struct sock_filter filter[8 + 2 * DENIED];
    int n = 0;
    /* Only x86_64 system calls: the i386 and x32 entry points number them differently. */
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    filter[n++] = (struct sock_filter)DENY;
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
    filter[n++] = (struct sock_filter)DENY;
    for (int i = 0; i < DENIED; i++) {
        filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)denied_syscalls[i], 0, 1);
        filter[n++] = (struct sock_filter)DENY;
    }
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog program = { .len = (unsigned short)n, .filter = filter };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) < 0)
        fail("seccomp", "");
}

void apply_rlimits(void)
{
    /* A fixed, documented baseline instead of whatever limits the caller's pwsh had. */
    static const struct { int resource; rlim_t soft, hard; const char *name; } limits[] = {
        { RLIMIT_NOFILE, 1024, 4096, "RLIMIT_NOFILE" },
        { RLIMIT_CORE, 0, 0, "RLIMIT_CORE" },
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        struct rlimit value = { limits[i].soft, limits[i].hard };
        if (setrlimit(limits[i].resource, &value) < 0)
            fail("setrlimit", limits[i].name);
    }
}
