/* Builds the step's root inside init's private mount namespace, then pivots into it.
 * Order matters: /etc files first while the rootfs is the only mount below the root (so with
 * RESOLVE_NO_XDEV they can only land on the rootfs itself), then the spec's mounts, then /proc,
 * /dev, /sys (whose targets must be plain directories), and finally pivot_root + detach. */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pivoted;

static void mount_root(struct config *c) {
  char err[512];
  if (c->overlay) {
    if (mount_overlay(c->lowers, c->nlowers, c->upper, c->work, c->mountpoint, err, sizeof err) < 0)
      fail("rootfs", "%s", err);
    return;
  }
  /* not MS_REC: host mounts below the directory must not come along into the step */
  if (mount(c->dir, c->mountpoint, NULL, MS_BIND, NULL) < 0) fail("rootfs", "bind %s", c->dir);
}

static void bind_file(int rootfd, const char *source, const char *target) {
  struct target t;
  prepare_target(rootfd, target, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV, &t);
  char p[64];
  fd_path(p, sizeof p, t.fd, NULL);
  if (mount(source, p, NULL, MS_BIND, NULL) < 0) fail("mount", "bind %s", target);
  int fd = reopen_target(&t);
  fd_path(p, sizeof p, fd, NULL);
  if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    fail("mount", "make %s read-only", target);
  close(fd); close(t.fd); close(t.parentfd);
}

static void mount_entry(int rootfd, const struct mount_entry *m) {
  struct target t;
  int want_dir = 1;
  if (m->kind == MOUNT_BIND) {
    struct stat st;
    if (stat(m->source, &st) < 0) fail("mount", "bind source %s", m->source);
    want_dir = S_ISDIR(st.st_mode);
  }
  /* crossing into an earlier spec mount is allowed (nested targets); magic links never are */
  prepare_target(rootfd, m->target, want_dir, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, &t);
  char p[64];
  fd_path(p, sizeof p, t.fd, NULL);
  unsigned long ro = m->readonly ? MS_RDONLY : 0;
  if (m->kind == MOUNT_TMPFS) {
    if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | ro, m->options ? m->options : "") < 0)
      fail("mount", "tmpfs on %s", m->target);
  } else {
    if (mount(m->source, p, NULL, MS_BIND | MS_REC, NULL) < 0) fail("mount", "bind %s on %s", m->source, m->target);
    if (m->readonly) {
      int fd = reopen_target(&t);
      /* recursively, so a mount below the bound host dir is not left writable (Linux >= 5.12) */
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
        fd_path(p, sizeof p, fd, NULL);
        if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) fail("mount", "make %s read-only", m->target);
      }
      close(fd);
    }
  }
  close(t.fd); close(t.parentfd);
}

/* Only lo in a fresh network namespace, brought up without depending on an `ip` binary. */
static void bring_lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail("network", "socket");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail("network", "get lo flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) fail("network", "bring lo up");
  close(s);
}

void setup_rootfs(struct config *c) {
  /* private first, so nothing we do propagates back to the host's mount table */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail("rootfs", "make / private");
  if (c->overlay) {
    int ufd = open(c->upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (ufd < 0) fail("rootfs", "open upper dir %s", c->upper);
    set_upper_dir(ufd);
  }
  mount_root(c);
  int rootfd = open(c->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail("rootfs", "open %s", c->mountpoint);

  if (c->hosts_file) bind_file(rootfd, c->hosts_file, "etc/hosts");
  if (c->resolv_file) bind_file(rootfd, c->resolv_file, "etc/resolv.conf");
  if (c->hostname_file) bind_file(rootfd, c->hostname_file, "etc/hostname");
  for (int i = 0; i < c->nmounts; i++) mount_entry(rootfd, &c->mounts[i]);
  setup_proc(rootfd);
  setup_dev(rootfd);
  setup_sys(rootfd);

  if (c->net_none) bring_lo_up();
  if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0) fail("hostname", "sethostname");
  if (!c->overlay && c->readonly &&
      mount(NULL, c->mountpoint, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
    fail("rootfs", "make the root read-only");

  /* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves no way back to
   * host paths (a bare chroot could be escaped with a second chroot). */
  if (fchdir(rootfd) < 0) fail("rootfs", "chdir to the new root");
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail("rootfs", "pivot_root");
  if (umount2(".", MNT_DETACH) < 0) fail("rootfs", "detach the old root");
  if (chdir("/") < 0) fail("rootfs", "chdir /");
  pivoted = 1;
  close(rootfd);
}

/* After the run: the root may be read-only, and stub removal needs it writable again. */
void cleanup_stubs(int remount_rw) {
  /* remove_stubs names mounts as self/fd/N relative to a procfs: ours, or the host's before pivot */
  if (proc_fd() >= 0 ? fchdir(proc_fd()) < 0 : chdir("/proc") < 0) return;
  /* before pivot_root "/" is still the host's root: never remount that */
  if (remount_rw && pivoted) mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL);
  remove_stubs();
}
