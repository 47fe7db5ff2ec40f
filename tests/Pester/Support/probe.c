/*
 * The container tests' probe: a static program run inside a container that reports what it sees,
 * one "key=value" line per request (crun's tests/init.c plays the same part).
 *   probe pid | hostname | pids | read PATH | size PATH | write PATH TEXT | escape HOSTPATH
 *         mount | mknod | ptrace | module | caps | nnp | seccomp | forkbomb | sleep SECONDS
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void result(const char *key, int rc)
{
    if (rc == 0)
        printf("%s=ok\n", key);
    else
        printf("%s=%s\n", key, strerrorname_np(errno));
}

static void status_line(const char *prefix)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            printf("%s", line);
    fclose(f);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        const char *op = argv[i];
        if (strcmp(op, "pid") == 0) {
            printf("pid=%d\n", (int)getpid());
        } else if (strcmp(op, "hostname") == 0) {
            char name[256] = "";
            gethostname(name, sizeof name);
            printf("hostname=%s\n", name);
        } else if (strcmp(op, "pids") == 0) {
            /* Every process this /proc shows, as a count and the highest pid. */
            DIR *d = opendir("/proc");
            int count = 0, highest = 0;
            struct dirent *e;
            while (d && (e = readdir(d))) {
                int pid = atoi(e->d_name);
                if (pid > 0) {
                    count++;
                    if (pid > highest)
                        highest = pid;
                }
            }
            if (d)
                closedir(d);
            printf("pids=%d\nhighest=%d\n", count, highest);
        } else if (strcmp(op, "read") == 0 && i + 1 < argc) {
            const char *path = argv[++i];
            char buf[256];
            int fd = open(path, O_RDONLY);
            if (fd < 0) {
                result("read", -1);
                continue;
            }
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            buf[n > 0 ? n : 0] = 0;
            buf[strcspn(buf, "\n")] = 0;
            printf("read=%s\n", buf);
        } else if (strcmp(op, "size") == 0 && i + 1 < argc) {
            /* Bytes readable from a file (procfs sizes are 0 in stat, so read it all). */
            const char *path = argv[++i];
            int fd = open(path, O_RDONLY);
            if (fd < 0) {
                result("size", -1);
                continue;
            }
            char buf[4096];
            long total = 0;
            ssize_t n;
            while ((n = read(fd, buf, sizeof buf)) > 0 && total < (1 << 20))
                total += n;
            close(fd);
            printf("size=%ld\n", total);
        } else if (strcmp(op, "write") == 0 && i + 2 < argc) {
            const char *path = argv[++i], *text = argv[++i];
            int fd = open(path, O_WRONLY);
            int rc = fd < 0 ? -1 : (write(fd, text, strlen(text)) < 0 ? -1 : 0);
            result("write", rc);
            if (fd >= 0)
                close(fd);
        } else if (strcmp(op, "escape") == 0 && i + 1 < argc) {
            /* The classic chroot escape: chroot into a subdirectory while keeping the working
               directory outside it, climb with "..", then chroot to where we ended up. */
            const char *marker = argv[++i];
            mkdir("/escape-dir", 0755);
            if (chroot("/escape-dir") < 0) {
                result("escape", -1);
                continue;
            }
            for (int up = 0; up < 64; up++)
                if (chdir("..") < 0)
                    break;
            if (chroot(".") < 0) {
                result("escape", -1);
                continue;
            }
            struct stat st;
            printf("escape=%s\n", stat(marker, &st) == 0 ? "ok" : "marker-not-found");
        } else if (strcmp(op, "mount") == 0) {
            mkdir("/probe-mnt", 0755);
            result("mount", mount("tmpfs", "/probe-mnt", "tmpfs", 0, NULL));
        } else if (strcmp(op, "mknod") == 0) {
            result("mknod", mknod("/probe-null", S_IFCHR | 0600, makedev(1, 3)));
            unlink("/probe-null");
        } else if (strcmp(op, "ptrace") == 0) {
            /* A child tries to attach to PID 1. */
            pid_t child = fork();
            if (child == 0) {
                long rc = ptrace(PTRACE_ATTACH, 1, NULL, NULL);
                if (rc == 0) {
                    /* PID 1 (our parent) stops on the attach; detach once it has, or it stays stopped. */
                    waitpid(1, NULL, __WALL);
                    ptrace(PTRACE_DETACH, 1, NULL, NULL);
                }
                _exit(rc == 0 ? 0 : errno);
            }
            int status = 0;
            waitpid(child, &status, 0);
            errno = WEXITSTATUS(status);
            result("ptrace", errno == 0 ? 0 : -1);
        } else if (strcmp(op, "module") == 0) {
            /* Without privilege the kernel answers EPERM before it looks at the (empty) image. */
            result("module", (int)syscall(SYS_init_module, "", 0UL, ""));
        } else if (strcmp(op, "caps") == 0) {
            status_line("CapEff");
            status_line("CapBnd");
        } else if (strcmp(op, "nnp") == 0) {
            printf("nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        } else if (strcmp(op, "seccomp") == 0) {
            status_line("Seccomp:");
        } else if (strcmp(op, "forkbomb") == 0) {
            /* Forks sleeping children until the kernel refuses, reports how many it got. */
            int made = 0;
            for (; made < 100000; made++) {
                pid_t pid = fork();
                if (pid < 0)
                    break;
                if (pid == 0) {
                    pause();
                    _exit(0);
                }
            }
            printf("forks=%d\nforkerror=%s\n", made, strerrorname_np(errno));
            kill(0, SIGKILL);
        } else if (strcmp(op, "sleep") == 0 && i + 1 < argc) {
            sleep((unsigned)atoi(argv[++i]));
        } else {
            printf("unknown=%s\n", op);
            return 2;
        }
    }
    return 0;
}
