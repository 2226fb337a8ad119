/* tsbuild sandbox helper: shared declarations. See README.md for the process tree and protocol. */
#ifndef TSBUILD_SANDBOX_H
#define TSBUILD_SANDBOX_H
#define _GNU_SOURCE
#include <sys/types.h>
#include <stddef.h>

enum mount_kind { MOUNT_BIND, MOUNT_TMPFS };

struct mount_entry {
  enum mount_kind kind;
  int readonly;
  const char *source; /* bind: host path */
  const char *target; /* path inside the rootfs */
  const char *options; /* tmpfs: "size=...,mode=..." */
};

struct config {
  int ppid;
  int overlay; /* 1: lowers+upper+work; 0: dir */
  const char **lowers; int nlowers;
  const char *upper, *work, *dir;
  int readonly;
  const char *mountpoint; /* empty host dir the root is mounted on, inside our namespace only */
  int net_none;
  const char *hostname;
  const char *hosts_file, *resolv_file, *hostname_file; /* host files bound onto /etc/... */
  const char **cgroups; int ncgroups; /* cgroup directories the payload joins */
  int *cgroup_fds; /* their cgroup.procs, opened by init before pivot_root */
  struct mount_entry *mounts; int nmounts;
  const char **argv; int argc;
  const char **env; int nenv;
  const char *cwd;
  uid_t uid; gid_t gid;
  gid_t *groups; int ngroups;
  int tty;
  char tty_slave[64];
  int sync_fd; /* closed by the monitor once it has reported init's pid */
};

/* util.c */
extern int status_fd;
extern void (*fail_hook)(void);
void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fail(const char *stage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int read_config(int fd, struct config *c);
int read_credentials(int fd, struct config *c);

/* overlay.c */
int mount_overlay(const char *const *lowers, int nlowers, const char *upper, const char *work,
                  const char *target, char *err, size_t errlen);

/* rootfs.c */
void setup_rootfs(struct config *c);
void cleanup_stubs(int remount_rw);

/* devices.c */
void setup_proc(int rootfd);
void setup_dev(int rootfd);
void setup_sys(int rootfd);
int proc_fd(void);

/* target.c */
struct target { int parentfd; char name[256]; int fd; int rootfd; char rel[4096]; };
void prepare_target(int rootfd, const char *path, int want_dir, unsigned long long resolve, struct target *t);
int reopen_target(const struct target *t);
void fd_path(char *buf, size_t len, int fd, const char *rest);
void record_stub(int parentfd, const char *name);
void set_upper_dir(int fd);
void remove_stubs(void);

/* tty.c */
int tty_open_master(char *slave, size_t len);
int tty_attach(const char *slave, uid_t uid);
int tty_relay(int master, pid_t child);

/* init.c, payload.c, session.c */
_Noreturn void init_main(struct config *c);
_Noreturn void payload_main(struct config *c, int errfd);
int session_main(void);

#endif
