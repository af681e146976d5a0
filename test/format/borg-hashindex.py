# Drives real borg's hashindex module (the oracle) for hashindex-interop.test.ts.
#   dump KIND PATH          -> JSON {count, entries: [[hex id, v0, v1, ...]] in bucket order, summary}
#   replay KIND OPS PATH    -> apply the JSON op list OPS to a new index, write it to PATH
#   rewrite KIND IN OUT     -> read IN, write OUT
# KIND is ns or chunk; ops are [op, hex id, values...] with op in set, add, del, get, incref, decref,
# or [merge, rows]: merge in a ChunkIndex made of the [hex id, refcount, size, csize] rows.
import json, sys
from borg.hashindex import NSIndex, ChunkIndex

KINDS = {'ns': NSIndex, 'chunk': ChunkIndex}


def dump(kind, path):
    index = KINDS[kind].read(path)
    out = {'count': len(index), 'entries': [[k.hex(), *v] for k, v in index.iteritems()]}
    if kind == 'chunk':
        out['summary'] = list(index.summarize())
    print(json.dumps(out))


def replay(kind, ops_path, path):
    index = KINDS[kind]()
    for op, *args in json.load(open(ops_path)):
        key = bytes.fromhex(args[0]) if args and isinstance(args[0], str) else None
        if op == 'set':
            index[key] = tuple(args[1:])
        elif op == 'add':
            index.add(key, *args[1:])
        elif op == 'del':
            del index[key]
        elif op == 'get':
            index.get(key)
        elif op == 'incref':
            index.incref(key)
        elif op == 'decref':
            index.decref(key)
        elif op == 'merge':
            other = ChunkIndex()
            for row in args[0]:
                other[bytes.fromhex(row[0])] = tuple(row[1:])
            index.merge(other)
    index.write(path)


def rewrite(kind, src, dst):
    KINDS[kind].read(src).write(dst)


if __name__ == '__main__':
    {'dump': dump, 'replay': replay, 'rewrite': rewrite}[sys.argv[1]](*sys.argv[2:])
