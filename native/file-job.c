/*
 * Creating one small file: open (new, no symlink followed; whatever is in the way is removed first),
 * write all its bytes, owner, mode and ns times, close. writeNewFile does it as one job on libuv's
 * thread pool instead of a system call each on the JavaScript thread, so that extraction creates
 * files while it decrypts and reads what comes next; writeNewFileSync does it on the calling thread
 * (an extraction worker that has just opened the file's chunks).
 * The policy (which errors matter) is extraction's: chown and utimensat failures are ignored as borg
 * ignores them; open, write, chmod and close failures reject the promise (errno, syscall).
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_IOV 1024

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref buffers_ref; /* keeps the chunk buffers alive while the job runs */
  char *path;
  struct iovec *iov;
  uint32_t iov_count;
  int32_t mode;
  int64_t uid;
  int64_t gid;
  struct timespec times[2];
  int err;
  const char *syscall;
} file_job;

static int write_all(int fd, struct iovec *iov, uint32_t count) {
  off_t at = 0;
  uint32_t first = 0;
  while (first < count) {
    int n = (int)(count - first > MAX_IOV ? MAX_IOV : count - first);
    ssize_t written = pwritev(fd, iov + first, n, at);
    if (written < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    at += written;
    /* Skip what was written (a short write resumes inside a buffer). */
    while (first < count && (size_t)written >= iov[first].iov_len) {
      written -= (ssize_t)iov[first].iov_len;
      first++;
    }
    if (first < count && written > 0) {
      iov[first].iov_base = (char *)iov[first].iov_base + written;
      iov[first].iov_len -= (size_t)written;
    }
  }
  return 0;
}

#define NEW_FILE (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

static void create_file(file_job *job) {
  int fd = open(job->path, NEW_FILE, 0600);
  if (fd < 0 && errno == EEXIST) {
    /* Something is in the way: removed like extraction's clear() does (a directory only if it is
       empty); if that fails, the second open reports it. */
    struct stat st;
    if (lstat(job->path, &st) == 0) (void)(S_ISDIR(st.st_mode) ? rmdir(job->path) : unlink(job->path));
    fd = open(job->path, NEW_FILE, 0600);
  }
  if (fd < 0) {
    job->err = errno;
    job->syscall = "open";
    return;
  }
  if (write_all(fd, job->iov, job->iov_count) != 0) {
    job->err = errno;
    job->syscall = "write";
  } else {
    if (job->uid != -1 || job->gid != -1) (void)fchown(fd, (uid_t)job->uid, (gid_t)job->gid);
    if (fchmod(fd, (mode_t)job->mode) != 0) {
      job->err = errno;
      job->syscall = "fchmod";
    } else {
      (void)futimens(fd, job->times);
    }
  }
  if (close(fd) != 0 && job->err == 0) {
    job->err = errno;
    job->syscall = "close";
  }
}

static void free_job(file_job *job) {
  free(job->iov);
  free(job->path);
  free(job);
}

static void execute(napi_env env, void *data) {
  create_file(data);
}

/* An Error with the failed call's errno and syscall (native.ts gives it node:fs's shape). */
static napi_value job_error(napi_env env, const file_job *job) {
  napi_value result, msg, errnum, sys;
  char text[200];
  snprintf(text, sizeof text, "%s, %s", strerror(job->err), job->syscall);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &result);
  napi_create_int32(env, job->err, &errnum);
  napi_create_string_utf8(env, job->syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, result, "errno", errnum);
  napi_set_named_property(env, result, "syscall", sys);
  return result;
}

static void complete(napi_env env, napi_status status, void *data) {
  file_job *job = data;
  napi_value result = NULL;
  if (status != napi_ok && job->err == 0) {
    job->err = ECANCELED;
    job->syscall = "open";
  }
  if (job->err == 0) {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_reject_deferred(env, job->deferred, job_error(env, job));
  }
  napi_delete_reference(env, job->buffers_ref);
  napi_delete_async_work(env, job->work);
  free_job(job);
}

static int get_time(napi_env env, napi_value value, struct timespec *ts) {
  int64_t ns;
  bool lossless = false;
  if (napi_get_value_bigint_int64(env, value, &ns, &lossless) != napi_ok || !lossless) {
    throw_type_error(env, "times (bigint ns)");
    return -1;
  }
  ts->tv_sec = (time_t)(ns / 1000000000LL);
  ts->tv_nsec = (long)(ns % 1000000000LL);
  if (ts->tv_nsec < 0) {
    ts->tv_nsec += 1000000000LL;
    ts->tv_sec -= 1;
  }
  return 0;
}

/* Reads the seven arguments of writeNewFile(Sync) into a new job; NULL (exception pending) on failure. */
static file_job *parse_job(napi_env env, napi_value *argv) {
  cstring_arg path;
  uint32_t count = 0;
  file_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  if (get_int32(env, argv[2], "mode", &job->mode) != 0 || get_int64(env, argv[3], "uid", &job->uid) != 0 ||
      get_int64(env, argv[4], "gid", &job->gid) != 0 || get_time(env, argv[5], &job->times[0]) != 0 ||
      get_time(env, argv[6], &job->times[1]) != 0) {
    free(job);
    return NULL;
  }
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) {
    free(job);
    throw_type_error(env, "buffers");
    return NULL;
  }
  job->iov = calloc(count > 0 ? count : 1, sizeof *job->iov);
  if (job->iov == NULL) {
    free(job);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    const void *data = NULL;
    size_t len = 0;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok || get_bytes(env, element, "buffer", &data, &len) != 0) {
      free(job->iov);
      free(job);
      return NULL;
    }
    job->iov[i].iov_base = (void *)data;
    job->iov[i].iov_len = len;
  }
  job->iov_count = count;
  if (get_cstring(env, argv[0], "path", &path) != 0) {
    free(job->iov);
    free(job);
    return NULL;
  }
  job->path = path.data;
  return job;
}

/*
 * writeNewFile(path: Uint8Array, buffers: Uint8Array[], mode: number, uid: number, gid: number,
 *              atimeNs: bigint, mtimeNs: bigint): Promise<void>   (uid/gid -1: leave as is)
 */
static napi_value write_new_file(napi_env env, napi_callback_info info) {
  napi_value argv[7], promise, name;
  if (get_args(env, info, 7, argv) != 0) return NULL;
  file_job *job = parse_job(env, argv);
  if (job == NULL) return NULL;
  if (napi_create_reference(env, argv[1], 1, &job->buffers_ref) != napi_ok ||
      napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "borgts.writeNewFile", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    napi_throw_error(env, NULL, "cannot queue a file job");
    return NULL;
  }
  return promise;
}

/* writeNewFileSync(same arguments): undefined; throws the failed call's error. */
static napi_value write_new_file_sync(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (get_args(env, info, 7, argv) != 0) return NULL;
  file_job *job = parse_job(env, argv);
  if (job == NULL) return NULL;
  create_file(job);
  if (job->err != 0) napi_throw(env, job_error(env, job));
  free_job(job);
  return NULL;
}

int register_file_job(napi_env env, napi_value exports) {
  return set_function(env, exports, "writeNewFile", write_new_file) != 0 ? -1
       : set_function(env, exports, "writeNewFileSync", write_new_file_sync);
}
