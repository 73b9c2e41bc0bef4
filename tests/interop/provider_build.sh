#!/usr/bin/env bash
# Builds the OpenSSL 3 provider for PKCS#11 modules (pkcs11-provider) from
# its upstream release tarball, once, into a cache, and prints the directory
# that holds pkcs11.so (what `openssl -provider-path` takes) on stdout.
#
#   dir=$(tests/interop/provider_build.sh) || exit $?
#
# Debian 12 does not package the provider and nothing of its source is kept
# in this tree: the tarball lives beside the repository, in
# ../shared/vendor/ (CAREID_VENDOR_DIR overrides the directory,
# CAREID_PROVIDER_TARBALL the file).  The build goes to CAREID_PROVIDER_CACHE
# (default: a directory of this user's under ${TMPDIR:-/tmp}) and is redone
# only when the tarball is newer than the last build (or another tarball or
# OpenSSL version is in use).
#
# Exit status: 0 with the directory on stdout; 77 with a "SKIP: ..." line
# when the tarball or a build tool is missing; 1 when the build fails (its
# log is shown on stderr).
set -uo pipefail
# The build tools need no sanitizer runtime a test pass may have preloaded.
unset LD_PRELOAD

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

vendor=${CAREID_VENDOR_DIR:-$repo/../shared/vendor}
tarball=${CAREID_PROVIDER_TARBALL:-$vendor/pkcs11-provider-1.2.0.tar.gz}
if [[ ! -f "$tarball" ]]; then
	echo "SKIP: pkcs11-provider source not found: $tarball (set CAREID_VENDOR_DIR)"
	exit 77
fi
tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")

for prog in meson ninja pkg-config cc tar flock; do
	if ! command -v "$prog" >/dev/null 2>&1; then
		echo "SKIP: $prog not installed (needed to build pkcs11-provider)"
		exit 77
	fi
done
# The provider's meson.build requires these; say so instead of failing.
for pc in libcrypto libssl; do
	if ! pkg-config --exists "$pc"; then
		echo "SKIP: $pc development files not installed (needed to build pkcs11-provider)"
		exit 77
	fi
done

name=$(basename "$tarball" .tar.gz)
cache=${CAREID_PROVIDER_CACHE:-${TMPDIR:-/tmp}/careid-pkcs11-provider-$(id -u)}
mkdir -p "$(dirname "$cache")" && { [[ -d "$cache" ]] || mkdir -m 0700 "$cache"; } || exit 1
dest=$cache/$name
stamp=$dest/.built
so=$dest/build/src/pkcs11.so

# Several tests (and people) may ask at once: one builds, the others wait.
exec 9>"$cache/.lock"
flock 9

# The stamp also names the OpenSSL it was built against: a system upgrade
# rebuilds too.
want="$tarball $(pkg-config --modversion libcrypto)"
if [[ -f "$stamp" && -f "$so" && ! "$tarball" -nt "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
	echo "$dest/build/src"
	exit 0
fi

log=$cache/$name.build.log
build() {
	rm -rf -- "$dest" "$dest.unpack" &&
		mkdir -p "$dest.unpack" &&
		tar -xzf "$tarball" -C "$dest.unpack" &&
		mv "$dest.unpack/$name" "$dest" &&
		rmdir "$dest.unpack" &&
		(cd "$dest" && meson setup build --buildtype=release) &&
		ninja -C "$dest/build" src/pkcs11.so &&
		[[ -f "$so" ]] &&
		printf '%s\n' "$want" >"$stamp"
}
echo "building $name into $dest" >&2
if ! build >"$log" 2>&1; then
	echo "pkcs11-provider build failed (log: $log):" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
echo "$dest/build/src"
