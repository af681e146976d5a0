/* Shared helpers of the borg-ts platform addon: argument conversion and errno errors. */
#ifndef BORGTS_COMMON_H
#define BORGTS_COMMON_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* A path or name argument: a NUL-terminated copy of a Uint8Array (see get_cstring). */
typedef struct {
  char *data;
  size_t len;
} cstring_arg;

/* Either a path (lstat-like, never following a final symlink) or an open file descriptor. */
typedef struct {
  int fd;           /* valid when path.data is NULL */
  cstring_arg path;
} target_arg;

/*
 * All getters return 0 on success, or -1 with a JavaScript exception pending; callers then return
 * NULL so that Node-API rethrows it.
 */
int get_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv);
int get_cstring(napi_env env, napi_value value, const char *what, cstring_arg *out);
int get_bytes(napi_env env, napi_value value, const char *what, const void **data, size_t *len);
int get_int32(napi_env env, napi_value value, const char *what, int32_t *out);
int get_uint32(napi_env env, napi_value value, const char *what, uint32_t *out);
int get_int64(napi_env env, napi_value value, const char *what, int64_t *out);
int get_target(napi_env env, napi_value value, target_arg *out);
void free_target(target_arg *t);

/*
 * Throws an Error carrying the positive errno in `errno` and the failed call in `syscall`; the
 * TypeScript wrapper turns it into the same shape as node:fs errors (code, negative errno, path).
 */
napi_value throw_errno(napi_env env, int err, const char *syscall);
napi_value throw_type_error(napi_env env, const char *what);

napi_value make_undefined(napi_env env);
napi_value make_null(napi_env env);
napi_value make_number(napi_env env, double value);

/* Each source file adds its functions and constants to the exports object. */
int register_times(napi_env env, napi_value exports);
int register_nodes(napi_env env, napi_value exports);
int register_xattr(napi_env env, napi_value exports);
int register_flags(napi_env env, napi_value exports);
int register_users(napi_env env, napi_value exports);
int register_sparse(napi_env env, napi_value exports);
int register_buzhash(napi_env env, napi_value exports);
int register_fuse(napi_env env, napi_value exports);
int register_file_job(napi_env env, napi_value exports);
int register_crypto(napi_env env, napi_value exports);
int register_dir_scan(napi_env env, napi_value exports);

int set_function(napi_env env, napi_value obj, const char *name, napi_callback cb);
int set_constant(napi_env env, napi_value obj, const char *name, double value);

#endif
