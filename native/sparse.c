/* Sparse files (holes via SEEK_DATA/SEEK_HOLE) and page cache advice. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static napi_value seek(napi_env env, napi_callback_info info, int whence) {
  napi_value argv[2];
  int32_t fd;
  int64_t offset;
  if (get_args(env, info, 2, argv) != 0) return NULL;
  if (get_int32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (get_int64(env, argv[1], "offset", &offset) != 0) return NULL;
  off_t pos = lseek(fd, (off_t)offset, whence);
  if (pos < 0) {
    /* ENXIO: no data (or hole) at or after offset, i.e. offset is at or past the end. */
    if (errno == ENXIO) return make_number(env, -1);
    return throw_errno(env, errno, "lseek");
  }
  return make_number(env, (double)pos);
}

/* seekData(fd, offset) / seekHole(fd, offset) -> offset, or -1 at the end of the file */
static napi_value js_seek_data(napi_env env, napi_callback_info info) { return seek(env, info, SEEK_DATA); }
static napi_value js_seek_hole(napi_env env, napi_callback_info info) { return seek(env, info, SEEK_HOLE); }

/* posixFadvise(fd, offset, len, advice) */
static napi_value js_posix_fadvise(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, advice;
  int64_t offset, len;
  if (get_args(env, info, 4, argv) != 0) return NULL;
  if (get_int32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (get_int64(env, argv[1], "offset", &offset) != 0) return NULL;
  if (get_int64(env, argv[2], "len", &len) != 0) return NULL;
  if (get_int32(env, argv[3], "advice", &advice) != 0) return NULL;
  /* posix_fadvise returns the error number instead of setting errno. */
  int rc = posix_fadvise(fd, (off_t)offset, (off_t)len, advice);
  if (rc != 0) return throw_errno(env, rc, "posix_fadvise");
  return make_undefined(env);
}

int register_sparse(napi_env env, napi_value exports) {
  if (set_function(env, exports, "seekData", js_seek_data) != 0) return -1;
  if (set_function(env, exports, "seekHole", js_seek_hole) != 0) return -1;
  if (set_function(env, exports, "posixFadvise", js_posix_fadvise) != 0) return -1;
  /* The advice values differ between architectures (s390x), so take them from the headers. */
  if (set_constant(env, exports, "POSIX_FADV_NORMAL", POSIX_FADV_NORMAL) != 0) return -1;
  if (set_constant(env, exports, "POSIX_FADV_SEQUENTIAL", POSIX_FADV_SEQUENTIAL) != 0) return -1;
  if (set_constant(env, exports, "POSIX_FADV_RANDOM", POSIX_FADV_RANDOM) != 0) return -1;
  if (set_constant(env, exports, "POSIX_FADV_NOREUSE", POSIX_FADV_NOREUSE) != 0) return -1;
  if (set_constant(env, exports, "POSIX_FADV_WILLNEED", POSIX_FADV_WILLNEED) != 0) return -1;
  return set_constant(env, exports, "POSIX_FADV_DONTNEED", POSIX_FADV_DONTNEED);
}
