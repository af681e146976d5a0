/* Linux inode flags (chattr/lsattr), which borg archives mapped to BSD flag values. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The ioctls need an open descriptor. O_NONBLOCK keeps fifos from blocking the open, O_NOFOLLOW
 * makes a symlink fail (ELOOP) instead of touching its target.
 */
static int open_target(const target_arg *t, int *opened) {
  *opened = 0;
  if (t->path.data == NULL) return t->fd;
  int fd = open(t->path.data, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) *opened = 1;
  return fd;
}

/* getFlags(target) -> number (FS_*_FL bits) */
static napi_value js_get_flags(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  target_arg t;
  int opened, flags = 0;
  if (get_args(env, info, 1, argv) != 0) return NULL;
  if (get_target(env, argv[0], &t) != 0) return NULL;
  int fd = open_target(&t, &opened);
  free_target(&t);
  if (fd < 0) return throw_errno(env, errno, "open");
  /* The kernel reads and writes an int here, although the ioctl is declared with long. */
  int rc = ioctl(fd, FS_IOC_GETFLAGS, &flags);
  int err = errno;
  if (opened) close(fd);
  if (rc != 0) return throw_errno(env, err, "ioctl");
  if (napi_create_uint32(env, (uint32_t)flags, &result) != napi_ok) return NULL;
  return result;
}

/*
 * The four flags borg archives (NODUMP, IMMUTABLE, APPEND, COMPR) share their bit values with
 * statx's attributes, so a file system that reports them there needs no open + ioctl + close per
 * file. Only for regular files and directories: opening a device could reach its driver.
 */
#define BORG_FLAGS (FS_NODUMP_FL | FS_IMMUTABLE_FL | FS_APPEND_FL | FS_COMPR_FL)
#if defined(STATX_ATTR_NODUMP) && STATX_ATTR_NODUMP == FS_NODUMP_FL && STATX_ATTR_IMMUTABLE == FS_IMMUTABLE_FL && \
    STATX_ATTR_APPEND == FS_APPEND_FL && STATX_ATTR_COMPRESSED == FS_COMPR_FL
static int flags_from_statx(const char *path, uint32_t *flags) {
  struct statx sx;
  if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx) != 0) return -1;
  if (!S_ISREG(sx.stx_mode) && !S_ISDIR(sx.stx_mode)) return -1;
  if ((sx.stx_attributes_mask & BORG_FLAGS) != BORG_FLAGS) return -1;
  *flags = (uint32_t)(sx.stx_attributes & BORG_FLAGS);
  return 0;
}
#else
static int flags_from_statx(const char *path, uint32_t *flags) {
  return -1;
}
#endif

/* getArchivedFlags(path) -> number: the FS_*_FL bits borg archives, from statx where it can tell. */
static napi_value js_get_archived_flags(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  target_arg t;
  uint32_t flags = 0;
  if (get_args(env, info, 1, argv) != 0) return NULL;
  if (get_target(env, argv[0], &t) != 0) return NULL;
  if (t.path.data != NULL && flags_from_statx(t.path.data, &flags) == 0) {
    free_target(&t);
    if (napi_create_uint32(env, flags, &result) != napi_ok) return NULL;
    return result;
  }
  int opened, value = 0;
  int fd = open_target(&t, &opened);
  free_target(&t);
  if (fd < 0) return throw_errno(env, errno, "open");
  int rc = ioctl(fd, FS_IOC_GETFLAGS, &value);
  int err = errno;
  if (opened) close(fd);
  if (rc != 0) return throw_errno(env, err, "ioctl");
  if (napi_create_uint32(env, (uint32_t)value & BORG_FLAGS, &result) != napi_ok) return NULL;
  return result;
}

/* setFlags(target, flags: number): sets all flags to exactly this value. */
static napi_value js_set_flags(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  target_arg t;
  uint32_t value;
  int opened;
  if (get_args(env, info, 2, argv) != 0) return NULL;
  if (get_uint32(env, argv[1], "flags", &value) != 0) return NULL;
  if (get_target(env, argv[0], &t) != 0) return NULL;
  int fd = open_target(&t, &opened);
  free_target(&t);
  if (fd < 0) return throw_errno(env, errno, "open");
  int flags = (int)value;
  int rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
  int err = errno;
  if (opened) close(fd);
  if (rc != 0) return throw_errno(env, err, "ioctl");
  return make_undefined(env);
}

int register_flags(napi_env env, napi_value exports) {
  if (set_function(env, exports, "getFlags", js_get_flags) != 0) return -1;
  if (set_function(env, exports, "getArchivedFlags", js_get_archived_flags) != 0) return -1;
  if (set_function(env, exports, "setFlags", js_set_flags) != 0) return -1;
  if (set_constant(env, exports, "FS_NODUMP_FL", FS_NODUMP_FL) != 0) return -1;
  if (set_constant(env, exports, "FS_IMMUTABLE_FL", FS_IMMUTABLE_FL) != 0) return -1;
  if (set_constant(env, exports, "FS_APPEND_FL", FS_APPEND_FL) != 0) return -1;
  return set_constant(env, exports, "FS_COMPR_FL", FS_COMPR_FL);
}
