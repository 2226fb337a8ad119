/* Status reporting and the config reader. The protocol is NUL-terminated key/value strings on fd 3
 * ending with the key "end" (binary-safe, no JSON parser in C); status goes back as text lines on fd 4. */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int status_fd = -1;
void (*fail_hook)(void);

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    buf += n; len -= (size_t)n;
  }
}

void report(const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof buf - 2) n = sizeof buf - 2;
  /* one write per line so lines from init and the monitor never interleave */
  buf[n++] = '\n';
  if (status_fd >= 0) write_all(status_fd, buf, (size_t)n);
  else write_all(2, buf, (size_t)n);
}

_Noreturn void fail(const char *stage, const char *fmt, ...) {
  char msg[3000];
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  report("error %s %s: %s", stage, msg, strerror(saved));
  /* init registers its stub cleanup here, so a failed setup leaves the rootfs as it found it */
  void (*hook)(void) = fail_hook;
  fail_hook = NULL;
  if (hook) hook();
  _exit(125);
}

/* A tiny buffered reader: the config can hold a large environment, and a read per byte is slow. */
static char rbuf[65536];
static size_t rpos, rlen;

static char *read_string(int fd) {
  size_t cap = 256, len = 0;
  char *s = malloc(cap);
  if (!s) return NULL;
  for (;;) {
    if (rpos == rlen) {
      ssize_t n = read(fd, rbuf, sizeof rbuf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { free(s); return NULL; }
      rpos = 0; rlen = (size_t)n;
    }
    char c = rbuf[rpos++];
    if (len + 1 >= cap) {
      cap *= 2;
      char *t = realloc(s, cap);
      if (!t) { free(s); return NULL; }
      s = t;
    }
    s[len++] = c;
    if (c == '\0') return s;
  }
}

static void *grow(void *arr, int count, size_t size) {
  void *p = realloc(arr, (size_t)(count + 2) * size);
  if (!p) { errno = ENOMEM; fail("config", "out of memory"); }
  return p;
}

#define PUSH(arr, n, v) do { (arr) = grow((arr), (n), sizeof *(arr)); (arr)[(n)++] = (v); (arr)[(n)] = 0; } while (0)

static unsigned long parse_id(const char *v) {
  char *end;
  errno = 0;
  unsigned long x = strtoul(v, &end, 10);
  if (errno || *end || !*v || x > 4294967294UL) { errno = EINVAL; fail("config", "bad id %s", v); }
  return x;
}

int read_config(int fd, struct config *c) {
  memset(c, 0, sizeof *c);
  for (;;) {
    char *k = read_string(fd);
    if (!k) { errno = EPIPE; fail("config", "truncated config"); }
    if (!strcmp(k, "end")) return 0;
    char *v = read_string(fd);
    if (!v) { errno = EPIPE; fail("config", "truncated config at %s", k); }
    if (!strcmp(k, "ppid")) c->ppid = atoi(v);
    else if (!strcmp(k, "rootfs")) c->overlay = !strcmp(v, "overlay");
    else if (!strcmp(k, "lower")) PUSH(c->lowers, c->nlowers, v);
    else if (!strcmp(k, "upper")) c->upper = v;
    else if (!strcmp(k, "work")) c->work = v;
    else if (!strcmp(k, "dir")) c->dir = v;
    else if (!strcmp(k, "readonly")) c->readonly = !strcmp(v, "1");
    else if (!strcmp(k, "mountpoint")) c->mountpoint = v;
    else if (!strcmp(k, "network")) c->net_none = !strcmp(v, "none");
    else if (!strcmp(k, "hostname")) c->hostname = v;
    else if (!strcmp(k, "hosts")) c->hosts_file = v;
    else if (!strcmp(k, "resolv")) c->resolv_file = v;
    else if (!strcmp(k, "hostnamefile")) c->hostname_file = v;
    else if (!strcmp(k, "cgroup")) PUSH(c->cgroups, c->ncgroups, v);
    else if (!strcmp(k, "arg")) PUSH(c->argv, c->argc, v);
    else if (!strcmp(k, "env")) PUSH(c->env, c->nenv, v);
    else if (!strcmp(k, "cwd")) c->cwd = v;
    else if (!strcmp(k, "tty")) c->tty = !strcmp(v, "1");
    else if (!strcmp(k, "mount")) {
      struct mount_entry m = {0};
      m.kind = strcmp(v, "tmpfs") ? MOUNT_BIND : MOUNT_TMPFS;
      c->mounts = grow(c->mounts, c->nmounts, sizeof *c->mounts);
      c->mounts[c->nmounts++] = m;
    } else if (!strcmp(k, "msrc") && c->nmounts) c->mounts[c->nmounts - 1].source = v;
    else if (!strcmp(k, "mtgt") && c->nmounts) c->mounts[c->nmounts - 1].target = v;
    else if (!strcmp(k, "mopts") && c->nmounts) c->mounts[c->nmounts - 1].options = v;
    else if (!strcmp(k, "mro") && c->nmounts) c->mounts[c->nmounts - 1].readonly = !strcmp(v, "1");
    else { errno = EINVAL; fail("config", "unknown key %s", k); }
    free(k);
  }
}

/* The user is resolved by the TS side after pivot_root (through /proc/<init>/root), then sent here. */
int read_credentials(int fd, struct config *c) {
  for (;;) {
    char *k = read_string(fd);
    if (!k) { errno = EPIPE; fail("user", "no credentials received"); }
    if (!strcmp(k, "end")) return 0;
    char *v = read_string(fd);
    if (!v) { errno = EPIPE; fail("user", "truncated credentials"); }
    if (!strcmp(k, "uid")) c->uid = (uid_t)parse_id(v);
    else if (!strcmp(k, "gid")) c->gid = (gid_t)parse_id(v);
    else if (!strcmp(k, "group")) PUSH(c->groups, c->ngroups, (gid_t)parse_id(v));
    /* HOME=<the user's home>, known only now (runc's prepareEnv); kept, so not freed */
    else if (!strcmp(k, "env")) { PUSH(c->env, c->nenv, v); v = NULL; }
    else if (!strcmp(k, "abort")) { errno = EINVAL; fail("user", "%s", v); }
    else { errno = EINVAL; fail("user", "unknown key %s", k); }
    free(k); free(v);
  }
}
