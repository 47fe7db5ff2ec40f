/* The new root: mount propagation, volumes, /proc, /sys, /dev, masked paths, pivot_root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "helper.h"

static char path_buf[PATH_MAX];

static const char *in_root(const char *rootfs, const char *path)
{
    snprintf(path_buf, sizeof path_buf, "%s/%s", rootfs, path[0] == '/' ? path + 1 : path);
    return path_buf;
}

/* mkdir -p: volume targets and mount points may be missing from a minimal rootfs. */
static void make_dirs(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                fail("mkdir", tmp);
            *p = '/';
        }
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        fail("mkdir", tmp);
}

static void do_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)
{
    if (mount(source, target, type, flags, data) < 0)
        fail("mount", target);
}

/* A bind mount ignores MS_RDONLY on creation: read-only takes a second, remounting call. */
static void bind_mount(const char *source, const char *target, int read_only)
{
    do_mount(source, target, NULL, MS_BIND | MS_REC, NULL);
    if (read_only)
        do_mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

static void mount_volumes(const struct spec *spec)
{
    for (int i = 0; i < spec->nvolumes; i++) {
        const struct volume *v = &spec->volumes[i];
        struct stat st;
        if (stat(v->source, &st) < 0)
            fail("stat volume source", v->source);
        const char *target = in_root(spec->rootfs, v->target);
        char copy[PATH_MAX];
        snprintf(copy, sizeof copy, "%s", target);
        if (S_ISDIR(st.st_mode)) {
            make_dirs(copy, 0755);
        } else {
            char *slash = strrchr(copy, '/');
            *slash = 0;
            make_dirs(copy, 0755);
            *slash = '/';
            int fd = open(copy, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            if (fd < 0)
                fail("create volume target", copy);
            close(fd);
        }
        bind_mount(v->source, copy, v->read_only);
    }
}

/* The minimal /dev: a private tmpfs with the character devices every program expects. */
static void mount_dev(const char *rootfs)
{
    static const struct { const char *name; int major, minor; } devices[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
        { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
    };
    char dev[PATH_MAX], node[PATH_MAX];
    snprintf(dev, sizeof dev, "%s/dev", rootfs);
    make_dirs(dev, 0755);
    do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        snprintf(node, sizeof node, "%s/%s", dev, devices[i].name);
        if (mknod(node, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor)) < 0)
            fail("mknod", node);
        /* mknod applies the umask; the nodes must be usable by every user in the container. */
        if (chmod(node, 0666) < 0)
            fail("chmod", node);
    }
    snprintf(node, sizeof node, "%s/pts", dev);
    make_dirs(node, 0755);
    do_mount("devpts", node, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
    snprintf(node, sizeof node, "%s/ptmx", dev);
    if (symlink("pts/ptmx", node) < 0)
        fail("symlink", node);
    snprintf(node, sizeof node, "%s/shm", dev);
    make_dirs(node, 01777);
    do_mount("shm", node, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
    static const char *links[][2] = {
        { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
        { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(node, sizeof node, "%s/%s", dev, links[i][1]);
        if (symlink(links[i][0], node) < 0)
            fail("symlink", node);
    }
}

/* Container level: /proc entries that leak host information or reach host kernel state. */
static void mask_proc(const char *rootfs)
{
    static const char *masked[] = {
        "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats",
        "/proc/timer_stats", "/proc/acpi", "/proc/scsi", "/sys/firmware",
    };
    static const char *read_only[] = {
        "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
    };
    char null_dev[PATH_MAX], target[PATH_MAX];
    snprintf(null_dev, sizeof null_dev, "%s/dev/null", rootfs);
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
        struct stat st;
        snprintf(target, sizeof target, "%s%s", rootfs, masked[i]);
        if (stat(target, &st) < 0)
            continue; /* not every kernel has every entry */
        if (S_ISDIR(st.st_mode))
            do_mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k");
        else
            do_mount(null_dev, target, NULL, MS_BIND, NULL);
    }
    for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++) {
        struct stat st;
        snprintf(target, sizeof target, "%s%s", rootfs, read_only[i]);
        if (stat(target, &st) < 0)
            continue;
        bind_mount(target, target, 1);
    }
}

void setup_root(const struct spec *spec)
{
    const char *rootfs = spec->rootfs;
    char target[PATH_MAX];

    /* Nothing mounted from here on may propagate back to the host's mount namespace. */
    do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    /* pivot_root needs the new root to be a mount point. */
    bind_mount(rootfs, rootfs, 0);
    mount_volumes(spec);

    snprintf(target, sizeof target, "%s/proc", rootfs);
    make_dirs(target, 0555);
    /* A fresh procfs shows the new pid namespace only. */
    do_mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);

    snprintf(target, sizeof target, "%s/sys", rootfs);
    make_dirs(target, 0555);
    do_mount("sysfs", target, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);

    mount_dev(rootfs);
    if (spec->level == LEVEL_CONTAINER)
        mask_proc(rootfs);

    if (chdir(rootfs) < 0)
        fail("chdir", rootfs);
    /* pivot_root(".", "."): the old root is stacked under the new one and detached right away,
       so no path leads back to the host's files (the chroot escape finds nothing above /). */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        fail("pivot_root", rootfs);
    if (umount2(".", MNT_DETACH) < 0)
        fail("umount old root", rootfs);
    if (chdir("/") < 0)
        fail("chdir", "/");
}

void setup_loopback(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail("socket", "lo");
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &request) < 0)
        fail("SIOCGIFFLAGS", "lo");
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &request) < 0)
        fail("SIOCSIFFLAGS", "lo");
    close(fd);
}
