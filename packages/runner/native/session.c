/* A mount namespace held open for the builder's COPY/ADD: overlays mounted here are reachable from
 * the host as /proc/<pid>/root/<mountpoint> but appear in no host mount table, and vanish when this
 * process dies (PDEATHSIG ties it to tsbuild).
 * Requests on stdin are NUL-terminated strings, a request ending with an empty string:
 *   mount  <id> <mountpoint> <upper> <work> <lower>...   (lowers topmost first)
 *   umount <id> <mountpoint>
 * Replies on stdout, one line each: "ok <id>" or "err <id> <message>". EOF on stdin ends the session. */
#include "sandbox.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sched.h>
#include <unistd.h>

static char *words[1024];

/* Reads one request into words[]; returns the word count, or -1 at EOF. */
static int read_request(void) {
  int n = 0;
  for (;;) {
    size_t cap = 0;
    char *w = NULL;
    ssize_t len = getdelim(&w, &cap, '\0', stdin);
    if (len <= 0) { free(w); return -1; }
    if (w[0] == '\0') { free(w); return n; }
    if (n < (int)(sizeof words / sizeof words[0]) - 1) words[n++] = w;
    else free(w);
  }
}

static void reply(const char *id, const char *err) {
  if (err) printf("err %s %s: %s\n", id, err, strerror(errno));
  else printf("ok %s\n", id);
  fflush(stdout);
}

int session_main(void) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 125;
  if (unshare(CLONE_NEWNS) < 0) { perror("unshare"); return 125; }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) { perror("make / private"); return 125; }
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    int n = read_request();
    if (n < 0) return 0;
    char err[512];
    if (n >= 6 && !strcmp(words[0], "mount")) {
      int rc = mount_overlay((const char *const *)words + 5, n - 5, words[3], words[4], words[2], err, sizeof err);
      reply(words[1], rc < 0 ? err : NULL);
    } else if (n == 3 && !strcmp(words[0], "umount")) {
      /* the overlay, then the layer-name tmpfs below it if one was needed */
      int rc = umount2(words[2], MNT_DETACH);
      int saved = errno;
      if (rc == 0) umount2(words[2], MNT_DETACH);
      errno = saved;
      reply(words[1], rc < 0 ? "umount" : NULL);
    } else {
      errno = EINVAL;
      reply(n > 1 ? words[1] : "-", "bad request");
    }
    for (int i = 0; i < n; i++) free(words[i]);
  }
}
