#!/bin/bash
# build-deb.sh - builds the Debian package (debian/) from a copy of the
# tree, so that debian/rules' clean and the parent directory dpkg writes to
# stay inside OUTDIR: the .deb lands in OUTDIR (default build/deb).
# `make deb` runs it.  DEB_BUILD_OPTIONS is passed on (nocheck skips the
# unit tests; parallel=N defaults to the CPU count).
# Usage: scripts/build-deb.sh [OUTDIR]
set -eu
cd "$(dirname "$0")/.."
out=${1:-build/deb}
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)

for t in dpkg-buildpackage dh fakeroot; do
	command -v "$t" >/dev/null || { echo "build-deb: $t missing: run scripts/install-deps.sh" >&2; exit 1; }
done
rm -rf "$out"
src=$out/nfxdp-$version
mkdir -p "$src"
# the tracked and the new (not ignored) files; a plain copy outside git
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./build-asan --exclude=./build-tsan -cf - . |
		tar -xf - -C "$src"
fi
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed, log in $out/build.log" >&2
	exit 1
}
ls "$out"/nfxdp_"$version"_*.deb
