/* Nanosecond timestamps: node's fs.utimes takes float seconds and loses the last digits. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#define NS_PER_SEC 1000000000LL

/* bigint nanoseconds -> timespec; null/undefined leaves that time unchanged (UTIME_OMIT). */
static int get_timespec(napi_env env, napi_value value, const char *what, struct timespec *ts) {
  napi_valuetype t;
  int64_t ns;
  bool lossless = false;
  if (napi_typeof(env, value, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) {
    ts->tv_sec = 0;
    ts->tv_nsec = UTIME_OMIT;
    return 0;
  }
  if (t != napi_bigint) {
    throw_type_error(env, what);
    return -1;
  }
  if (napi_get_value_bigint_int64(env, value, &ns, &lossless) != napi_ok || !lossless) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "timestamp does not fit in 64 bits");
    return -1;
  }
  /* Floor division so that times before 1970 get a non-negative tv_nsec, as the kernel requires. */
  ts->tv_sec = (time_t)(ns / NS_PER_SEC);
  ts->tv_nsec = (long)(ns % NS_PER_SEC);
  if (ts->tv_nsec < 0) {
    ts->tv_nsec += NS_PER_SEC;
    ts->tv_sec -= 1;
  }
  return 0;
}

/* lutimesNs(path: Uint8Array, atimeNs: bigint|null, mtimeNs: bigint|null) */
static napi_value lutimes_ns(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  cstring_arg path;
  struct timespec ts[2];
  if (get_args(env, info, 3, argv) != 0) return NULL;
  if (get_timespec(env, argv[1], "atimeNs", &ts[0]) != 0) return NULL;
  if (get_timespec(env, argv[2], "mtimeNs", &ts[1]) != 0) return NULL;
  if (get_cstring(env, argv[0], "path", &path) != 0) return NULL;
  int rc = utimensat(AT_FDCWD, path.data, ts, AT_SYMLINK_NOFOLLOW);
  int err = errno;
  free(path.data);
  if (rc != 0) return throw_errno(env, err, "utimensat");
  return make_undefined(env);
}

/* futimesNs(fd: number, atimeNs: bigint|null, mtimeNs: bigint|null) */
static napi_value futimes_ns(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  struct timespec ts[2];
  if (get_args(env, info, 3, argv) != 0) return NULL;
  if (get_int32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (get_timespec(env, argv[1], "atimeNs", &ts[0]) != 0) return NULL;
  if (get_timespec(env, argv[2], "mtimeNs", &ts[1]) != 0) return NULL;
  if (futimens(fd, ts) != 0) return throw_errno(env, errno, "futimens");
  return make_undefined(env);
}

int register_times(napi_env env, napi_value exports) {
  if (set_function(env, exports, "lutimesNs", lutimes_ns) != 0) return -1;
  return set_function(env, exports, "futimesNs", futimes_ns);
}
