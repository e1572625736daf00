#!/usr/bin/env bash
# Writes a busybox root filesystem tarball (Debian's busybox-static plus an applet symlink each,
# /etc/passwd and /etc/group) to $1: the test and benchmark image, no registry needed.
set -euo pipefail
out=${1:?usage: busybox-rootfs.sh OUT.tar}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir"/{bin,etc,tmp,proc,sys,dev,root,home/app}
chmod 1777 "$dir/tmp"
cp /bin/busybox "$dir/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ $applet == busybox ]] || ln -s busybox "$dir/bin/$applet"
done
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'app:x:1000:1000:app:/home/app:/bin/sh' \
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > "$dir/etc/passwd"
printf '%s\n' 'root:x:0:' 'app:x:1000:' 'extra:x:1001:app' 'nogroup:x:65534:' > "$dir/etc/group"
chown 1000:1000 "$dir/home/app"
tar --numeric-owner -C "$dir" -cf "$out" .
