/* Argument conversion and error helpers shared by all functions of the addon. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Throws a generic error when a Node-API call failed without leaving an exception behind. */
static int napi_failed(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    const napi_extended_error_info *info = NULL;
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, NULL, info && info->error_message ? info->error_message : "Node-API call failed");
  }
  return -1;
}

napi_value throw_type_error(napi_env env, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "invalid argument: %s", what);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

int get_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return napi_failed(env);
  if (argc < count) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "too few arguments");
    return -1;
  }
  return 0;
}

int get_bytes(napi_env env, napi_value value, const char *what, const void **data, size_t *len) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok) return napi_failed(env);
  if (!is_typed) {
    throw_type_error(env, what);
    return -1;
  }
  if (napi_get_typedarray_info(env, value, &type, len, &ptr, NULL, NULL) != napi_ok) return napi_failed(env);
  if (type != napi_uint8_array) {
    throw_type_error(env, what);
    return -1;
  }
  *data = ptr;
  return 0;
}

int get_cstring(napi_env env, napi_value value, const char *what, cstring_arg *out) {
  const void *data = NULL;
  size_t len = 0;
  out->data = NULL;
  out->len = 0;
  if (get_bytes(env, value, what, &data, &len) != 0) return -1;
  /* An embedded NUL would silently truncate the name the kernel sees. */
  if (len > 0 && memchr(data, 0, len) != NULL) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must not contain NUL bytes", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return -1;
  }
  out->data = malloc(len + 1);
  if (out->data == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return -1;
  }
  if (len > 0) memcpy(out->data, data, len);
  out->data[len] = 0;
  out->len = len;
  return 0;
}

int get_int32(napi_env env, napi_value value, const char *what, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok) return napi_failed(env);
  if (t != napi_number) {
    throw_type_error(env, what);
    return -1;
  }
  return napi_get_value_int32(env, value, out) == napi_ok ? 0 : napi_failed(env);
}

int get_uint32(napi_env env, napi_value value, const char *what, uint32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok) return napi_failed(env);
  if (t != napi_number) {
    throw_type_error(env, what);
    return -1;
  }
  return napi_get_value_uint32(env, value, out) == napi_ok ? 0 : napi_failed(env);
}

/* Accepts a number or a bigint (stat results come as either). */
int get_int64(napi_env env, napi_value value, const char *what, int64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok) return napi_failed(env);
  if (t == napi_number) {
    return napi_get_value_int64(env, value, out) == napi_ok ? 0 : napi_failed(env);
  }
  if (t == napi_bigint) {
    bool lossless = false;
    if (napi_get_value_bigint_int64(env, value, out, &lossless) != napi_ok) return napi_failed(env);
    if (!lossless) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "value does not fit in 64 bits");
      return -1;
    }
    return 0;
  }
  throw_type_error(env, what);
  return -1;
}

int get_target(napi_env env, napi_value value, target_arg *out) {
  napi_valuetype t;
  out->fd = -1;
  out->path.data = NULL;
  out->path.len = 0;
  if (napi_typeof(env, value, &t) != napi_ok) return napi_failed(env);
  if (t == napi_number) return get_int32(env, value, "fd", &out->fd);
  return get_cstring(env, value, "path", &out->path);
}

void free_target(target_arg *t) {
  free(t->path.data);
  t->path.data = NULL;
}

napi_value throw_errno(napi_env env, int err, const char *syscall) {
  napi_value msg, error, errnum, sys;
  char text[200];
  snprintf(text, sizeof text, "%s, %s", strerror(err), syscall);
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_error(env, NULL, msg, &error) != napi_ok ||
      napi_create_int32(env, err, &errnum) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys) != napi_ok ||
      napi_set_named_property(env, error, "errno", errnum) != napi_ok ||
      napi_set_named_property(env, error, "syscall", sys) != napi_ok) {
    napi_failed(env);
    return NULL;
  }
  napi_throw(env, error);
  return NULL;
}

napi_value make_undefined(napi_env env) {
  napi_value v = NULL;
  napi_get_undefined(env, &v);
  return v;
}

napi_value make_null(napi_env env) {
  napi_value v = NULL;
  napi_get_null(env, &v);
  return v;
}

napi_value make_number(napi_env env, double value) {
  napi_value v = NULL;
  napi_create_double(env, value, &v);
  return v;
}

int set_function(napi_env env, napi_value obj, const char *name, napi_callback cb) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) != napi_ok) return napi_failed(env);
  return napi_set_named_property(env, obj, name, fn) == napi_ok ? 0 : napi_failed(env);
}

int set_constant(napi_env env, napi_value obj, const char *name, double value) {
  napi_value v;
  if (napi_create_double(env, value, &v) != napi_ok) return napi_failed(env);
  return napi_set_named_property(env, obj, name, v) == napi_ok ? 0 : napi_failed(env);
}
