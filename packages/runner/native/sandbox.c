/* tsbuild-sandbox: the kernel half of @tsbuild/runner.
 *   tsbuild-sandbox run      fd 3: config (key/value strings), fd 4: status lines
 *   tsbuild-sandbox session  stdin: mount requests, stdout: replies (see session.c)
 * `run` is the monitor: it stays in the host namespaces, clones init into new pid/mount/uts/ipc
 * (and net) namespaces, relays SIGTERM/SIGINT to it and waits. It dies with tsbuild (PDEATHSIG),
 * and init dies with it. */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t init_pid;

static void relay(int sig) {
  if (init_pid > 0) kill(init_pid, sig);
}

/* CVE-2019-5736: until its execve, the step's process runs this binary, so an image whose command is
 * "#!/proc/self/exe" would get it executed inside the sandbox, where a process of the step could
 * reopen /proc/<pid>/exe for writing and overwrite the host's helper. We therefore re-exec from a
 * sealed memfd copy first (runc's cloned-binary defence): /proc/self/exe is then immutable. */
static void reexec_sealed(char **argv) {
  char self[64] = "";
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) self[n] = '\0';
  if (!strncmp(self, "/memfd:", 7)) return; /* already the sealed copy */
  int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int mfd = memfd_create("tsbuild-sandbox", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (src < 0 || mfd < 0) fail("exe", "memfd copy of the helper");
  struct stat st;
  if (fstat(src, &st) < 0) fail("exe", "stat the helper");
  for (off_t done = 0; done < st.st_size; ) {
    ssize_t w = sendfile(mfd, src, NULL, (size_t)(st.st_size - done));
    if (w <= 0) fail("exe", "copy the helper");
    done += w;
  }
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) fail("exe", "seal the helper copy");
  close(src);
  extern char **environ;
  fexecve(mfd, argv, environ);
  fail("exe", "exec the sealed helper");
}

static int monitor_main(char **argv) {
  status_fd = 4;
  /* fds node inherited from its own parent and passed on (libuv only sets up 0-4): none may reach the step */
  if (syscall(SYS_close_range, 5, ~0U, 0) < 0)
    for (int fd = 5; fd < 1024; fd++) close(fd);
  reexec_sealed(argv);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_DUMPABLE, 0);
  struct config c;
  read_config(3, &c);
  /* tsbuild may have died before PDEATHSIG was armed: then nobody would ever reap us */
  if (c.ppid && getppid() != c.ppid) return 125;
  if (!c.mountpoint || !c.argc) { errno = EINVAL; fail("config", "missing mountpoint or command"); }

  /* init must not say "ready" before tsbuild knows its pid: it waits for this pipe to close */
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) < 0) fail("namespaces", "pipe");
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (c.net_none ? CLONE_NEWNET : 0);
  /* fork-like clone (no new stack): the child continues here with a copy of our memory */
  pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0) fail("namespaces", "clone");
  if (pid == 0) {
    close(sync[1]);
    c.sync_fd = sync[0];
    init_main(&c);
  }
  init_pid = pid;
  report("init %d", pid);
  close(sync[0]);
  close(sync[1]);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = relay;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGWINCH, &sa, NULL);

  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return 125;
  }
  if (WIFSIGNALED(st)) report("initsignal %d", WTERMSIG(st));
  else if (WEXITSTATUS(st) != 0) report("initexit %d", WEXITSTATUS(st));
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "run")) return monitor_main(argv);
  if (argc == 2 && !strcmp(argv[1], "session")) return session_main();
  fprintf(stderr, "usage: tsbuild-sandbox run|session (started by @tsbuild/runner, not by hand)\n");
  return 2;
}
