/*
 * Extended attributes. Paths use the l* calls (never follow a final symlink: borg archives the
 * link's own xattrs), numbers use the f* calls on an open descriptor.
 */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

static ssize_t call_list(const target_arg *t, char *buf, size_t size) {
  return t->path.data ? llistxattr(t->path.data, buf, size) : flistxattr(t->fd, buf, size);
}

static ssize_t call_get(const target_arg *t, const char *name, char *buf, size_t size) {
  return t->path.data ? lgetxattr(t->path.data, name, buf, size) : fgetxattr(t->fd, name, buf, size);
}

/*
 * Reads a list or a value whose size may change between calls: start with a buffer that fits
 * almost all values, and on ERANGE ask the kernel for the current size and retry.
 */
static char *read_growing(const target_arg *t, const char *name, ssize_t *out_len, int *out_err) {
  size_t cap = 4096;
  for (;;) {
    char *buf = malloc(cap);
    if (buf == NULL) {
      *out_err = ENOMEM;
      return NULL;
    }
    ssize_t n = name ? call_get(t, name, buf, cap) : call_list(t, buf, cap);
    if (n >= 0) {
      *out_len = n;
      return buf;
    }
    int err = errno;
    free(buf);
    if (err != ERANGE) {
      *out_err = err;
      return NULL;
    }
    ssize_t need = name ? call_get(t, name, NULL, 0) : call_list(t, NULL, 0);
    if (need < 0) {
      *out_err = errno;
      return NULL;
    }
    /* Grow at least twofold so that a value growing between the calls cannot loop forever. */
    cap = (size_t)need > cap * 2 ? (size_t)need : cap * 2;
  }
}

/* listxattr(target) -> Buffer[] of names (without the separating NULs) */
static napi_value js_listxattr(napi_env env, napi_callback_info info) {
  napi_value argv[1], result = NULL;
  target_arg t;
  ssize_t n = 0;
  int err = 0;
  if (get_args(env, info, 1, argv) != 0) return NULL;
  if (get_target(env, argv[0], &t) != 0) return NULL;
  char *buf = read_growing(&t, NULL, &n, &err);
  const char *sys = t.path.data ? "llistxattr" : "flistxattr";
  free_target(&t);
  if (buf == NULL) return throw_errno(env, err, sys);
  if (napi_create_array(env, &result) != napi_ok) goto done;
  uint32_t index = 0;
  for (ssize_t start = 0; start < n;) {
    const char *end = memchr(buf + start, 0, (size_t)(n - start));
    size_t len = end ? (size_t)(end - (buf + start)) : (size_t)(n - start);
    if (len > 0) {
      napi_value name;
      if (napi_create_buffer_copy(env, len, buf + start, NULL, &name) != napi_ok ||
          napi_set_element(env, result, index++, name) != napi_ok) {
        result = NULL;
        goto done;
      }
    }
    start += (ssize_t)len + 1;
  }
done:
  free(buf);
  return result;
}

/*
 * getxattr(target, name: Uint8Array, absentOk: boolean) -> Buffer, or null when absentOk and the
 * attribute does not exist or the file system has none: probing every file for an ACL must not
 * cost an exception each time.
 */
static napi_value js_getxattr(napi_env env, napi_callback_info info) {
  napi_value argv[3], result = NULL;
  target_arg t;
  cstring_arg name;
  ssize_t n = 0;
  int err = 0;
  bool absent_ok = false;
  if (get_args(env, info, 3, argv) != 0) return NULL;
  if (napi_get_value_bool(env, argv[2], &absent_ok) != napi_ok) return throw_type_error(env, "absentOk");
  if (get_cstring(env, argv[1], "name", &name) != 0) return NULL;
  if (get_target(env, argv[0], &t) != 0) {
    free(name.data);
    return NULL;
  }
  char *buf = read_growing(&t, name.data, &n, &err);
  const char *sys = t.path.data ? "lgetxattr" : "fgetxattr";
  free_target(&t);
  free(name.data);
  if (buf == NULL && absent_ok && (err == ENODATA || err == ENOTSUP)) return make_null(env);
  if (buf == NULL) return throw_errno(env, err, sys);
  if (napi_create_buffer_copy(env, (size_t)n, buf, NULL, &result) != napi_ok) result = NULL;
  free(buf);
  return result;
}

/* setxattr(target, name: Uint8Array, value: Uint8Array): creates or replaces. */
static napi_value js_setxattr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  target_arg t;
  cstring_arg name;
  const void *value = NULL;
  size_t len = 0;
  int rc;
  if (get_args(env, info, 3, argv) != 0) return NULL;
  if (get_bytes(env, argv[2], "value", &value, &len) != 0) return NULL;
  if (get_cstring(env, argv[1], "name", &name) != 0) return NULL;
  if (get_target(env, argv[0], &t) != 0) {
    free(name.data);
    return NULL;
  }
  if (t.path.data)
    rc = lsetxattr(t.path.data, name.data, value, len, 0);
  else
    rc = fsetxattr(t.fd, name.data, value, len, 0);
  int err = errno;
  const char *sys = t.path.data ? "lsetxattr" : "fsetxattr";
  free_target(&t);
  free(name.data);
  if (rc != 0) return throw_errno(env, err, sys);
  return make_undefined(env);
}

/* removexattr(target, name: Uint8Array) */
static napi_value js_removexattr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  target_arg t;
  cstring_arg name;
  int rc;
  if (get_args(env, info, 2, argv) != 0) return NULL;
  if (get_cstring(env, argv[1], "name", &name) != 0) return NULL;
  if (get_target(env, argv[0], &t) != 0) {
    free(name.data);
    return NULL;
  }
  rc = t.path.data ? lremovexattr(t.path.data, name.data) : fremovexattr(t.fd, name.data);
  int err = errno;
  const char *sys = t.path.data ? "lremovexattr" : "fremovexattr";
  free_target(&t);
  free(name.data);
  if (rc != 0) return throw_errno(env, err, sys);
  return make_undefined(env);
}

int register_xattr(napi_env env, napi_value exports) {
  if (set_function(env, exports, "listxattr", js_listxattr) != 0) return -1;
  if (set_function(env, exports, "getxattr", js_getxattr) != 0) return -1;
  if (set_function(env, exports, "setxattr", js_setxattr) != 0) return -1;
  return set_function(env, exports, "removexattr", js_removexattr);
}
