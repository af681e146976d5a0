/* User and group database lookups with the reentrant calls (NSS may be slow; callers cache). */
#include "common.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* The database may hold very long entries (big groups): grow the buffer up to this size. */
#define MAX_BUFFER (64 * 1024 * 1024)

static size_t initial_size(int which) {
  long size = sysconf(which);
  return size > 0 ? (size_t)size : 1024;
}

/* Not-found is reported as 0 by glibc, but POSIX allows these codes for it too. */
static int is_not_found(int rc) {
  return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM;
}

/*
 * One lookup with a growing buffer. kind: 0 = by uid, 1 = by gid, 2 = by user name, 3 = by group
 * name. Returns the JS value (string name, number id or null), or NULL with an exception pending.
 */
static napi_value lookup(napi_env env, int kind, uint32_t id, const char *name) {
  size_t size = initial_size(kind == 0 || kind == 2 ? _SC_GETPW_R_SIZE_MAX : _SC_GETGR_R_SIZE_MAX);
  for (;;) {
    struct passwd pw, *pw_result = NULL;
    struct group gr, *gr_result = NULL;
    napi_value value = NULL;
    char *buf = malloc(size);
    if (buf == NULL) return throw_errno(env, ENOMEM, "malloc");
    int rc;
    switch (kind) {
      case 0: rc = getpwuid_r((uid_t)id, &pw, buf, size, &pw_result); break;
      case 1: rc = getgrgid_r((gid_t)id, &gr, buf, size, &gr_result); break;
      case 2: rc = getpwnam_r(name, &pw, buf, size, &pw_result); break;
      default: rc = getgrnam_r(name, &gr, buf, size, &gr_result); break;
    }
    if (rc == ERANGE && size < MAX_BUFFER) {
      free(buf);
      size *= 2;
      continue;
    }
    if (pw_result != NULL) {
      if (kind == 0)
        napi_create_string_utf8(env, pw_result->pw_name, NAPI_AUTO_LENGTH, &value);
      else
        napi_create_uint32(env, pw_result->pw_uid, &value);
    } else if (gr_result != NULL) {
      if (kind == 1)
        napi_create_string_utf8(env, gr_result->gr_name, NAPI_AUTO_LENGTH, &value);
      else
        napi_create_uint32(env, gr_result->gr_gid, &value);
    } else if (is_not_found(rc)) {
      value = make_null(env);
    } else {
      free(buf);
      static const char *const calls[] = {"getpwuid_r", "getgrgid_r", "getpwnam_r", "getgrnam_r"};
      return throw_errno(env, rc, calls[kind]);
    }
    free(buf);
    return value;
  }
}

static napi_value by_id(napi_env env, napi_callback_info info, int kind) {
  napi_value argv[1];
  uint32_t id;
  if (get_args(env, info, 1, argv) != 0) return NULL;
  if (get_uint32(env, argv[0], kind == 0 ? "uid" : "gid", &id) != 0) return NULL;
  return lookup(env, kind, id, NULL);
}

static napi_value by_name(napi_env env, napi_callback_info info, int kind) {
  napi_value argv[1];
  cstring_arg name;
  if (get_args(env, info, 1, argv) != 0) return NULL;
  if (get_cstring(env, argv[0], "name", &name) != 0) return NULL;
  napi_value result = lookup(env, kind, 0, name.data);
  free(name.data);
  return result;
}

static napi_value js_getpwuid(napi_env env, napi_callback_info info) { return by_id(env, info, 0); }
static napi_value js_getgrgid(napi_env env, napi_callback_info info) { return by_id(env, info, 1); }
static napi_value js_getpwnam(napi_env env, napi_callback_info info) { return by_name(env, info, 2); }
static napi_value js_getgrnam(napi_env env, napi_callback_info info) { return by_name(env, info, 3); }

int register_users(napi_env env, napi_value exports) {
  if (set_function(env, exports, "getpwuid", js_getpwuid) != 0) return -1;
  if (set_function(env, exports, "getgrgid", js_getgrgid) != 0) return -1;
  if (set_function(env, exports, "getpwnam", js_getpwnam) != 0) return -1;
  return set_function(env, exports, "getgrnam", js_getgrnam);
}
