/*
 * borg-ts platform addon: the few system calls node:fs lacks and a backup tool needs. Everything is
 * synchronous and thin; policy (borg's semantics, caching, error shaping) lives in src/platform/.
 */
#include "common.h"

static napi_value init(napi_env env, napi_value exports) {
  if (register_times(env, exports) != 0 || register_nodes(env, exports) != 0 ||
      register_xattr(env, exports) != 0 || register_flags(env, exports) != 0 ||
      register_users(env, exports) != 0 || register_sparse(env, exports) != 0 ||
      register_buzhash(env, exports) != 0 || register_fuse(env, exports) != 0 ||
      register_file_job(env, exports) != 0 ||
      register_crypto(env, exports) != 0)
    return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
