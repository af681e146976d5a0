/*
 * borg's AES-256-CTR + HMAC-SHA256 envelope and HMAC-SHA256 ids, on the OpenSSL inside Node.
 *
 * Why: node:crypto builds a new Hmac or Cipher object for every call, which costs more than hashing
 * a small file's chunk; a backup of many small files makes three of them per chunk. Here each thread
 * keeps one context per kind and re-keys it only when the key changes, and the envelope is encrypted
 * straight into its final buffer. The symbols come from the node binary (OpenSSL 3 as Node ships
 * it); without its headers the functions are left out and src/crypto/ keeps using node:crypto.
 */
#include "common.h"
#include <string.h>

#if defined(__has_include)
#if __has_include(<openssl/evp.h>) && __has_include(<openssl/core_names.h>)
#define BORGTS_HAVE_OPENSSL 1
#endif
#endif

#ifdef BORGTS_HAVE_OPENSSL
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>

#define MAC_SIZE 32
#define ENVELOPE_HEADER 41 /* type(1) + mac(32) + iv(8) */
#define IV_OFFSET 33

static EVP_MAC *hmac_algorithm;
static EVP_CIPHER *aes_ctr;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void) {
  hmac_algorithm = EVP_MAC_fetch(NULL, "HMAC", NULL);
  aes_ctr = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
}

/* Per thread (workers call in parallel): the context and the key it holds. */
typedef struct {
  EVP_MAC_CTX *ctx;
  unsigned char key[64];
  size_t key_len;
} keyed_mac;

static __thread keyed_mac id_mac, envelope_mac;
static __thread EVP_CIPHER_CTX *cipher_ctx;

/* Starts an HMAC-SHA256 over `key`, re-keying only when it differs from the last one. */
static int mac_start(keyed_mac *m, const unsigned char *key, size_t key_len) {
  pthread_once(&fetch_once, fetch_algorithms);
  if (hmac_algorithm == NULL || key_len > sizeof m->key) return -1;
  if (m->ctx == NULL) {
    m->ctx = EVP_MAC_CTX_new(hmac_algorithm);
    if (m->ctx == NULL) return -1;
    m->key_len = (size_t)-1;
  }
  if (m->key_len == key_len && CRYPTO_memcmp(m->key, key, key_len) == 0) return EVP_MAC_init(m->ctx, NULL, 0, NULL) == 1 ? 0 : -1;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(m->ctx, key, key_len, params) != 1) {
    m->key_len = (size_t)-1;
    return -1;
  }
  memcpy(m->key, key, key_len);
  m->key_len = key_len;
  return 0;
}

static int mac_compute(keyed_mac *m, const unsigned char *key, size_t key_len, const unsigned char *data, size_t len, unsigned char *out) {
  size_t out_len = 0;
  if (mac_start(m, key, key_len) != 0) return -1;
  if (EVP_MAC_update(m->ctx, data, len) != 1) return -1;
  if (EVP_MAC_final(m->ctx, out, &out_len, MAC_SIZE) != 1 || out_len != MAC_SIZE) return -1;
  return 0;
}

/* AES-256-CTR of `len` bytes at counter block 0^64 || iv (big endian), from `in` into `out`. */
static int ctr_crypt(const unsigned char *key, uint64_t iv, const unsigned char *in, size_t len, unsigned char *out) {
  pthread_once(&fetch_once, fetch_algorithms);
  if (aes_ctr == NULL) return -1;
  if (cipher_ctx == NULL && (cipher_ctx = EVP_CIPHER_CTX_new()) == NULL) return -1;
  unsigned char block[16] = {0};
  for (int i = 0; i < 8; i++) block[15 - i] = (unsigned char)(iv >> (8 * i));
  if (EVP_EncryptInit_ex(cipher_ctx, aes_ctr, NULL, key, block) != 1) return -1;
  /* EVP takes int lengths: objects are at most 20 MiB, but stay correct for any size. */
  while (len > 0) {
    int step = len > (1u << 30) ? (1 << 30) : (int)len, done = 0;
    if (EVP_EncryptUpdate(cipher_ctx, out, &done, in, step) != 1 || done != step) return -1;
    in += step;
    out += step;
    len -= (size_t)step;
  }
  return 0;
}

static napi_value crypto_failed(napi_env env) {
  return throw_type_error(env, "OpenSSL operation failed");
}

/* hmacSha256(key, data) -> Buffer(32) */
static napi_value js_hmac_sha256(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  const void *key, *data;
  size_t key_len, len;
  void *out;
  if (get_args(env, info, 2, argv) != 0) return NULL;
  if (get_bytes(env, argv[0], "key", &key, &key_len) != 0 || get_bytes(env, argv[1], "data", &data, &len) != 0) return NULL;
  if (napi_create_buffer(env, MAC_SIZE, &out, &result) != napi_ok) return NULL;
  if (mac_compute(&id_mac, key, key_len, data, len, out) != 0) return crypto_failed(env);
  return result;
}

static int get_iv(napi_env env, napi_value value, uint64_t *iv) {
  bool lossless = false;
  if (napi_get_value_bigint_uint64(env, value, iv, &lossless) != napi_ok || !lossless) {
    throw_type_error(env, "iv must be a bigint that fits in 64 bits");
    return -1;
  }
  return 0;
}

/* sealAesHmac(encKey, macKey, typeByte, payload, iv) -> envelope: type || mac || iv || ciphertext */
static napi_value js_seal(napi_env env, napi_callback_info info) {
  napi_value argv[5], result;
  const void *enc_key, *mac_key, *payload;
  size_t enc_len, mac_len, len;
  uint32_t type;
  uint64_t iv;
  unsigned char *out;
  if (get_args(env, info, 5, argv) != 0) return NULL;
  if (get_bytes(env, argv[0], "encKey", &enc_key, &enc_len) != 0 || get_bytes(env, argv[1], "macKey", &mac_key, &mac_len) != 0 ||
      get_uint32(env, argv[2], "typeByte", &type) != 0 || get_bytes(env, argv[3], "payload", &payload, &len) != 0 || get_iv(env, argv[4], &iv) != 0)
    return NULL;
  if (enc_len != 32) return throw_type_error(env, "encKey must be 32 bytes");
  if (napi_create_buffer(env, ENVELOPE_HEADER + len, (void **)&out, &result) != napi_ok) return NULL;
  out[0] = (unsigned char)type;
  for (int i = 0; i < 8; i++) out[IV_OFFSET + i] = (unsigned char)(iv >> (56 - 8 * i));
  if (ctr_crypt(enc_key, iv, payload, len, out + ENVELOPE_HEADER) != 0) return crypto_failed(env);
  if (mac_compute(&envelope_mac, mac_key, mac_len, out + IV_OFFSET, 8 + len, out + 1) != 0) return crypto_failed(env);
  return result;
}

/* openAesHmac(encKey, macKey, envelope) -> payload, or null when the MAC does not match */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  const void *enc_key, *mac_key, *envelope_data;
  size_t enc_len, mac_len, len;
  unsigned char mac[MAC_SIZE];
  void *out;
  if (get_args(env, info, 3, argv) != 0) return NULL;
  if (get_bytes(env, argv[0], "encKey", &enc_key, &enc_len) != 0 || get_bytes(env, argv[1], "macKey", &mac_key, &mac_len) != 0 ||
      get_bytes(env, argv[2], "envelope", &envelope_data, &len) != 0)
    return NULL;
  const unsigned char *envelope = envelope_data;
  if (enc_len != 32 || len < ENVELOPE_HEADER) return throw_type_error(env, "bad key or envelope size");
  if (mac_compute(&envelope_mac, mac_key, mac_len, envelope + IV_OFFSET, len - IV_OFFSET, mac) != 0) return crypto_failed(env);
  if (CRYPTO_memcmp(mac, envelope + 1, MAC_SIZE) != 0) return make_null(env);
  uint64_t iv = 0;
  for (int i = 0; i < 8; i++) iv = (iv << 8) | envelope[IV_OFFSET + i];
  if (napi_create_buffer(env, len - ENVELOPE_HEADER, &out, &result) != napi_ok) return NULL;
  if (ctr_crypt(enc_key, iv, envelope + ENVELOPE_HEADER, len - ENVELOPE_HEADER, out) != 0) return crypto_failed(env);
  return result;
}

int register_crypto(napi_env env, napi_value exports) {
  if (set_function(env, exports, "hmacSha256", js_hmac_sha256) != 0) return -1;
  if (set_function(env, exports, "sealAesHmac", js_seal) != 0) return -1;
  return set_function(env, exports, "openAesHmac", js_open);
}

#else

int register_crypto(napi_env env, napi_value exports) {
  return 0;
}

#endif
