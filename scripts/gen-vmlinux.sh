#!/bin/sh
# Generate vmlinux.h from the running kernel's BTF.  A committed copy is
# used when present, so a build never depends on the build host's kernel.
set -e
out=${1:-vmlinux/$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')/vmlinux.h}
mkdir -p "$(dirname "$out")"
bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "generated $out"
