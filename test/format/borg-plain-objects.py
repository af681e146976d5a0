# Prints the plaintext of every msgpack object (manifest, archive metadata, item stream chunks) of an
# unencrypted (`--encryption none`) borg repository as JSON lines {"id": hex, "kind": ..., "hex": ...},
# decompressed by borg's own code. Read-only: parses the segment files, takes no repository lock.
import json, os, struct, sys
from borg.compress import Compressor
from borg.helpers import msgpack

repo = sys.argv[1]
objects = {}
for root, _dirs, files in os.walk(os.path.join(repo, 'data')):
    for name in sorted((f for f in files if f.isdigit()), key=int):
        data = open(os.path.join(root, name), 'rb').read()
        pos = 8  # after the BORG_SEG magic
        while pos < len(data):
            _crc, size, tag = struct.unpack_from('<IIB', data, pos)
            if tag == 0:  # PUT: id then TYPE byte 0x02 (none) + compressed payload
                oid = data[pos + 9:pos + 41]
                objects[oid] = Compressor('lz4').decompress(data[pos + 42:pos + size])
            elif tag == 1:  # DELETE
                objects.pop(data[pos + 9:pos + 41], None)
            pos += size

manifest = msgpack.unpackb(objects[bytes(32)])
kinds = {bytes(32): 'manifest'}
for info in manifest[b'archives'].values():
    kinds[info[b'id']] = 'archive'
    archive = msgpack.unpackb(objects[info[b'id']])
    for cid in archive[b'items']:
        kinds[cid] = 'items'
for oid, kind in kinds.items():
    print(json.dumps({'id': oid.hex(), 'kind': kind, 'hex': objects[oid].hex()}))
