/* `tty: true`: a pseudo-terminal from the step's own devpts instance. Init keeps the master and
 * relays between it and its own stdin/stdout (the terminal or pipes tsbuild gave it); the payload
 * gets the slave as its controlling terminal on fds 0-2, so stderr is merged, as with docker -t. */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int tty_open_master(char *slave, size_t len) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail("tty", "open /dev/ptmx");
  int unlock = 0, n = -1;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0) fail("tty", "unlock pty");
  snprintf(slave, len, "/dev/pts/%d", n);
  struct winsize ws;
  if (isatty(0) && ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
  return master;
}

/* In the payload, a session leader without a terminal yet. */
int tty_attach(const char *slave, uid_t uid) {
  int fd = open(slave, O_RDWR | O_CLOEXEC);
  if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0) return -1;
  if (fchown(fd, uid, (gid_t)-1) < 0) return -1;
  for (int i = 0; i < 3; i++) if (dup2(fd, i) < 0) return -1;
  if (fd > 2) close(fd);
  return 0;
}

static int chld_w = -1;
static volatile sig_atomic_t winch;
static void on_chld(int sig) {
  if (sig == SIGWINCH) winch = 1;
  int saved = errno;
  if (write(chld_w, "x", 1) < 0) { /* a wakeup is already pending */ }
  errno = saved;
}

static void copy_all(int to, const char *buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(to, buf, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    buf += w; n -= w;
  }
}

/* Relays until the payload has exited, reaping other children meanwhile; returns its wait status. */
int tty_relay(int master, pid_t child) {
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) fail("tty", "pipe");
  chld_w = p[1];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);
  sigaction(SIGWINCH, &sa, NULL); /* relayed by the monitor when tsbuild's terminal is resized */
  /* the payload may have exited before the handler existed: look once right away */
  on_chld(SIGCHLD);
  /* the terminal, if ours is one, goes raw: the step's pty does the line discipline */
  struct termios saved;
  int raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
  }
  int status = 0, done = 0, in_open = 1, master_open = 1;
  char buf[16384];
  while (!done) {
    struct pollfd fds[3] = {
      { p[0], POLLIN, 0 }, { master_open ? master : -1, POLLIN, 0 }, { in_open ? 0 : -1, POLLIN, 0 },
    };
    /* a SIGCHLD between the last waitpid and poll still wakes us through the pipe */
    if (poll(fds, 3, -1) < 0 && errno != EINTR) break;
    if (fds[0].revents) {
      while (read(p[0], buf, sizeof buf) > 0) {}
      struct winsize ws;
      /* the kernel sends SIGWINCH to the step's foreground group itself */
      if (winch && (winch = 0, ioctl(0, TIOCGWINSZ, &ws) == 0)) ioctl(master, TIOCSWINSZ, &ws);
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0)
        if (w == child) { status = st; done = 1; }
    }
    if (fds[1].revents) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) copy_all(1, buf, n);
      else if (n == 0 || errno != EINTR) master_open = 0; /* EIO: no slave left open */
    }
    if (fds[2].revents) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) copy_all(master, buf, n);
      else if (n == 0 || errno != EINTR) in_open = 0;
    }
  }
  fcntl(master, F_SETFL, O_NONBLOCK);
  for (ssize_t n; master_open && (n = read(master, buf, sizeof buf)) > 0;) copy_all(1, buf, n);
  if (raw) tcsetattr(0, TCSANOW, &saved);
  signal(SIGCHLD, SIG_DFL);
  close(p[0]);
  close(p[1]);
  return status;
}
