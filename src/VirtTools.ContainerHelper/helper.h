/*
 * virttools-container: the small process that does, outside the .NET runtime, everything that must
 * happen between fork and exec of a container (namespaces, mounts, pivot_root, capabilities,
 * seccomp), then stays behind as the container's monitor and records how it ended.
 * The cmdlets start it with System.Diagnostics.Process; see docs/containers.md for the protocol.
 */
#ifndef VIRTTOOLS_HELPER_H
#define VIRTTOOLS_HELPER_H

#include <stddef.h>
#include <sys/types.h>

enum level { LEVEL_CHROOT, LEVEL_NAMESPACES, LEVEL_CONTAINER };

#define MAX_LIST 128

struct volume {
    const char *source;
    const char *target;
    int read_only;
};

struct spec {
    const char *state_dir;   /* where runtime/exit files go */
    const char *rootfs;
    enum level level;
    int host_network;
    const char *hostname;
    const char *cwd;
    uid_t uid;
    gid_t gid;
    int tty;
    int detach;
    int watch_stdin;         /* stdin is the caller's lifeline: EOF means the caller died */
    pid_t join_pid;          /* exec mode: the running container's init */
    struct volume volumes[MAX_LIST];
    int nvolumes;
    char *env[MAX_LIST + 1];
    int nenv;
    const char *cgroups[MAX_LIST];
    int ncgroups;
    char **argv;
};

/* Reports "step 'target': strerror(errno)" on the error channel and ends the setting-up child. */
void fail(const char *step, const char *target) __attribute__((noreturn));
/* The fd fail() writes to; -1 means stderr. */
extern int error_fd;

/* setup.c: runs in the new child, before exec. */
void setup_root(const struct spec *spec);
void setup_loopback(void);
/* security.c */
void drop_privileges(const struct spec *spec);
void apply_seccomp(void);
void apply_rlimits(void);
/* join.c: exec mode, enter the namespaces of a running container. */
void join_namespaces(const struct spec *spec);

#endif
