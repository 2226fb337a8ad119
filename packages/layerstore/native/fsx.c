/*
 * fsx: the few Linux file-system calls Node core lacks and the layer store needs, and one
 * batch call (lstatDir) that lists a directory with every entry's lstat, for big walks.
 * Every call is synchronous and cheap except flock, which may block and so runs on the
 * libuv thread pool. Errors are thrown as Error objects with `code` (errno name), `errno`,
 * `syscall` and `path`, like Node's own fs errors, so callers can branch on `code`.
 * Nothing here follows a symlink in the final path component (l* variants only), but for the
 * directory lstatDir lists (as readdir does); the entries it lstats are never followed.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#define MAX_PATH_ARG 8192
#define MAX_NAME_ARG 512

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT"; case EEXIST: return "EEXIST"; case EACCES: return "EACCES";
    case EPERM: return "EPERM"; case ENOTDIR: return "ENOTDIR"; case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL"; case ENODATA: return "ENODATA"; case ENOTSUP: return "ENOTSUP";
    case ERANGE: return "ERANGE"; case E2BIG: return "E2BIG"; case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS"; case ELOOP: return "ELOOP"; case ENAMETOOLONG: return "ENAMETOOLONG";
    case EWOULDBLOCK: return "EWOULDBLOCK"; case EBADF: return "EBADF"; case EINTR: return "EINTR";
    case EXDEV: return "EXDEV"; case ENOTEMPTY: return "ENOTEMPTY"; case EDQUOT: return "EDQUOT";
    case ENOSYS: return "ENOSYS"; case EBUSY: return "EBUSY";
    default: return "EUNKNOWN";
  }
}

static napi_value make_error(napi_env env, int e, const char *syscall, const char *path) {
  char msg[MAX_PATH_ARG + 128];
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", errno_name(e), strerror(e), syscall, path ? path : "");
  napi_value m, err, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &err);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, err, "code", v);
  napi_create_int32(env, -e, &v);
  napi_set_named_property(env, err, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, err, "syscall", v);
  if (path) {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, err, "path", v);
  }
  return err;
}

static napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path) {
  napi_throw(env, make_error(env, e, syscall, path));
  return NULL;
}

/* Reads a string argument into buf; returns 0 and throws a TypeError on failure. */
static int get_str(napi_env env, napi_value v, char *buf, size_t cap, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  if (len >= cap - 1) {
    napi_throw_range_error(env, NULL, "argument too long");
    return 0;
  }
  if (strlen(buf) != len) {
    napi_throw_type_error(env, NULL, "argument contains a NUL byte");
    return 0;
  }
  return 1;
}

#define ARGS(n)                                                                   \
  size_t argc = n;                                                                \
  napi_value argv[n];                                                             \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);                           \
  if (argc < n) { napi_throw_type_error(env, NULL, "missing argument"); return NULL; }

/* lgetxattr(path, name) -> Buffer | null (null when the attribute is absent) */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[MAX_PATH_ARG], name[MAX_NAME_ARG];
  if (!get_str(env, argv[0], path, sizeof path, "path must be a string")) return NULL;
  if (!get_str(env, argv[1], name, sizeof name, "name must be a string")) return NULL;
  for (int attempt = 0; attempt < 4; attempt++) {
    ssize_t n = lgetxattr(path, name, NULL, 0);
    if (n < 0) {
      if (errno == ENODATA || errno == ENOTSUP) { napi_value nul; napi_get_null(env, &nul); return nul; }
      return throw_errno(env, errno, "lgetxattr", path);
    }
    void *data = NULL;
    napi_value buf;
    napi_create_buffer(env, (size_t)n, &data, &buf);
    ssize_t m = n == 0 ? 0 : lgetxattr(path, name, data, (size_t)n);
    if (m < 0) {
      if (errno == ERANGE) continue; /* grew between the two calls */
      if (errno == ENODATA) { napi_value nul; napi_get_null(env, &nul); return nul; }
      return throw_errno(env, errno, "lgetxattr", path);
    }
    if (m != n) { napi_value sub; napi_create_buffer_copy(env, (size_t)m, data, NULL, &sub); return sub; }
    return buf;
  }
  return throw_errno(env, ERANGE, "lgetxattr", path);
}

/* llistxattr(path) -> string[] */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[MAX_PATH_ARG];
  if (!get_str(env, argv[0], path, sizeof path, "path must be a string")) return NULL;
  for (int attempt = 0; attempt < 4; attempt++) {
    ssize_t n = llistxattr(path, NULL, 0);
    if (n < 0) {
      if (errno == ENOTSUP) { napi_value arr; napi_create_array(env, &arr); return arr; }
      return throw_errno(env, errno, "llistxattr", path);
    }
    char *list = malloc((size_t)n + 1);
    if (!list) return throw_errno(env, ENOMEM, "llistxattr", path);
    ssize_t m = n == 0 ? 0 : llistxattr(path, list, (size_t)n);
    if (m < 0) {
      int e = errno;
      free(list);
      if (e == ERANGE) continue;
      return throw_errno(env, e, "llistxattr", path);
    }
    napi_value arr;
    napi_create_array(env, &arr);
    uint32_t idx = 0;
    for (ssize_t off = 0; off < m;) {
      size_t l = strnlen(list + off, (size_t)(m - off));
      napi_value s;
      napi_create_string_utf8(env, list + off, l, &s);
      napi_set_element(env, arr, idx++, s);
      off += (ssize_t)l + 1;
    }
    free(list);
    return arr;
  }
  return throw_errno(env, ERANGE, "llistxattr", path);
}

/* lsetxattr(path, name, value: Buffer, flags?: number) */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) { napi_throw_type_error(env, NULL, "missing argument"); return NULL; }
  char path[MAX_PATH_ARG], name[MAX_NAME_ARG];
  if (!get_str(env, argv[0], path, sizeof path, "path must be a string")) return NULL;
  if (!get_str(env, argv[1], name, sizeof name, "name must be a string")) return NULL;
  void *data = NULL;
  size_t len = 0;
  bool isbuf = false;
  napi_is_buffer(env, argv[2], &isbuf);
  if (!isbuf) { napi_throw_type_error(env, NULL, "value must be a Buffer"); return NULL; }
  napi_get_buffer_info(env, argv[2], &data, &len);
  int32_t flags = 0;
  if (argc > 3) napi_get_value_int32(env, argv[3], &flags);
  if (lsetxattr(path, name, data, len, flags) < 0) return throw_errno(env, errno, "lsetxattr", path);
  return NULL;
}

/* lremovexattr(path, name); absent attributes are not an error */
static napi_value js_lremovexattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[MAX_PATH_ARG], name[MAX_NAME_ARG];
  if (!get_str(env, argv[0], path, sizeof path, "path must be a string")) return NULL;
  if (!get_str(env, argv[1], name, sizeof name, "name must be a string")) return NULL;
  if (lremovexattr(path, name) < 0 && errno != ENODATA) return throw_errno(env, errno, "lremovexattr", path);
  return NULL;
}

/* mknod(path, mode, major, minor): mode includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO) */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  ARGS(4);
  char path[MAX_PATH_ARG];
  if (!get_str(env, argv[0], path, sizeof path, "path must be a string")) return NULL;
  uint32_t mode = 0, maj = 0, min = 0;
  napi_get_value_uint32(env, argv[1], &mode);
  napi_get_value_uint32(env, argv[2], &maj);
  napi_get_value_uint32(env, argv[3], &min);
  if (mknod(path, (mode_t)mode, makedev(maj, min)) < 0) return throw_errno(env, errno, "mknod", path);
  return NULL;
}

/* renameNoReplace(from, to) -> true if renamed, false if `to` already existed (EEXIST) */
static napi_value js_rename_noreplace(napi_env env, napi_callback_info info) {
  ARGS(2);
  char from[MAX_PATH_ARG], to[MAX_PATH_ARG];
  if (!get_str(env, argv[0], from, sizeof from, "from must be a string")) return NULL;
  if (!get_str(env, argv[1], to, sizeof to, "to must be a string")) return NULL;
  napi_value result;
  if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0) {
    if (errno == EEXIST) { napi_get_boolean(env, false, &result); return result; }
    return throw_errno(env, errno, "renameat2", to);
  }
  napi_get_boolean(env, true, &result);
  return result;
}

/* flockSync(fd, op) -> true if taken, false if LOCK_NB was given and the lock is held elsewhere */
static napi_value js_flock_sync(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd = -1, op = 0;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[1], &op);
  napi_value result;
  int r;
  do { r = flock(fd, op); } while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EWOULDBLOCK && (op & LOCK_NB)) { napi_get_boolean(env, false, &result); return result; }
    return throw_errno(env, errno, "flock", NULL);
  }
  napi_get_boolean(env, true, &result);
  return result;
}

/* flock(fd, op) -> Promise<void>, blocking on the thread pool (never on the event loop) */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd, op, err;
} flock_req;

static void flock_execute(napi_env env, void *data) {
  (void)env;
  flock_req *r = data;
  int rc;
  do { rc = flock(r->fd, r->op); } while (rc < 0 && errno == EINTR);
  r->err = rc < 0 ? errno : 0;
}

static void flock_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  flock_req *r = data;
  if (r->err) napi_reject_deferred(env, r->deferred, make_error(env, r->err, "flock", NULL));
  else { napi_value u; napi_get_undefined(env, &u); napi_resolve_deferred(env, r->deferred, u); }
  napi_delete_async_work(env, r->work);
  free(r);
}

static napi_value js_flock(napi_env env, napi_callback_info info) {
  ARGS(2);
  flock_req *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, ENOMEM, "flock", NULL);
  napi_get_value_int32(env, argv[0], &r->fd);
  napi_get_value_int32(env, argv[1], &r->op);
  napi_value promise, name;
  napi_create_promise(env, &r->deferred, &promise);
  napi_create_string_utf8(env, "fsx.flock", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, flock_execute, flock_complete, r, &r->work);
  napi_queue_async_work(env, r->work);
  return promise;
}

/* A path argument given as a string or as raw bytes (a Buffer, for names that are not UTF-8). */
static int get_path(napi_env env, napi_value v, char *buf, size_t cap) {
  bool is_buffer = false;
  napi_is_buffer(env, v, &is_buffer);
  if (!is_buffer) return get_str(env, v, buf, cap, "path must be a string or a Buffer");
  void *data;
  size_t len;
  napi_get_buffer_info(env, v, &data, &len);
  if (len >= cap || memchr(data, 0, len) != NULL) {
    napi_throw_range_error(env, NULL, "path too long or contains a NUL byte");
    return 0;
  }
  memcpy(buf, data, len);
  buf[len] = 0;
  return 1;
}

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF):
 * exactly the names Node decodes without a U+FFFD. */
static bool is_utf8(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c < 0x80) { i++; continue; }
    size_t n;
    unsigned int cp;
    if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= len) return false;
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) return false;
    i += n + 1;
  }
  return true;
}

#define LSTATDIR_STRIDE 5

struct dir_entry {
  size_t name_at; /* offset of the NUL-terminated name in the names arena */
  struct stat st;
};

static const char *sort_arena;

/* Byte order of the names: UTF-8 byte order is code point order (what compareNames gives in JS). */
static int by_name(const void *a, const void *b) {
  return strcmp(sort_arena + ((const struct dir_entry *)a)->name_at, sort_arena + ((const struct dir_entry *)b)->name_at);
}

/* Decimal text of a signed 128-bit integer (printf has no conversion for it). */
static int fmt_i128(char *out, __int128 v) {
  char tmp[48];
  int n = 0, neg = v < 0;
  unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
  do {
    tmp[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u != 0);
  int len = 0;
  if (neg) out[len++] = '-';
  while (n > 0) out[len++] = tmp[--n];
  out[len] = 0;
  return len;
}

/* A timestamp in ns, exactly: seconds * 1e9 overflows 64 bits after 2262 (ext4 stores times to 2446). */
static __int128 ts_ns(const struct timespec *ts) {
  return (__int128)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/*
 * lstatDir(dir, nofollow?) -> { names, keys, info }: every entry of a directory (but . and ..) with its lstat,
 * sorted by name bytes, in one call. A build context's walk makes this one call per directory
 * instead of a readdir plus one lstat (and one BigIntStats object) per entry, and sorts nothing.
 *  - names[i]: a string, or a Buffer when the name is not well-formed UTF-8;
 *  - keys[i]: "dev:ino:size:mtimeNs:ctimeNs:mode" with exact integers (the context's stat key);
 *  - info[i*5 ..]: st_mode, size, uid, gid, mtime in whole ms (as Node's BigIntStats mtimeMs: the ns
 *    divided by 10^6, rounded toward zero, also before 1970).
 * With `nofollow`, `dir` itself must not be a symlink (O_NOFOLLOW: ELOOP/ENOTDIR), so a directory
 * swapped for a link between its parent's listing and its own is never listed through the link.
 * An entry removed between readdir and lstat is left out. Other errors throw (code, syscall, path;
 * `entry` names the entry an lstat failed on).
 */
static napi_value js_lstat_dir(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) { napi_throw_type_error(env, NULL, "missing argument"); return NULL; }
  char path[MAX_PATH_ARG];
  if (!get_path(env, argv[0], path, sizeof path)) return NULL;
  bool nofollow = false;
  napi_valuetype t;
  if (argc > 1 && napi_typeof(env, argv[1], &t) == napi_ok && t == napi_boolean) napi_get_value_bool(env, argv[1], &nofollow);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
  if (fd < 0) return throw_errno(env, errno, "opendir", path);
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "opendir", path);
  }
  size_t cap = 64, n = 0, arena_cap = 4096, arena_len = 0;
  struct dir_entry *ents = malloc(cap * sizeof *ents);
  char *arena = malloc(arena_cap);
  int failed = ents == NULL || arena == NULL ? ENOMEM : 0;
  const char *failed_syscall = "readdir";
  char failed_name[MAX_NAME_ARG] = "";
  while (!failed) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (e == NULL) {
      failed = errno;
      break;
    }
    const char *nm = e->d_name;
    if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
    if (n == cap) {
      struct dir_entry *grown = realloc(ents, (cap *= 2) * sizeof *ents);
      if (grown == NULL) { failed = ENOMEM; break; }
      ents = grown;
    }
    if (fstatat(fd, nm, &ents[n].st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      failed = errno;
      failed_syscall = "lstat";
      snprintf(failed_name, sizeof failed_name, "%s", nm);
      break;
    }
    size_t len = strlen(nm) + 1;
    if (arena_len + len > arena_cap) {
      while (arena_len + len > arena_cap) arena_cap *= 2;
      char *grown = realloc(arena, arena_cap);
      if (grown == NULL) { failed = ENOMEM; break; }
      arena = grown;
    }
    memcpy(arena + arena_len, nm, len);
    ents[n].name_at = arena_len;
    arena_len += len;
    n++;
  }
  closedir(d);
  if (failed) {
    free(ents);
    free(arena);
    char full[MAX_PATH_ARG + MAX_NAME_ARG + 2];
    snprintf(full, sizeof full, "%s%s%s", path, failed_name[0] ? "/" : "", failed_name);
    napi_value err = make_error(env, failed, failed_syscall, full), v;
    if (failed_name[0]) {
      napi_create_string_utf8(env, failed_name, NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, err, "entry", v);
    }
    napi_throw(env, err);
    return NULL;
  }
  sort_arena = arena; /* qsort has no context argument; JS calls never overlap on one thread */
  qsort(ents, n, sizeof *ents, by_name);
  napi_value names, keys, ab, arr, out;
  void *data;
  napi_create_array_with_length(env, n, &names);
  napi_create_array_with_length(env, n, &keys);
  napi_create_arraybuffer(env, n * LSTATDIR_STRIDE * sizeof(double), &data, &ab);
  double *vals = data;
  for (size_t i = 0; i < n; i++) {
    const char *nm = arena + ents[i].name_at;
    const struct stat *st = &ents[i].st;
    size_t len = strlen(nm);
    napi_value name, key;
    if (is_utf8((const unsigned char *)nm, len)) napi_create_string_utf8(env, nm, len, &name);
    else napi_create_buffer_copy(env, len, nm, NULL, &name);
    __int128 mtime_ns = ts_ns(&st->st_mtim);
    char mtext[48], ctext[48];
    fmt_i128(mtext, mtime_ns);
    fmt_i128(ctext, ts_ns(&st->st_ctim));
    char text[200];
    int tl = snprintf(text, sizeof text, "%llu:%llu:%lld:%s:%s:%u", (unsigned long long)st->st_dev,
                      (unsigned long long)st->st_ino, (long long)st->st_size, mtext, ctext, (unsigned)st->st_mode);
    napi_create_string_latin1(env, text, tl, &key);
    napi_set_element(env, names, (uint32_t)i, name);
    napi_set_element(env, keys, (uint32_t)i, key);
    double *v = vals + i * LSTATDIR_STRIDE;
    v[0] = st->st_mode;
    v[1] = (double)st->st_size;
    v[2] = st->st_uid;
    v[3] = st->st_gid;
    v[4] = (double)(mtime_ns / 1000000); /* C division truncates toward zero, as BigInt's does */
  }
  free(ents);
  free(arena);
  napi_create_typedarray(env, napi_float64_array, n * LSTATDIR_STRIDE, ab, 0, &arr);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "names", names);
  napi_set_named_property(env, out, "keys", keys);
  napi_set_named_property(env, out, "info", arr);
  return out;
}

static void set_int(napi_env env, napi_value obj, const char *name, int v) {
  napi_value n;
  napi_create_int32(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_default, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"lremovexattr", NULL, js_lremovexattr, NULL, NULL, NULL, napi_default, NULL},
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_default, NULL},
    {"renameNoReplace", NULL, js_rename_noreplace, NULL, NULL, NULL, napi_default, NULL},
    {"flockSync", NULL, js_flock_sync, NULL, NULL, NULL, napi_default, NULL},
    {"flock", NULL, js_flock, NULL, NULL, NULL, napi_default, NULL},
    {"lstatDir", NULL, js_lstat_dir, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  set_int(env, exports, "LOCK_SH", LOCK_SH);
  set_int(env, exports, "LOCK_EX", LOCK_EX);
  set_int(env, exports, "LOCK_UN", LOCK_UN);
  set_int(env, exports, "LOCK_NB", LOCK_NB);
  set_int(env, exports, "XATTR_CREATE", XATTR_CREATE);
  set_int(env, exports, "XATTR_REPLACE", XATTR_REPLACE);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
