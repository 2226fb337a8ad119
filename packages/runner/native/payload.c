/* The step's process (pid 2): credentials, capabilities, working directory, then exec.
 * Order: cwd created as root (then chowned), bounding set dropped while we still hold CAP_SETPCAP,
 * ids switched (which clears the capabilities of a non-root user), Docker's default set kept for
 * root, every fd above 2 closed on exec. no_new_privs stays off (see payload_main). */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT
 * MKNOD AUDIT_WRITE SETFCAP: CapEff 0x00000000a80425fb, as Docker. */
#define DEFAULT_CAPS 0xa80425fbULL

static int errfd = -1;

_Noreturn static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void die(int code, const char *fmt, ...) {
  char msg[1024];
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n > 0 && (size_t)n < sizeof msg) snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(saved));
  if (write(errfd, msg, strlen(msg)) < 0) { /* init reports nothing then; the exit code still tells */ }
  _exit(code);
}

/* mkdir -p as root; directories we create belong to the step's user. After pivot_root every lookup
 * is inside the rootfs, and only fds 0-2 exist, so /proc/self/fd/N cannot lead anywhere else. */
static void make_cwd(const struct config *c) {
  char buf[4096];
  if (!c->cwd || c->cwd[0] != '/' || strlen(c->cwd) >= sizeof buf) { errno = EINVAL; die(125, "cwd invalid working directory %s", c->cwd ? c->cwd : ""); }
  strcpy(buf, c->cwd);
  for (char *p = buf + 1; ; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (mkdir(buf, 0755) == 0) {
        if (lchown(buf, c->uid, c->gid) < 0) die(125, "cwd chown %s", buf);
      } else if (errno != EEXIST) {
        die(125, "cwd create working directory %s", buf);
      }
      *p = saved;
      if (!saved) break;
    }
  }
}

static void set_credentials(const struct config *c) {
  for (int cap = 0; cap < 64; cap++) {
    if (prctl(PR_CAPBSET_READ, cap) < 0) break; /* past the kernel's last capability */
    if (!(DEFAULT_CAPS & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap) < 0) die(125, "credentials drop capability %d", cap);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) die(125, "credentials clear ambient capabilities");
  if (setgroups((size_t)c->ngroups, c->groups) < 0) die(125, "credentials setgroups");
  if (setresgid(c->gid, c->gid, c->gid) < 0) die(125, "credentials setgid %u", c->gid);
  if (setresuid(c->uid, c->uid, c->uid) < 0) die(125, "credentials setuid %u", c->uid);
  /* a non-root uid has no capabilities left now; root keeps exactly the default set */
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (c->uid == 0) {
    data[0].effective = data[0].permitted = (uint32_t)DEFAULT_CAPS;
    data[1].effective = data[1].permitted = (uint32_t)(DEFAULT_CAPS >> 32);
  }
  if (syscall(SYS_capset, &hdr, data) < 0) die(125, "credentials capset");
}

static const char *lookup_path(const struct config *c) {
  for (int i = 0; i < c->nenv; i++)
    if (!strncmp(c->env[i], "PATH=", 5)) return c->env[i] + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/* execvpe, but with PATH from the step's environment rather than ours. */
_Noreturn static void exec_command(const struct config *c) {
  const char *file = c->argv[0];
  char *const *argv = (char *const *)c->argv;
  char *const *envp = (char *const *)(c->env ? c->env : (const char *[]){ NULL });
  if (strchr(file, '/')) {
    execve(file, argv, envp);
    die(errno == ENOENT ? 127 : 126, "exec %s", file);
  }
  const char *path = lookup_path(c);
  int eacces = 0;
  char buf[4096];
  for (const char *p = path; ; ) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == 0) snprintf(buf, sizeof buf, "%s", file);
    else snprintf(buf, sizeof buf, "%.*s/%s", (int)len, p, file);
    execve(buf, argv, envp);
    if (errno == EACCES) eacces = 1;
    else if (errno != ENOENT && errno != ENOTDIR) die(126, "exec %s", buf);
    if (!end) break;
    p = end + 1;
  }
  errno = eacces ? EACCES : ENOENT;
  die(eacces ? 126 : 127, "exec %s: not found in PATH %s", file, path);
}

_Noreturn void payload_main(struct config *c, int fd) {
  errfd = fd;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  setsid();
  if (c->tty && tty_attach(c->tty_slave, c->uid) < 0) die(125, "tty attach %s", c->tty_slave);
  /* into the step's cgroup before anything can fork; the step then sees it as its cgroup root */
  for (int i = 0; i < c->ncgroups; i++)
    if (write(c->cgroup_fds[i], "0", 1) != 1) die(125, "cgroup join %s", c->cgroups[i]);
  if (c->ncgroups && unshare(CLONE_NEWCGROUP) < 0 && errno != EINVAL) die(125, "cgroup unshare cgroup namespace");
  /* nothing of init's (stub parents, /proc, pipes) may be reachable through /proc/self/fd while we
   * still act as root on paths of the image, such as the working directory */
  if ((errfd > 3 && syscall(SYS_close_range, 3, errfd - 1, 0) < 0) || syscall(SYS_close_range, errfd + 1, ~0U, 0) < 0)
    for (int i = 3; i < 1024; i++) if (i != errfd) close(i);
  umask(022);
  if (!c->argc) { errno = EINVAL; die(125, "exec empty command"); }
  make_cwd(c);
  set_credentials(c);
  if (chdir(c->cwd) < 0) die(125, "cwd chdir %s", c->cwd);
  /* CVE-2024-21626: a cwd outside the root makes getcwd fail; refuse to run there */
  char check[4096];
  if (!getcwd(check, sizeof check) || check[0] != '/') die(125, "cwd working directory %s is outside the root", c->cwd);
  /* No PR_SET_NO_NEW_PRIVS: BuildKit runs RUN with NoNewPrivileges=false (executor/oci/spec.go
   * GenerateSpec adds oci.WithNewPrivileges) and so does `docker run` unless given
   * `--security-opt no-new-privileges` (moby daemon/oci_linux.go: NoNewPrivileges = c.NoNewPrivileges),
   * so setuid binaries (su, sudo, ping) work under a non-root USER. What they gain is capped by the
   * bounding set dropped above: at most Docker's default capabilities, never more than root here has. */
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    for (int i = 3; i < 1024; i++) if (i != errfd) fcntl(i, F_SETFD, FD_CLOEXEC);
  }
  exec_command(c);
}
