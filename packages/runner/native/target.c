/* Mount targets inside an image-controlled rootfs, resolved without ever leaving it.
 * Every path is opened with openat2(RESOLVE_IN_ROOT) relative to an fd of the new root (so "..",
 * absolute symlinks and magic links cannot lead to host paths), and mounts are made onto the
 * resulting O_PATH fd through /proc/self/fd/N, never onto a re-walked string (CVE-2019-19921,
 * CVE-2025-31133 class). Kernels without openat2 get a strict walk that refuses any symlink.
 * Missing targets are created as stubs and recorded, so init can remove exactly those after the run
 * (by parent fd + name, never by a path the step could have redirected: CVE-2024-23652). */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static int strict_walk(int rootfd, const char *path, int flags) {
  /* fallback: component by component, O_NOFOLLOW, no "..": refuses what openat2 would clamp */
  char buf[4096];
  if (strlen(path) >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
  strcpy(buf, path);
  int cur = dup(rootfd);
  char *save = NULL;
  for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (!strcmp(c, "..")) { close(cur); errno = EXDEV; return -1; }
    int last = save == NULL || *save == '\0';
    int next = openat(cur, c, (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close(cur);
    if (next < 0) { errno = saved; return -1; }
    if (!last || !(flags & O_PATH)) { cur = next; continue; }
    struct stat st;
    if (fstat(next, &st) == 0 && S_ISLNK(st.st_mode)) { close(next); errno = ELOOP; return -1; }
    cur = next;
  }
  return cur;
}

static int open_in_root(int rootfd, const char *path, int flags, unsigned long long resolve) {
  static int no_openat2;
  if (!no_openat2) {
    struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = resolve };
    /* EAGAIN: a rename or mount anywhere on the host raced a ".." step; the kernel asks us to retry */
    for (int tries = 0; tries < 256; tries++) {
      int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN) {
        if (fd >= 0 || errno != ENOSYS) return fd;
        break;
      }
    }
    if (errno == EAGAIN) return -1;
    no_openat2 = 1;
  }
  return strict_walk(rootfd, path, flags);
}

void fd_path(char *buf, size_t len, int fd, const char *rest) {
  snprintf(buf, len, "/proc/self/fd/%d%s%s", fd, rest && *rest ? "/" : "", rest ? rest : "");
}

/* Overlay: creating a stub inside a directory that only exists in a lower layer copies that directory
 * up. Its host-side ancestors that were not in the upper dir before are reported ("copyup <rel>") so
 * tsbuild can drop them from the step's diff again once they are empty and unchanged. */
static int upper_fd = -1;

void set_upper_dir(int fd) { upper_fd = fd; }

static void note_copy_ups(const char *relparent) {
  if (upper_fd < 0) return;
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", relparent);
  for (char *p = buf; ; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      struct stat st;
      if (*buf && fstatat(upper_fd, buf, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) report("copyup %s", buf);
      *p = saved;
      if (!saved) break;
    }
  }
}

/* The stubs we created, newest last: removed in reverse order after the run. */
static struct { int parentfd; char name[256]; } stubs[64];
static int nstubs;

void record_stub(int parentfd, const char *name) {
  if (nstubs == (int)(sizeof stubs / sizeof stubs[0])) { errno = ENOSPC; fail("mount", "too many mount stubs"); }
  stubs[nstubs].parentfd = dup(parentfd);
  snprintf(stubs[nstubs].name, sizeof stubs[nstubs].name, "%s", name);
  nstubs++;
}

/* Open (creating as a stub if missing) every directory of rel's parent chain. */
static int ensure_parent(int rootfd, const char *rel, unsigned long long resolve, char *last, size_t lastlen) {
  char buf[4096];
  if (strlen(rel) >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
  strcpy(buf, rel);
  /* drop trailing slashes, split off the last component */
  size_t n = strlen(buf);
  while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
  char *slash = strrchr(buf, '/');
  const char *name = slash ? slash + 1 : buf;
  if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) { errno = EINVAL; return -1; }
  snprintf(last, lastlen, "%s", name);
  if (!slash) return dup(rootfd);
  *slash = '\0';

  int cur = dup(rootfd);
  for (char *p = buf; ; ) {
    char *next = strchr(p, '/');
    if (next) *next = '\0';
    if (*p) {
      int fd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, resolve);
      if (fd < 0 && errno == ENOENT) {
        struct stat st;
        if (fstatat(cur, p, &st, AT_SYMLINK_NOFOLLOW) == 0) { errno = ELOOP; close(cur); return -1; }
        if (p > buf) { p[-1] = '\0'; note_copy_ups(buf); p[-1] = '/'; }
        if (mkdirat(cur, p, 0755) < 0) { close(cur); return -1; }
        record_stub(cur, p);
        fd = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (fd < 0) { int e = errno; close(cur); errno = e; return -1; }
      close(cur);
      cur = fd;
    }
    if (!next) break;
    *next = '/';
    p = next + 1;
  }
  return cur;
}

void prepare_target(int rootfd, const char *path, int want_dir, unsigned long long resolve, struct target *t) {
  while (*path == '/') path++;
  if (!*path) { errno = EINVAL; fail("mount", "cannot mount over the root itself"); }
  t->rootfd = rootfd;
  snprintf(t->rel, sizeof t->rel, "%s", path);
  t->parentfd = ensure_parent(rootfd, path, resolve, t->name, sizeof t->name);
  if (t->parentfd < 0) fail("mount", "resolve the parent of /%s in the rootfs", path);
  t->fd = open_in_root(rootfd, path, O_PATH, resolve);
  if (t->fd < 0 && errno == ENOENT) {
    struct stat st;
    if (fstatat(t->parentfd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      errno = ELOOP;
      fail("mount", "/%s is a symlink leading nowhere inside the rootfs", path);
    }
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash) { *slash = '\0'; note_copy_ups(parent); }
    if (want_dir) {
      if (mkdirat(t->parentfd, t->name, 0755) < 0) fail("mount", "create /%s", path);
    } else {
      int fd = openat(t->parentfd, t->name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0) fail("mount", "create /%s", path);
      close(fd);
    }
    record_stub(t->parentfd, t->name);
    t->fd = openat(t->parentfd, t->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  }
  if (t->fd < 0) {
    if (errno == ELOOP || errno == EXDEV) fail("mount", "/%s leads through a symlink or mount the rootfs may not use here", path);
    fail("mount", "open /%s in the rootfs", path);
  }
  struct stat st;
  if (fstat(t->fd, &st) < 0) fail("mount", "stat /%s", path);
  if (want_dir && !S_ISDIR(st.st_mode)) { errno = ENOTDIR; fail("mount", "/%s in the rootfs is not a directory", path); }
  if (!want_dir && S_ISDIR(st.st_mode)) { errno = EISDIR; fail("mount", "/%s in the rootfs is a directory", path); }
}

/* An fd for what is mounted on t now: the same in-root walk again, which now crosses into the new
 * mount (also when the target was an in-root symlink). Nothing of the step runs yet to race it. */
int reopen_target(const struct target *t) {
  int fd = open_in_root(t->rootfd, t->rel, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) fail("mount", "reopen %s", t->name);
  return fd;
}

/* Called by init once no process of the step is left, with cwd on our own /proc. Only entries we
 * created are touched, through the parent fds we kept; a stub the step replaced by something else
 * (a non-empty file or dir, a device) stays. */
void remove_stubs(void) {
  for (int i = nstubs - 1; i >= 0; i--) {
    int parent = stubs[i].parentfd;
    const char *name = stubs[i].name;
    for (int tries = 0; tries < 8; tries++) {
      int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) break;
      char p[64];
      snprintf(p, sizeof p, "self/fd/%d", fd);
      int rc = umount2(p, MNT_DETACH);
      close(fd);
      if (rc < 0) break;
    }
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(st.st_mode)) unlinkat(parent, name, AT_REMOVEDIR); /* fails unless empty: fine */
      else if (S_ISREG(st.st_mode) && st.st_size == 0) unlinkat(parent, name, 0);
    }
    close(parent);
  }
  nstubs = 0;
}
