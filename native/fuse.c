/*
 * What a FUSE file system server needs beyond node:fs: opening /dev/fuse, mount(2) and umount2(2)
 * (as root), a socket pair plus receiving a descriptor over it (fusermount3's _FUSE_COMMFD
 * protocol, for everybody else), and pointing stdio at /dev/null when the server goes to the
 * background. The protocol itself is spoken in TypeScript over the descriptor.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

/* openFuseDevice() -> fd */
static napi_value js_open_fuse_device(napi_env env, napi_callback_info info) {
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open");
  return make_number(env, fd);
}

/* mount(source, target, fstype, flags, data) */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  cstring_arg source = {0}, target = {0}, fstype = {0}, data = {0};
  uint32_t flags;
  napi_value result = NULL;
  if (get_args(env, info, 5, argv) != 0) return NULL;
  if (get_cstring(env, argv[0], "source", &source) != 0 || get_cstring(env, argv[1], "target", &target) != 0 ||
      get_cstring(env, argv[2], "fstype", &fstype) != 0 || get_uint32(env, argv[3], "flags", &flags) != 0 ||
      get_cstring(env, argv[4], "data", &data) != 0)
    goto out;
  if (mount(source.data, target.data, fstype.data, flags, data.data) != 0) {
    throw_errno(env, errno, "mount");
    goto out;
  }
  result = make_undefined(env);
out:
  free(source.data);
  free(target.data);
  free(fstype.data);
  free(data.data);
  return result;
}

/* umount2(target, flags) */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  cstring_arg target;
  uint32_t flags;
  if (get_args(env, info, 2, argv) != 0) return NULL;
  if (get_uint32(env, argv[1], "flags", &flags) != 0) return NULL;
  if (get_cstring(env, argv[0], "target", &target) != 0) return NULL;
  int rc = umount2(target.data, (int)flags);
  int err = errno;
  free(target.data);
  if (rc != 0) return throw_errno(env, err, "umount2");
  return make_undefined(env);
}

/* socketpair() -> [fd, fd] (AF_UNIX stream sockets, close-on-exec; spawn's dup2 clears it) */
static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  int fds[2];
  napi_value array;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return throw_errno(env, errno, "socketpair");
  if (napi_create_array_with_length(env, 2, &array) != napi_ok ||
      napi_set_element(env, array, 0, make_number(env, fds[0])) != napi_ok ||
      napi_set_element(env, array, 1, make_number(env, fds[1])) != napi_ok) {
    close(fds[0]);
    close(fds[1]);
    return NULL;
  }
  return array;
}

/* receiveFd(socket) -> the descriptor sent with SCM_RIGHTS, or -1 when the peer sent none */
static napi_value js_receive_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t sock;
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = {0};
  if (get_args(env, info, 1, argv) != 0) return NULL;
  if (get_int32(env, argv[0], "socket", &sock) != 0) return NULL;
  memset(&control, 0, sizeof control);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "recvmsg");
  if (n == 0) return make_number(env, -1);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return make_number(env, fd);
    }
  }
  return make_number(env, -1);
}

/* redirectStdioToDevNull(): fds 0, 1 and 2 become /dev/null (a daemon must not hold the terminal or pipes) */
static napi_value js_redirect_stdio(napi_env env, napi_callback_info info) {
  int fd = open("/dev/null", O_RDWR);
  if (fd < 0) return throw_errno(env, errno, "open");
  for (int target = 0; target <= 2; target++) {
    if (fd != target && dup2(fd, target) < 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, err, "dup2");
    }
  }
  if (fd > 2) close(fd);
  return make_undefined(env);
}

int register_fuse(napi_env env, napi_value exports) {
  if (set_function(env, exports, "openFuseDevice", js_open_fuse_device) != 0) return -1;
  if (set_function(env, exports, "mount", js_mount) != 0) return -1;
  if (set_function(env, exports, "umount2", js_umount2) != 0) return -1;
  if (set_function(env, exports, "socketpair", js_socketpair) != 0) return -1;
  if (set_function(env, exports, "receiveFd", js_receive_fd) != 0) return -1;
  if (set_function(env, exports, "redirectStdioToDevNull", js_redirect_stdio) != 0) return -1;
  if (set_constant(env, exports, "MS_RDONLY", MS_RDONLY) != 0) return -1;
  if (set_constant(env, exports, "MS_NOSUID", MS_NOSUID) != 0) return -1;
  if (set_constant(env, exports, "MS_NODEV", MS_NODEV) != 0) return -1;
  return set_constant(env, exports, "MNT_DETACH", MNT_DETACH);
}
