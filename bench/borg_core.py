# Throughput of borg 1.2.4's own kernels (chunker, compressors, envelope) on the same data file.
# Run with Debian's /usr/bin/python3 (it imports borg). Prints JSON: {name: MB/s}.
import io, json, sys, time
from borg.chunker import Chunker
from borg.compress import CompressionSpec, Compressor
from borg.crypto.low_level import AES256_CTR_HMAC_SHA256, AES256_CTR_BLAKE2b, hmac_sha256, blake2b_256

path, repeat = sys.argv[1], int(sys.argv[2])
data = open(path, 'rb').read()

def best(fn):
    top = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = fn()
        top = max(top, n / 1e6 / (time.perf_counter() - t0))
    return top

m = {}
def chunk_all():
    return sum(len(c.data) for c in Chunker(0, 19, 23, 21, 4095).chunkify(io.BytesIO(data)))
m['chunker buzhash 19,23,21,4095'] = best(chunk_all)

small = data[:64 << 20]
pieces = [small[i:i + (2 << 20)] for i in range(0, len(small), 2 << 20)]
for spec in ['lz4', 'zstd,3', 'zlib,6', 'lzma,6']:
    inp = pieces[:8] if spec.startswith('lzma') else pieces
    total = sum(len(p) for p in inp)
    comp = CompressionSpec(spec).compressor
    packed = []
    def c():
        packed[:] = [comp.compress(p) for p in inp]
        return total
    m['compress ' + spec] = best(c)
    dec = Compressor('lz4')  # borg's generic decompressor detects the codec from the header
    def d():
        for p in packed:
            dec.decompress(p)
        return total
    m['decompress ' + spec] = best(d)

chunks = [data[i:i + (2 << 20)] for i in range(0, len(data), 2 << 20)]
for mode, cls, idh, keylen in [('repokey', AES256_CTR_HMAC_SHA256, hmac_sha256, 32), ('repokey-blake2', AES256_CTR_BLAKE2b, blake2b_256, 128)]:
    mac_key, enc_key, id_key = b'm' * keylen, b'e' * 32, b'i' * keylen
    cipher = cls(mac_key, enc_key, header_len=1, aad_offset=1)
    def env():
        iv = 0
        for c in chunks:
            idh(id_key, c)
            cipher.encrypt(c, header=b'\x03', iv=iv)
            iv += (len(c) + 15) // 16
        return len(data)
    m['envelope %s (id hash + encrypt + MAC)' % mode] = best(env)
print(json.dumps(m))
