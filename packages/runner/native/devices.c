/* /proc, /dev and /sys for the step. The targets must be real directories in the image (a symlinked
 * /proc or /dev is refused: CVE-2019-19921, CVE-2026-41579); everything below them is ours. */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define STRICT (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)

/* Docker's defaults (moby daemon/pkg/oci/defaults.go, runc maskedPaths/readonlyPaths). */
static const char *const proc_masked[] = {
  "asound", "acpi", "interrupts", "kcore", "keys", "latency_stats", "timer_list", "timer_stats",
  "sched_debug", "scsi", NULL,
};
static const char *const proc_readonly[] = { "bus", "fs", "irq", "sys", "sysrq-trigger", NULL };
static const char *const sys_masked[] = { "firmware", "devices/virtual/powercap", NULL };

static int procfd = -1;
int proc_fd(void) { return procfd; }

/* Hide one entry under a trusted mount (our own proc or sys): /dev/null over files, an empty
 * read-only tmpfs over directories. */
static void mask(int basefd, const char *name) {
  struct stat st;
  if (fstatat(basefd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return; /* absent on this kernel */
  char p[256];
  fd_path(p, sizeof p, basefd, name);
  int rc = S_ISDIR(st.st_mode)
    ? mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=555")
    : mount("/dev/null", p, NULL, MS_BIND, NULL);
  if (rc < 0) fail("proc", "mask %s", name);
}

static void bind_readonly(int basefd, const char *name) {
  struct stat st;
  if (fstatat(basefd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return;
  char p[256];
  fd_path(p, sizeof p, basefd, name);
  if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) fail("proc", "bind %s", name);
  /* the same walk now lands on the new bind mount, which is what the remount must name */
  if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    fail("proc", "make %s read-only", name);
}

void setup_proc(int rootfd) {
  struct target t;
  prepare_target(rootfd, "proc", 1, STRICT, &t);
  char p[64];
  fd_path(p, sizeof p, t.fd, NULL);
  if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) fail("proc", "mount proc");
  procfd = reopen_target(&t);
  for (int i = 0; proc_masked[i]; i++) mask(procfd, proc_masked[i]);
  for (int i = 0; proc_readonly[i]; i++) bind_readonly(procfd, proc_readonly[i]);
  close(t.fd); close(t.parentfd);
}

static void make_node(int devfd, const char *name, unsigned maj, unsigned min) {
  if (mknodat(devfd, name, S_IFCHR | 0666, makedev(maj, min)) < 0) fail("dev", "mknod %s", name);
}

void setup_dev(int rootfd) {
  struct target t;
  prepare_target(rootfd, "dev", 1, STRICT, &t);
  char p[256];
  fd_path(p, sizeof p, t.fd, NULL);
  if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0) fail("dev", "mount tmpfs");
  /* a fresh tmpfs: nothing the image planted is visible below this point */
  int devfd = reopen_target(&t);
  make_node(devfd, "null", 1, 3);
  make_node(devfd, "zero", 1, 5);
  make_node(devfd, "full", 1, 7);
  make_node(devfd, "random", 1, 8);
  make_node(devfd, "urandom", 1, 9);
  make_node(devfd, "tty", 5, 0);
  if (mkdirat(devfd, "pts", 0755) < 0 || mkdirat(devfd, "shm", 01777) < 0) fail("dev", "mkdir pts/shm");
  fd_path(p, sizeof p, devfd, "pts");
  if (mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
    fail("dev", "mount devpts");
  fd_path(p, sizeof p, devfd, "shm");
  if (mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
    fail("dev", "mount shm");
  static const char *const links[][2] = {
    { "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (symlinkat(links[i][0], devfd, links[i][1]) < 0) fail("dev", "symlink %s", links[i][1]);
  close(devfd); close(t.fd); close(t.parentfd);
}

void setup_sys(int rootfd) {
  struct target t;
  prepare_target(rootfd, "sys", 1, STRICT, &t);
  char p[64];
  fd_path(p, sizeof p, t.fd, NULL);
  unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (mount("sysfs", p, "sysfs", flags, NULL) < 0) {
    /* sysfs refuses a second mount in some network namespaces: fall back to a read-only bind */
    if (mount("/sys", p, NULL, MS_BIND | MS_REC, NULL) < 0) fail("sys", "mount sysfs");
    int fd = reopen_target(&t);
    fd_path(p, sizeof p, fd, NULL);
    if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0) fail("sys", "make /sys read-only");
    close(fd);
  }
  int sysfd = reopen_target(&t);
  for (int i = 0; sys_masked[i]; i++) mask(sysfd, sys_masked[i]);
  close(sysfd); close(t.fd); close(t.parentfd);
}
