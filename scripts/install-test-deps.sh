#!/usr/bin/env bash
# Installs the Debian packages the test suite runs against (real borg, sshd, FUSE, the ACL and
# inode-flag tools the platform tests use as independent witnesses, and borgmatic, which drives
# borg-ts as its local_path).
# Idempotent: does nothing when everything is already there.
set -euo pipefail
need=()
command -v borg >/dev/null 2>&1 || need+=(borgbackup)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v fusermount3 >/dev/null 2>&1 || need+=(fuse3)
# real `borg mount` (the mount tests compare with it) needs a FUSE binding; Debian only recommends it.
/usr/bin/python3 -c 'import llfuse' >/dev/null 2>&1 || need+=(python3-llfuse)
command -v setfacl >/dev/null 2>&1 || need+=(acl)
command -v chattr >/dev/null 2>&1 || need+=(e2fsprogs)
command -v borgmatic >/dev/null 2>&1 || need+=(borgmatic)
# the web UI's end-to-end tests drive Debian's chromium headless through playwright-core
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: missing ${need[*]} and not root; install them with apt-get" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
