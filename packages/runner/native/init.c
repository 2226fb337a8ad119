/* Pid 1 of the step's pid namespace. It builds the root, waits for the credentials, starts the
 * payload as pid 2, forwards signals to it, reaps every orphan, and once the payload is gone kills
 * whatever it left behind (kill(-1) from a namespace's init reaches all of it), removes the mount
 * stubs it made, and reports the payload's status. If tsbuild dies, PDEATHSIG kills the monitor,
 * then this process, and the kernel tears the whole namespace down with it. */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

static volatile pid_t payload_pid;
static int readonly_root;

static void cleanup_on_failure(void) {
  cleanup_stubs(readonly_root);
}

static void forward(int sig) {
  if (payload_pid > 0) kill(payload_pid, sig);
}

/* Only the payload joins the step's cgroup (init stays outside: it is not charged, not OOM-killed and
 * not killed when tsbuild empties the cgroup, so it can still clean up and report). The cgroup files
 * are opened now because the host's cgroupfs is out of reach after pivot_root. */
static void open_cgroups(struct config *c) {
  char path[4096];
  c->cgroup_fds = calloc((size_t)c->ncgroups + 1, sizeof(int));
  if (!c->cgroup_fds) fail("cgroup", "out of memory");
  for (int i = 0; i < c->ncgroups; i++) {
    snprintf(path, sizeof path, "%s/cgroup.procs", c->cgroups[i]);
    c->cgroup_fds[i] = open(path, O_WRONLY | O_CLOEXEC);
    if (c->cgroup_fds[i] < 0) fail("cgroup", "open %s", path);
  }
}

/* Waits for the exec (the error pipe closes on success) and reports a failed one. */
static void report_exec_failure(int errfd) {
  char msg[1024];
  ssize_t n;
  do n = read(errfd, msg, sizeof msg - 1); while (n < 0 && errno == EINTR);
  close(errfd);
  if (n > 0) { msg[n] = '\0'; report("error %s", msg); }
}

_Noreturn void init_main(struct config *c) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  /* no ptrace or /proc/1/fd access from the step (CVE-2016-9962 class) */
  prctl(PR_SET_DUMPABLE, 0);
  umask(0);
  /* a reader of our stdout or status going away must not kill us before we have cleaned up */
  signal(SIGPIPE, SIG_IGN);
  open_cgroups(c);
  readonly_root = !c->overlay && c->readonly;
  fail_hook = cleanup_on_failure;
  setup_rootfs(c);
  char b;
  while (read(c->sync_fd, &b, 1) < 0 && errno == EINTR) {}
  close(c->sync_fd);
  report("ready");
  read_credentials(3, c);

  int master = c->tty ? tty_open_master(c->tty_slave, sizeof c->tty_slave) : -1;
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0) fail("exec", "pipe");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);

  pid_t pid = fork();
  if (pid < 0) fail("exec", "fork");
  if (pid == 0) {
    fail_hook = NULL;
    close(errpipe[0]);
    payload_main(c, errpipe[1]);
  }
  payload_pid = pid;
  close(errpipe[1]);
  for (int i = 0; i < c->ncgroups; i++) close(c->cgroup_fds[i]); /* only the payload needed them */
  report_exec_failure(errpipe[0]);

  int status = 0, done = 0;
  if (master >= 0) {
    status = tty_relay(master, pid);
    done = 1;
    payload_pid = 0;
    close(master);
  }
  for (;;) {
    int st;
    /* again on every round: a process forked while we were killing the others must not survive */
    if (done) kill(-1, SIGKILL);
    pid_t w = waitpid(-1, &st, 0);
    if (w < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: nothing left */
    }
    if (w == pid && !done) {
      status = st;
      done = 1;
      payload_pid = 0;
      kill(-1, SIGKILL);
    }
  }
  fail_hook = NULL;
  cleanup_stubs(readonly_root);
  if (WIFSIGNALED(status)) report("signal %d", WTERMSIG(status));
  else report("exit %d", WEXITSTATUS(status));
  _exit(0);
}
