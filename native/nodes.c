/* Special files: node:fs can create neither device nodes nor fifos. */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>

/* mknod(path: Uint8Array, mode: number, rdev: number|bigint); mode includes the S_IF* type bits. */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  cstring_arg path;
  uint32_t mode;
  int64_t rdev;
  if (get_args(env, info, 3, argv) != 0) return NULL;
  if (get_uint32(env, argv[1], "mode", &mode) != 0) return NULL;
  if (get_int64(env, argv[2], "rdev", &rdev) != 0) return NULL;
  if (get_cstring(env, argv[0], "path", &path) != 0) return NULL;
  int rc = mknod(path.data, (mode_t)mode, (dev_t)rdev);
  int err = errno;
  free(path.data);
  if (rc != 0) return throw_errno(env, err, "mknod");
  return make_undefined(env);
}

/* mkfifo(path: Uint8Array, mode: number) */
static napi_value js_mkfifo(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  cstring_arg path;
  uint32_t mode;
  if (get_args(env, info, 2, argv) != 0) return NULL;
  if (get_uint32(env, argv[1], "mode", &mode) != 0) return NULL;
  if (get_cstring(env, argv[0], "path", &path) != 0) return NULL;
  int rc = mkfifo(path.data, (mode_t)mode);
  int err = errno;
  free(path.data);
  if (rc != 0) return throw_errno(env, err, "mkfifo");
  return make_undefined(env);
}

int register_nodes(napi_env env, napi_value exports) {
  if (set_function(env, exports, "mknod", js_mknod) != 0) return -1;
  return set_function(env, exports, "mkfifo", js_mkfifo);
}
