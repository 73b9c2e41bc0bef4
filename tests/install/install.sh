#!/usr/bin/env bash
# meson install into a scratch directory: the module, careid-tool,
# careid-vcard, the p11-kit module file, the vendor header and the four
# manual pages land where they belong, and each page renders.
#
# $1 is the build directory (meson passes it).
set -u
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
pass=0 fail=0

check() {
	if "$@" >/dev/null 2>&1; then
		printf 'PASS: %s\n' "${*: -1}"
		pass=$((pass + 1))
	else
		printf 'FAIL: %s\n' "${*: -1}"
		fail=$((fail + 1))
	fi
}

if ! meson install -C "$build" --destdir "$dest" --no-rebuild >"$dest.log" 2>&1; then
	cat "$dest.log"
	printf 'FAIL: meson install\n0 passed, 1 failed\n'
	exit 1
fi
rm -f "$dest.log"
found() { test -n "$(find "$dest" -path "*$1" -print -quit)"; }
for f in /pkcs11/careid-pkcs11.so /bin/careid-tool /bin/careid-vcard /p11-kit/modules/careid.module \
	/include/careid/careid.h /man1/careid-tool.1 /man1/careid-vcard.1 /man5/careid.conf.5 /man7/careid-pkcs11.7; do
	check found "$f"
done
if command -v man >/dev/null 2>&1; then
	for page in $(find "$dest" -name '*.[157]'); do
		check bash -c 'man -l "$1" 2>/dev/null | grep -q NAME' _ "$page" "$(basename "$page") renders"
	done
fi
printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
