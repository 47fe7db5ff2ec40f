/* Exec mode: enter the namespaces and root of a running container (like runc exec). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "helper.h"

void join_namespaces(const struct spec *spec)
{
    char path[PATH_MAX];
    if (spec->level == LEVEL_CHROOT) {
        snprintf(path, sizeof path, "/proc/%d/root", (int)spec->join_pid);
        if (chroot(path) < 0)
            fail("chroot", path);
        if (chdir("/") < 0)
            fail("chdir", "/");
        return;
    }
    /* The mount namespace last: after it, /proc/<pid> may no longer be reachable. */
    static const struct { const char *name; int flag; } kinds[] = {
        { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
        { "pid", CLONE_NEWPID }, { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS },
    };
    int fds[6];
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)spec->join_pid, kinds[i].name);
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0)
            fail("open", path);
    }
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)spec->join_pid, kinds[i].name);
        if (setns(fds[i], kinds[i].flag) < 0)
            fail("setns", path);
        close(fds[i]);
    }
}
