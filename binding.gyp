{
  "targets": [
    {
      "target_name": "borgts_platform",
      "sources": [
        "native/module.c",
        "native/common.c",
        "native/times.c",
        "native/nodes.c",
        "native/xattr.c",
        "native/flags.c",
        "native/users.c",
        "native/sparse.c",
        "native/buzhash.c",
        "native/fuse.c",
        "native/file-job.c",
        "native/crypto.c",
        "native/dir-scan.c"
      ],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE", "_FILE_OFFSET_BITS=64"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
