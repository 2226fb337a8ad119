/* Overlay mounting with short option strings. mount(2) takes at most one page of options, which is
 * only ~49 lowerdirs at store-length absolute paths. We chdir to the deepest directory shared by all
 * layer paths and pass names relative to it (overlayfs resolves them at mount time against our cwd),
 * which fits hundreds of layers with short snapshot names. When even that is too long (130 layers
 * named by 64-hex ids), a private tmpfs is mounted on the target first, holding symlinks "0".."N",
 * "u", "w" to the real dirs, and the overlay is mounted on top of it with those names (overlayfs
 * follows the symlinks once, at mount time). Callers unmount twice. Paths are checked by the TS side
 * for ',' ':' '\' (no escaping here). */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* Layer commit reads the upper dir as a plain diff: a renamed dir must be copied up whole (not stored
 * as a redirect xattr) and a chown must copy the data (not a metacopy stub). These are the kernel's
 * defaults here; saying so keeps them off where a distribution turns them on. */
#define NO_REDIRECTS ",redirect_dir=off,metacopy=off"

/* volatile (Linux >= 5.10): unmounting does not syncfs the upper filesystem (the store's). Each
 * mount then leaves <work>/work/incompat/volatile behind, and overlayfs refuses to mount that work
 * dir again until it is removed: the caller removes it after a clean unmount (clearVolatileMarker in
 * the TS side) and throws the work dir away after each step. An upper dir written this way may be
 * lost or torn by a power loss or kernel crash; the layer store records snapshots made from it as
 * "unsynced under this boot" (packages/layerstore/docs/layers.md, "Durability"). */
#define VOLATILE ",volatile"

/* Length of the byte prefix that p shares with the first plen bytes of base. */
static size_t shared_prefix(const char *base, size_t plen, const char *p) {
  size_t i = 0;
  while (i < plen && p[i] && base[i] == p[i]) i++;
  return i;
}

int mount_overlay(const char *const *lowers, int nlowers, const char *upper, const char *work,
                  const char *target, char *err, size_t errlen) {
  if (nlowers < 1) { snprintf(err, errlen, "overlay needs at least one lower dir"); errno = EINVAL; return -1; }
  const char *base = lowers[0];
  size_t plen = strlen(base);
  for (int i = 1; i < nlowers; i++) plen = shared_prefix(base, plen, lowers[i]);
  plen = shared_prefix(base, plen, upper);
  plen = shared_prefix(base, plen, work);
  /* keep the prefix a directory: cut back to the last '/' */
  while (plen > 0 && base[plen - 1] != '/') plen--;
  if (plen == 0) { snprintf(err, errlen, "overlay paths must be absolute"); errno = EINVAL; return -1; }

  char dir[4096];
  if (plen >= sizeof dir) { snprintf(err, errlen, "path too long"); errno = ENAMETOOLONG; return -1; }
  memcpy(dir, base, plen);
  dir[plen] = '\0';

  size_t cap = 64 + sizeof NO_REDIRECTS + sizeof VOLATILE + strlen(upper) + strlen(work);
  for (int i = 0; i < nlowers; i++) cap += strlen(lowers[i]) + 12;
  char *opts = malloc(cap);
  if (!opts) { errno = ENOMEM; snprintf(err, errlen, "out of memory"); return -1; }
  size_t n = (size_t)snprintf(opts, cap, "lowerdir=");
  for (int i = 0; i < nlowers; i++) {
    n += (size_t)snprintf(opts + n, cap - n, "%s%s", i ? ":" : "", lowers[i] + plen);
  }
  n += (size_t)snprintf(opts + n, cap - n, ",upperdir=%s,workdir=%s%s%s", upper + plen, work + plen, NO_REDIRECTS, VOLATILE);
  int linkfd = -1;
  /* the kernel copies one page of options; anything longer would be cut */
  if (n >= 4096) {
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=700,size=1m") < 0) {
      snprintf(err, errlen, "mount the layer-name tmpfs on %s", target);
      free(opts);
      return -1;
    }
    linkfd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
    char name[16];
    int bad = linkfd < 0;
    for (int i = 0; i < nlowers && !bad; i++) {
      snprintf(name, sizeof name, "%d", i);
      bad = symlinkat(lowers[i], linkfd, name) < 0;
    }
    if (bad || symlinkat(upper, linkfd, "u") < 0 || symlinkat(work, linkfd, "w") < 0) {
      snprintf(err, errlen, "layer-name symlinks on %s", target);
      umount2(target, MNT_DETACH);
      free(opts);
      return -1;
    }
    n = (size_t)snprintf(opts, cap, "lowerdir=");
    for (int i = 0; i < nlowers; i++) n += (size_t)snprintf(opts + n, cap - n, "%s%d", i ? ":" : "", i);
    n += (size_t)snprintf(opts + n, cap - n, ",upperdir=u,workdir=w%s%s", NO_REDIRECTS, VOLATILE);
    if (n >= 4096) {
      snprintf(err, errlen, "overlay options are %zu bytes (limit 4095) for %d layers", n, nlowers);
      umount2(target, MNT_DETACH);
      free(opts);
      errno = E2BIG;
      return -1;
    }
  }

  int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cwd < 0 || (linkfd >= 0 ? fchdir(linkfd) : chdir(dir)) < 0) {
    snprintf(err, errlen, "chdir %s", dir);
    free(opts);
    if (cwd >= 0) close(cwd);
    return -1;
  }
  int rc = mount("overlay", target, "overlay", 0, opts);
  if (rc < 0 && errno == EINVAL && n >= sizeof VOLATILE - 1) {
    /* a kernel before 5.10 does not know volatile: mount without it (the unmount then syncs, which
     * is only slower; the store treats the upper dir as unsynced either way) */
    opts[n - (sizeof VOLATILE - 1)] = '\0';
    rc = mount("overlay", target, "overlay", 0, opts);
  }
  int saved = errno;
  if (rc < 0) snprintf(err, errlen, "mount overlay on %s (%d layers, options %zu bytes)", target, nlowers, n);
  if (linkfd >= 0) {
    close(linkfd);
    if (rc < 0) umount2(target, MNT_DETACH);
  }
  if (fchdir(cwd) < 0) { /* cwd only matters for relative names above */ }
  close(cwd);
  free(opts);
  errno = saved;
  return rc;
}
