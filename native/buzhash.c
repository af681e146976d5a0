/*
 * The buzhash cut-point scan (spec §4.3) in C: the one per-byte loop of a backup that JavaScript
 * runs at a third of C's speed. The tables and all policy stay in src/chunker/; this only loops.
 */
#include "common.h"
#include <string.h>

/* buzhashScan(buf, p, stop, hash, tables (Int32Array[512]: add then drop), mask, windowSize, out
 * (Int32Array[1]: receives the hash at the returned position)) -> the first p' in [p, stop) whose
 * window hash has no mask bit set, or stop. */
static napi_value js_buzhash_scan(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  const void *buf_data, *tables_data, *out_data;
  size_t buf_len, tables_len, out_len;
  uint32_t p, stop, mask, window;
  int32_t hash;
  if (get_args(env, info, 8, argv) != 0) return NULL;
  if (get_bytes(env, argv[0], "buf", &buf_data, &buf_len) != 0) return NULL;
  if (get_uint32(env, argv[1], "p", &p) != 0) return NULL;
  if (get_uint32(env, argv[2], "stop", &stop) != 0) return NULL;
  if (get_int32(env, argv[3], "hash", &hash) != 0) return NULL;
  if (get_bytes(env, argv[4], "tables", &tables_data, &tables_len) != 0) return NULL;
  if (get_uint32(env, argv[5], "mask", &mask) != 0) return NULL;
  if (get_uint32(env, argv[6], "windowSize", &window) != 0) return NULL;
  if (get_bytes(env, argv[7], "out", &out_data, &out_len) != 0) return NULL;
  if (tables_len < 512 * sizeof(int32_t) || out_len < sizeof(int32_t)) return throw_type_error(env, "tables or out too small");
  /* The scan reads buf[stop + window - 1] at most; refuse anything that could read past the end. */
  if (stop < p || (uint64_t)stop + window > buf_len) return throw_type_error(env, "scan range outside the buffer");
  const uint8_t *b = (const uint8_t *)buf_data;
  const uint32_t *add = (const uint32_t *)tables_data;
  const uint32_t *drop = add + 256;
  uint32_t h = (uint32_t)hash;
  /* The hash of a window of zeros: add[0] rotated by 0..window-1, XORed (equal rotations cancel in
     pairs). Inside a run of zeros the hash stays at this value, so once it is known not to cut, the
     scan skips to the window that takes in the next non-zero byte. Comparing with it costs the hot
     loop one predictable branch; a match that is not really a zero window is merely checked. */
  uint32_t zero_hash = 0;
  for (uint32_t r = 0; r < 32 && r < window; r++) {
    if ((((window - 1 - r) / 32 + 1) & 1) == 0) continue;
    zero_hash ^= r ? (add[0] << r) | (add[0] >> (32 - r)) : add[0];
  }
  while (p < stop && (h & mask) != 0) {
    h = ((h << 1) | (h >> 31)) ^ drop[b[p]] ^ add[b[p + window]];
    p++;
    if (h == zero_hash && (h & mask) != 0) {
      size_t q = p, end = (size_t)stop + window;
      while (q + 8 <= (size_t)p + window) {
        uint64_t word;
        memcpy(&word, b + q, 8);
        if (word != 0) break;
        q += 8;
      }
      while (q < (size_t)p + window && b[q] == 0) q++;
      if (q < (size_t)p + window) continue; /* not a window of zeros after all */
      while (q + 8 <= end) {
        uint64_t word;
        memcpy(&word, b + q, 8);
        if (word != 0) break;
        q += 8;
      }
      while (q < end && b[q] == 0) q++;
      p = (uint32_t)(q - window < stop ? q - window : stop);
    }
  }
  *(int32_t *)out_data = (int32_t)h;
  return make_number(env, p);
}

int register_buzhash(napi_env env, napi_value exports) {
  return set_function(env, exports, "buzhashScan", js_buzhash_scan);
}
