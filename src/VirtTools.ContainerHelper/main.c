/*
 * virttools-container run|exec [options] -- command [args...]
 *
 * run:  clone the container's init into new namespaces (per --level), attach it to the cgroups,
 *       set up its root and privileges, exec the command, then monitor it until it exits.
 * exec: enter the namespaces of the running container --join PID and run a command there.
 *
 * The helper writes into the --state directory: <runtime> "monitor PID START\ninit PID START\n" once
 * the command is released, and <result> "exited N", "signaled N" or "error MESSAGE" when it is over.
 * It exits with the command's status (128+signal when killed) or 125 when setting up failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "helper.h"

extern char **environ;

int error_fd = -1;
static int state_fd = -1;
static int ready_fd = -1;
static const char *result_name = "exit";
static const char *runtime_name = "runtime";

/* Writes a small file in the state directory so that no reader ever sees it half written. */
static void write_state_file(const char *name, const char *text)
{
    if (state_fd < 0 || strcmp(name, "-") == 0)
        return;
    char tmp[256];
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    int fd = openat(state_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t ignored = write(fd, text, strlen(text));
    (void)ignored;
    close(fd);
    renameat(state_fd, tmp, state_fd, name);
}

static void report_setup_error(const char *message)
{
    char text[1200];
    snprintf(text, sizeof text, "error %s\n", message);
    write_state_file(result_name, text);
    if (ready_fd >= 0) {
        ssize_t ignored = write(ready_fd, message, strlen(message));
        (void)ignored;
    }
    fprintf(stderr, "virttools-container: %s\n", message);
    exit(125);
}

void fail(const char *step, const char *target)
{
    char message[1024];
    int saved = errno;
    if (target && *target)
        snprintf(message, sizeof message, "%s '%s': %s", step, target, strerror(saved));
    else
        snprintf(message, sizeof message, "%s: %s", step, strerror(saved));
    if (error_fd < 0)
        report_setup_error(message);
    ssize_t ignored = write(error_fd, message, strlen(message));
    (void)ignored;
    _exit(127);
}

static void usage(const char *why)
{
    errno = EINVAL;
    fail("usage", why);
}

/* Field 22 of /proc/PID/stat: with the pid it names one process across pid reuse. */
static unsigned long long start_time(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    /* After ") " come fields 3..; start time is field 22, the 20th of those. */
    for (int field = 3; field <= 22 && p; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void parse(int argc, char **argv, struct spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->level = LEVEL_CONTAINER;
    spec->cwd = "/";
    int i = 2;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "--tty") == 0) { spec->tty = 1; continue; }
        if (strcmp(a, "--detach") == 0) { spec->detach = 1; continue; }
        if (strcmp(a, "--watch-stdin") == 0) { spec->watch_stdin = 1; continue; }
        if (strcmp(a, "--host-network") == 0) { spec->host_network = 1; continue; }
        if (!v)
            usage(a);
        i++;
        if (strcmp(a, "--state") == 0) spec->state_dir = v;
        else if (strcmp(a, "--result") == 0) result_name = v;
        else if (strcmp(a, "--runtime") == 0) runtime_name = v;
        else if (strcmp(a, "--rootfs") == 0) spec->rootfs = v;
        else if (strcmp(a, "--hostname") == 0) spec->hostname = v;
        else if (strcmp(a, "--cwd") == 0) spec->cwd = v;
        else if (strcmp(a, "--uid") == 0) spec->uid = (uid_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--gid") == 0) spec->gid = (gid_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--join") == 0) spec->join_pid = (pid_t)strtol(v, NULL, 10);
        else if (strcmp(a, "--level") == 0) {
            if (strcmp(v, "chroot") == 0) spec->level = LEVEL_CHROOT;
            else if (strcmp(v, "namespaces") == 0) spec->level = LEVEL_NAMESPACES;
            else if (strcmp(v, "container") == 0) spec->level = LEVEL_CONTAINER;
            else usage(v);
        } else if (strcmp(a, "--env") == 0) {
            if (spec->nenv == MAX_LIST) usage(a);
            spec->env[spec->nenv++] = (char *)v;
        } else if (strcmp(a, "--cgroup") == 0) {
            if (spec->ncgroups == MAX_LIST) usage(a);
            spec->cgroups[spec->ncgroups++] = v;
        } else if (strcmp(a, "--volume") == 0) {
            /* SOURCE\nTARGET\n(ro|rw): newline-separated, so paths may contain colons. */
            if (spec->nvolumes == MAX_LIST) usage(a);
            struct volume *vol = &spec->volumes[spec->nvolumes++];
            char *copy = strdup(v);
            char *target = strchr(copy, '\n');
            if (!target) usage(v);
            *target++ = 0;
            char *mode = strchr(target, '\n');
            if (mode) *mode++ = 0;
            vol->source = copy;
            vol->target = target;
            vol->read_only = mode && strcmp(mode, "ro") == 0;
        } else usage(a);
    }
    if (i >= argc)
        usage("no command");
    spec->argv = argv + i;
    spec->env[spec->nenv] = NULL;
    if (strcmp(argv[1], "exec") == 0) {
        if (spec->join_pid <= 0) usage("exec needs --join");
    } else if (strcmp(argv[1], "run") != 0 || !spec->rootfs) {
        usage("run needs --rootfs");
    }
}

/* Runs in the new child: everything from here to exec is the container's own set-up. */
static void child(const struct spec *spec, int sync_fd, int slave_fd, const sigset_t *old_mask)
{
    char go;
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    /* The container must not outlive its monitor: nobody would record how it ended. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        fail("prctl PR_SET_PDEATHSIG", "");
    /* Wait until the monitor has put us into the container's cgroups. */
    if (read(sync_fd, &go, 1) != 1)
        _exit(127);
    close(sync_fd);

    int null_fd = -1;
    if (!spec->tty && (spec->watch_stdin || spec->detach)) {
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0)
            fail("open", "/dev/null");
    }
    int exec_mode = spec->join_pid > 0;
    if (spec->level != LEVEL_CHROOT && !exec_mode) {
        /* After the cgroup attach, so the container sees its own group as the root. */
        if (unshare(CLONE_NEWCGROUP) < 0)
            fail("unshare", "cgroup");
        setup_root(spec);
        if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
            fail("sethostname", spec->hostname);
        if (!spec->host_network)
            setup_loopback();
    } else if (spec->level == LEVEL_CHROOT && !exec_mode) {
        if (chroot(spec->rootfs) < 0)
            fail("chroot", spec->rootfs);
        if (chdir("/") < 0)
            fail("chdir", "/");
    }
    /* Its own session and process group: kill(0, ...) or a terminal's signals inside the container
       must never reach the caller's process group (pwsh and the helper share it). */
    if (setsid() < 0)
        fail("setsid", "");
    if (spec->tty) {
        if (ioctl(slave_fd, TIOCSCTTY, 0) < 0)
            fail("TIOCSCTTY", "");
        for (int fd = 0; fd < 3; fd++)
            if (dup2(slave_fd, fd) < 0)
                fail("dup2", "tty");
        close(slave_fd);
    } else if (null_fd >= 0) {
        if (dup2(null_fd, 0) < 0)
            fail("dup2", "/dev/null");
    }
    if (chdir(spec->cwd) < 0)
        fail("chdir", spec->cwd);
    if (spec->level == LEVEL_CONTAINER)
        apply_rlimits();
    drop_privileges(spec);
    if (spec->level == LEVEL_CONTAINER)
        apply_seccomp();
    /* execvp searches the PATH of environ, so the container's environment must be in place first. */
    environ = (char **)spec->env;
    execvp(spec->argv[0], spec->argv);
    fail("exec", spec->argv[0]);
}

static void copy_window_size(int from, int to)
{
    struct winsize size;
    if (ioctl(from, TIOCGWINSZ, &size) == 0)
        ioctl(to, TIOCSWINSZ, &size);
}

static void copy_bytes(int from, int to)
{
    char buf[4096];
    ssize_t n = read(from, buf, sizeof buf);
    for (ssize_t off = 0; n > 0 && off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w <= 0)
            break;
        off += w;
    }
}

/* Waits for the container's init; relays signals, and the terminal when there is one. */
static int monitor(const struct spec *spec, pid_t pid, int master_fd, const sigset_t *mask)
{
    int sig_fd = signalfd(-1, mask, SFD_CLOEXEC);
    struct termios saved;
    int raw = 0;
    if (spec->tty && isatty(0) && tcgetattr(0, &saved) == 0) {
        struct termios t = saved;
        cfmakeraw(&t);
        raw = tcsetattr(0, TCSANOW, &t) == 0;
        copy_window_size(0, master_fd);
    }
    int status = 0, stdin_open = 1;
    for (;;) {
        struct pollfd fds[3] = { { sig_fd, POLLIN, 0 }, { 0, 0, 0 }, { master_fd, POLLIN, 0 } };
        int watch = (spec->watch_stdin || spec->tty) && stdin_open;
        fds[1].fd = watch ? 0 : -1;
        fds[1].events = POLLIN;
        if (master_fd < 0)
            fds[2].fd = -1;
        if (poll(fds, 3, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo info;
            if (read(sig_fd, &info, sizeof info) == sizeof info) {
                if (info.ssi_signo == SIGCHLD) {
                    if (waitpid(pid, &status, WNOHANG) == pid)
                        break;
                } else if (info.ssi_signo == SIGWINCH && master_fd >= 0) {
                    copy_window_size(0, master_fd);
                } else if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGHUP || info.ssi_signo == SIGQUIT) {
                    kill(pid, (int)info.ssi_signo);
                }
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (spec->tty) {
                char buf[4096];
                ssize_t n = read(0, buf, sizeof buf);
                if (n <= 0)
                    stdin_open = 0;
                else if (write(master_fd, buf, (size_t)n) < 0)
                    stdin_open = 0;
            } else {
                char buf[256];
                if (read(0, buf, sizeof buf) <= 0) {
                    /* The caller is gone: stop the container and leave the state for the next
                       Get-VirtContainer to find stale (no result file), which Remove cleans. */
                    kill(pid, SIGKILL);
                    waitpid(pid, &status, 0);
                    _exit(137);
                }
            }
        }
        if (master_fd >= 0 && (fds[2].revents & POLLIN))
            copy_bytes(master_fd, 1);
    }
    if (master_fd >= 0) {
        /* Output written just before exit is still queued in the pty. */
        int flags = fcntl(master_fd, F_GETFL);
        fcntl(master_fd, F_SETFL, flags | O_NONBLOCK);
        char buf[4096];
        ssize_t n;
        while ((n = read(master_fd, buf, sizeof buf)) > 0) {
            ssize_t ignored = write(1, buf, (size_t)n);
            (void)ignored;
        }
    }
    if (raw)
        tcsetattr(0, TCSANOW, &saved);
    char text[64];
    int code;
    if (WIFSIGNALED(status)) {
        snprintf(text, sizeof text, "signaled %d\n", WTERMSIG(status));
        code = 128 + WTERMSIG(status);
    } else {
        snprintf(text, sizeof text, "exited %d\n", WEXITSTATUS(status));
        code = WEXITSTATUS(status);
    }
    write_state_file(result_name, text);
    return code;
}

/* --detach: the caller waits only for "started" or the set-up error; the monitor lives on alone. */
static void daemonize(void)
{
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        fail("pipe", "");
    pid_t pid = fork();
    if (pid < 0)
        fail("fork", "");
    if (pid > 0) {
        close(ready[1]);
        char message[1024];
        ssize_t n = read(ready[0], message, sizeof message - 1);
        if (n > 0 && !(n == 2 && memcmp(message, "ok", 2) == 0)) {
            message[n] = 0;
            fprintf(stderr, "virttools-container: %s\n", message);
            exit(125);
        }
        int status;
        /* No message at all: the monitor died before it could say anything. */
        if (n <= 0) {
            waitpid(pid, &status, WNOHANG);
            fprintf(stderr, "virttools-container: the monitor ended before the container started\n");
            exit(125);
        }
        exit(0);
    }
    close(ready[0]);
    ready_fd = ready[1];
    setsid();
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    int log_fd = openat(state_fd, "output.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (null_fd < 0 || log_fd < 0)
        fail("open", "output.log");
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    close(null_fd);
    close(log_fd);
}

int main(int argc, char **argv)
{
    struct spec spec;
    if (argc < 2)
        usage("run|exec");
    parse(argc, argv, &spec);
    if (spec.state_dir) {
        state_fd = open(spec.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state_fd < 0)
            fail("open state directory", spec.state_dir);
    }
    int cgroup_fds[MAX_LIST];
    for (int i = 0; i < spec.ncgroups; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/cgroup.procs", spec.cgroups[i]);
        cgroup_fds[i] = open(path, O_WRONLY | O_CLOEXEC);
        if (cgroup_fds[i] < 0)
            fail("open", path);
    }
    if (spec.detach)
        daemonize();

    sigset_t mask, old_mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGQUIT);
    sigaddset(&mask, SIGWINCH);
    sigprocmask(SIG_BLOCK, &mask, &old_mask);

    int master_fd = -1, slave_fd = -1;
    if (spec.tty) {
        master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master_fd < 0 || grantpt(master_fd) < 0 || unlockpt(master_fd) < 0)
            fail("open pty", "/dev/ptmx");
        const char *name = ptsname(master_fd);
        slave_fd = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
        if (slave_fd < 0)
            fail("open pty", name ? name : "");
    }
    if (spec.join_pid > 0)
        join_namespaces(&spec);

    int sync_pipe[2], error_pipe[2];
    if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(error_pipe, O_CLOEXEC) < 0)
        fail("pipe", "");
    unsigned long flags = SIGCHLD;
    if (spec.level != LEVEL_CHROOT && spec.join_pid <= 0) {
        flags |= CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
        if (!spec.host_network)
            flags |= CLONE_NEWNET;
    }
    /* A fork-like clone: becoming PID 1 of a new pid namespace takes a new process, and this
       helper is single-threaded, so the child may run ordinary code until it execs. */
    pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (pid < 0)
        fail("clone", "");
    if (pid == 0) {
        close(sync_pipe[1]);
        close(error_pipe[0]);
        error_fd = error_pipe[1];
        child(&spec, sync_pipe[0], slave_fd, &old_mask);
    }
    close(sync_pipe[0]);
    close(error_pipe[1]);
    if (slave_fd >= 0)
        close(slave_fd);

    for (int i = 0; i < spec.ncgroups; i++) {
        char number[32];
        int len = snprintf(number, sizeof number, "%d", (int)pid);
        if (write(cgroup_fds[i], number, (size_t)len) < 0) {
            int saved = errno;
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            errno = saved;
            fail("attach to cgroup", spec.cgroups[i]);
        }
        close(cgroup_fds[i]);
    }
    char runtime[160];
    snprintf(runtime, sizeof runtime, "monitor %d %llu\ninit %d %llu\n",
             (int)getpid(), start_time(getpid()), (int)pid, start_time(pid));
    write_state_file(runtime_name, runtime);
    if (write(sync_pipe[1], "g", 1) != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail("release container", "");
    }
    close(sync_pipe[1]);

    /* The error pipe closes on a successful exec (O_CLOEXEC); a message means a step failed. */
    char message[1024];
    ssize_t n;
    while ((n = read(error_pipe[0], message, sizeof message - 1)) < 0 && errno == EINTR)
        ;
    close(error_pipe[0]);
    if (n > 0) {
        message[n] = 0;
        waitpid(pid, NULL, 0);
        if (strcmp(runtime_name, "-") != 0)
            unlinkat(state_fd, runtime_name, 0);
        report_setup_error(message);
    }
    if (ready_fd >= 0) {
        ssize_t ignored = write(ready_fd, "ok", 2);
        (void)ignored;
        close(ready_fd);
        ready_fd = -1;
    }
    return monitor(&spec, pid, master_fd, &mask);
}
