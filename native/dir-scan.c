/*
 * scanDir: one directory's names and per-entry metadata, read on libuv's thread pool, so that the
 * backup walk (which runs on the main thread) does no system call per entry. One statx per entry
 * gives both the lstat fields and, for regular files and directories, the inode flags borg
 * archives; one llistxattr tells whether the entry has any xattr (or ACL) at all. Anything this
 * cannot settle (a failed statx, flags only an ioctl can read, xattrs present, listing errors) is
 * marked unknown and left to the caller's usual system calls, which report errors as before.
 *
 * Result: a Buffer, little-endian: u32 count, then `count` records of RECORD_SIZE bytes, then the
 * names. Record layout (offsets in bytes):
 *   0 u32 name offset   4 u32 name length   8 i32 statx errno (0: fields valid)
 *  12 u32 mode         16 u32 uid          20 u32 gid          24 u32 nlink
 *  28 u32 bits (1: flags known, 2: no xattrs, 4: times fit in i64 ns)   32 u32 flags (FS_*_FL)
 *  40 u64 dev          48 u64 ino          56 u64 size         64 u64 rdev
 *  72 i64 atime ns     80 i64 mtime ns     88 i64 ctime ns
 */
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define RECORD_SIZE 96
#define BIT_FLAGS 1u
#define BIT_NO_XATTRS 2u
#define BIT_TIMES 4u

#define BORG_FLAGS (FS_NODUMP_FL | FS_IMMUTABLE_FL | FS_APPEND_FL | FS_COMPR_FL)
#if defined(STATX_ATTR_NODUMP) && STATX_ATTR_NODUMP == FS_NODUMP_FL && STATX_ATTR_IMMUTABLE == FS_IMMUTABLE_FL && \
    STATX_ATTR_APPEND == FS_APPEND_FL && STATX_ATTR_COMPRESSED == FS_COMPR_FL
#define HAVE_STATX_FLAGS 1
#else
#define HAVE_STATX_FLAGS 0
#endif

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  bool want_flags;
  bool want_xattrs;
  /* Output, built on the worker thread. */
  unsigned char *out;
  size_t out_len;
  int err;
  const char *syscall;
} scan_job;

/* A growable byte buffer for the names. */
typedef struct {
  char *data;
  size_t len, cap;
} names_buf;

static int names_add(names_buf *b, const char *s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n) cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) return -1;
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  return 0;
}

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

/* sec * 1e9 + nsec as i64, or -1 when it does not fit. */
static int time_ns(const struct statx_timestamp *t, int64_t *out) {
  int64_t ns;
  if (__builtin_mul_overflow((int64_t)t->tv_sec, (int64_t)1000000000, &ns)) return -1;
  if (__builtin_add_overflow(ns, (int64_t)t->tv_nsec, &ns)) return -1;
  *out = ns;
  return 0;
}

static void fill_record(unsigned char *rec, int dfd, const char *name, const scan_job *job) {
  struct statx sx;
  memset(rec + 8, 0, RECORD_SIZE - 8);
  if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) != 0) {
    put_u32(rec + 8, (uint32_t)errno);
    return;
  }
  uint32_t bits = 0;
  put_u32(rec + 12, sx.stx_mode);
  put_u32(rec + 16, sx.stx_uid);
  put_u32(rec + 20, sx.stx_gid);
  put_u32(rec + 24, sx.stx_nlink);
  put_u64(rec + 40, (uint64_t)makedev(sx.stx_dev_major, sx.stx_dev_minor));
  put_u64(rec + 48, sx.stx_ino);
  put_u64(rec + 56, sx.stx_size);
  put_u64(rec + 64, (uint64_t)makedev(sx.stx_rdev_major, sx.stx_rdev_minor));
  int64_t a, m, c;
  if (time_ns(&sx.stx_atime, &a) == 0 && time_ns(&sx.stx_mtime, &m) == 0 && time_ns(&sx.stx_ctime, &c) == 0) {
    put_u64(rec + 72, (uint64_t)a);
    put_u64(rec + 80, (uint64_t)m);
    put_u64(rec + 88, (uint64_t)c);
    bits |= BIT_TIMES;
  }
#if HAVE_STATX_FLAGS
  /* As getArchivedFlags: statx's attributes only for regular files and directories. */
  if (job->want_flags && (S_ISREG(sx.stx_mode) || S_ISDIR(sx.stx_mode)) &&
      (sx.stx_attributes_mask & BORG_FLAGS) == BORG_FLAGS) {
    put_u32(rec + 32, (uint32_t)(sx.stx_attributes & BORG_FLAGS));
    bits |= BIT_FLAGS;
  }
#endif
  if (job->want_xattrs) {
    /* llistxattr needs a path; /proc/self/fd/N/name would cost more than building it. */
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", job->path, name);
    if (n > 0 && (size_t)n < sizeof path) {
      ssize_t size = llistxattr(path, NULL, 0);
      if (size == 0 || (size < 0 && errno == ENOTSUP)) bits |= BIT_NO_XATTRS;
    }
  }
  put_u32(rec + 28, bits);
}

static void execute(napi_env env, void *data) {
  scan_job *job = data;
  DIR *dir = opendir(job->path);
  if (dir == NULL) {
    job->err = errno;
    job->syscall = "opendir";
    return;
  }
  int dfd = dirfd(dir);
  names_buf names = {0};
  unsigned char *recs = NULL;
  size_t count = 0, cap = 0;
  for (;;) {
    errno = 0;
    struct dirent *d = readdir(dir);
    if (d == NULL) {
      if (errno != 0) {
        job->err = errno;
        job->syscall = "readdir";
      }
      break;
    }
    if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) continue;
    if (count == cap) {
      cap = cap ? cap * 2 : 64;
      unsigned char *p = realloc(recs, cap * RECORD_SIZE);
      if (p == NULL) {
        job->err = ENOMEM;
        job->syscall = "readdir";
        break;
      }
      recs = p;
    }
    size_t len = strlen(d->d_name);
    unsigned char *rec = recs + count * RECORD_SIZE;
    put_u32(rec, (uint32_t)names.len);
    put_u32(rec + 4, (uint32_t)len);
    if (names_add(&names, d->d_name, len) != 0) {
      job->err = ENOMEM;
      job->syscall = "readdir";
      break;
    }
    count++;
  }
  if (job->err == 0) {
    /* Metadata after the listing, as the JS walk did (readdir first, then lstat each name). */
    for (size_t i = 0; i < count; i++) {
      unsigned char *rec = recs + i * RECORD_SIZE;
      uint32_t off, len;
      memcpy(&off, rec, 4);
      memcpy(&len, rec + 4, 4);
      char name[NAME_MAX + 1];
      memcpy(name, names.data + off, len);
      name[len] = '\0';
      fill_record(rec, dfd, name, job);
    }
    size_t head = 4 + count * RECORD_SIZE;
    job->out_len = head + names.len;
    job->out = malloc(job->out_len > 0 ? job->out_len : 1);
    if (job->out == NULL) {
      job->err = ENOMEM;
      job->syscall = "readdir";
    } else {
      put_u32(job->out, (uint32_t)count);
      if (count > 0) memcpy(job->out + 4, recs, count * RECORD_SIZE);
      if (names.len > 0) memcpy(job->out + head, names.data, names.len);
    }
  }
  free(recs);
  free(names.data);
  closedir(dir);
}

static void free_out(napi_env env, void *data, void *hint) { free(data); }

static void complete(napi_env env, napi_status status, void *data) {
  scan_job *job = data;
  napi_value result;
  if (job->err == 0 && status == napi_ok) {
    if (napi_create_external_buffer(env, job->out_len, job->out, free_out, NULL, &result) != napi_ok) {
      free(job->out);
      napi_get_undefined(env, &result);
    }
    job->out = NULL;
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    int err = job->err != 0 ? job->err : ECANCELED;
    const char *syscall = job->syscall != NULL ? job->syscall : "opendir";
    napi_value msg, errnum, sys;
    char text[200];
    snprintf(text, sizeof text, "%s, %s", strerror(err), syscall);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &result);
    napi_create_int32(env, err, &errnum);
    napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
    napi_set_named_property(env, result, "errno", errnum);
    napi_set_named_property(env, result, "syscall", sys);
    napi_reject_deferred(env, job->deferred, result);
    free(job->out);
  }
  napi_delete_async_work(env, job->work);
  free(job->path);
  free(job);
}

/* scanDir(path: Uint8Array, wantFlags: boolean, wantXattrs: boolean): Promise<Buffer> */
static napi_value scan_dir(napi_env env, napi_callback_info info) {
  napi_value argv[3], promise, name;
  cstring_arg path;
  bool want_flags = false, want_xattrs = false;
  if (get_args(env, info, 3, argv) != 0) return NULL;
  if (napi_get_value_bool(env, argv[1], &want_flags) != napi_ok || napi_get_value_bool(env, argv[2], &want_xattrs) != napi_ok)
    return throw_type_error(env, "wantFlags/wantXattrs");
  if (get_cstring(env, argv[0], "path", &path) != 0) return NULL;
  scan_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    free(path.data);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->path = path.data;
  job->want_flags = want_flags;
  job->want_xattrs = want_xattrs;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "borgts.scanDir", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    free(job->path);
    free(job);
    napi_throw_error(env, NULL, "cannot queue a directory scan");
    return NULL;
  }
  return promise;
}

int register_dir_scan(napi_env env, napi_value exports) {
  return set_function(env, exports, "scanDir", scan_dir) || set_constant(env, exports, "SCAN_RECORD_SIZE", RECORD_SIZE);
}
