#!/usr/bin/env bash
# APDUs per PKCS#11 operation, careid-pkcs11.so against OpenSC's
# opensc-pkcs11.so, on the same fresh virtual card in the PC/SC rig
# (tests/card/rig.sh; needs root).  Prints a markdown table.
#
#   scripts/apdu-table.sh [--check] [--no-build] [BUILD_DIR]
#
# BUILD_DIR defaults to build/ (set up and built when needed; --no-build
# takes it as it is).  --check also fails (exit 1) unless careid uses no
# more APDUs than OpenSC on every row and fewer on the cold start.
# OPENSC_MODULE overrides the OpenSC module's path.  Exit status 77 when
# the rig cannot run here.  See docs/apdu-counts.md.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OPENSC_MODULE=${OPENSC_MODULE:-/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so}
ROWS=(cold_start find_certs login sign_rsa sign_p256 find_certs_warm sign_rsa_warm sign_p256_warm token_info_warm total)

# ---- inside the rig: one run per module, each on the same fresh card ----
if [ "${1:-}" = "--inside" ]; then
	work=$2 apdu_count=$3 module=$4
	# shellcheck source=tests/card/lib.sh
	. "$REPO/tests/card/lib.sh"

	# The card restarted from the fresh state: the same chip, just powered
	# on, with no PIN verified and a count that starts at zero.
	fresh_card() {
		card_stop || return 1
		cp "$work/card.fresh" "$CAREID_STATE" || return 1
		rm -f "$CAREID_COUNT_FILE"
		card_start
	}

	printf 'card_readers = yes\nsoft_tokens = no\n' > "$work/careid.conf"
	mkdir -p "$work/home-careid" "$work/home-opensc"

	fresh_card || { echo "apdu-table: card did not come back" >&2; exit 99; }
	env -u OPENSC_CONF HOME="$work/home-careid" XDG_CACHE_HOME="$work/home-careid/.cache" \
		CAREID_CONF="$work/careid.conf" CAREID_LOG=error \
		timeout 120 "$apdu_count" "$module" > "$work/careid.out" 2> "$work/careid.err" || exit 1

	fresh_card || { echo "apdu-table: card did not come back" >&2; exit 99; }
	# Default configuration (no OPENSC_CONF) and an empty HOME: OpenSC's
	# file cache, if its configuration turns it on, starts cold.
	env -u OPENSC_CONF -u CAREID_CONF HOME="$work/home-opensc" \
		XDG_CACHE_HOME="$work/home-opensc/.cache" \
		timeout 120 "$apdu_count" "$OPENSC_MODULE" > "$work/opensc.out" 2> "$work/opensc.err" || exit 2
	exit 0
fi

# ---- outside ----
check=0 build=1 bdir=
while [ $# -gt 0 ]; do
	case "$1" in
	--check) check=1; shift ;;
	--no-build) build=0; shift ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	-*) echo "apdu-table: unknown option $1" >&2; exit 2 ;;
	*) bdir=$1; shift ;;
	esac
done
bdir=${bdir:-$REPO/build}
case "$bdir" in /*) ;; *) bdir=$PWD/$bdir ;; esac

if [ "$build" = 1 ]; then
	if [ ! -f "$bdir/build.ninja" ]; then
		meson setup "$bdir" "$REPO" >&2 || exit 1
	fi
	ninja -C "$bdir" >&2 || exit 1
fi
module=$bdir/src/careid-pkcs11.so
vcard=$bdir/src/vcard/careid-vcard
apdu_count=$bdir/tests/apdu_count
for f in "$module" "$vcard" "$apdu_count"; do
	[ -e "$f" ] || { echo "apdu-table: $f not built" >&2; exit 1; }
done
[ -e "$OPENSC_MODULE" ] || { echo "SKIP: $OPENSC_MODULE not installed"; exit 77; }

work=$(mktemp -d /tmp/careid-apdu.XXXXXX) || exit 99
trap 'rm -rf "$work"' EXIT
"$vcard" --state "$work/card.fresh" --create-only || { echo "apdu-table: cannot make a card" >&2; exit 99; }

CAREID_VCARD=$vcard "$REPO/tests/card/rig.sh" --state "$work/card.state" -- \
	bash "$REPO/scripts/apdu-table.sh" --inside "$work" "$apdu_count" "$module"
rc=$?
if [ "$rc" = 77 ]; then
	exit 77
elif [ "$rc" != 0 ]; then
	for m in careid opensc; do
		[ -s "$work/$m.out" ] && sed "s/^/$m: /" "$work/$m.out" >&2
		[ -s "$work/$m.err" ] && sed "s/^/$m: /" "$work/$m.err" >&2
	done
	echo "apdu-table: measurement failed (status $rc)" >&2
	exit 1
fi

count() { awk -v r="$2" '$1 == "apdu" && $2 == r { print $3 }' "$work/$1.out"; }
label() {
	case "$1" in
	cold_start) echo "cold start: C_Initialize, C_GetSlotList, C_GetTokenInfo" ;;
	find_certs) echo "C_OpenSession, find all certificates, read CKA_VALUE" ;;
	login) echo "C_Login (user)" ;;
	sign_rsa) echo "RSA-2048 sign (SHA256-RSA-PKCS, key 01 / 9A)" ;;
	sign_p256) echo "P-256 sign (ECDSA, key 02 / 9C, context-specific login)" ;;
	find_certs_warm) echo "find all certificates, read CKA_VALUE (warm)" ;;
	sign_rsa_warm) echo "RSA-2048 sign (warm)" ;;
	sign_p256_warm) echo "P-256 sign (warm)" ;;
	token_info_warm) echo "C_GetTokenInfo (warm)" ;;
	total) echo "total" ;;
	esac
}

bad=0
echo "| operation | careid | OpenSC |"
echo "|---|---:|---:|"
for r in "${ROWS[@]}"; do
	c=$(count careid "$r") o=$(count opensc "$r")
	if [ -z "$c" ] || [ -z "$o" ]; then
		echo "apdu-table: row $r missing from a run" >&2
		exit 1
	fi
	echo "| $(label "$r") | $c | $o |"
	if [ "$c" -gt "$o" ] || { [ "$r" = cold_start ] && [ "$c" -ge "$o" ]; }; then
		bad=$((bad + 1))
		echo "apdu-table: careid $c APDUs vs OpenSC $o on $r" >&2
	fi
done
osc=$(opensc-tool --info 2>/dev/null | head -n 1)
echo
echo "careid: $module, CAREID_CONF with card_readers = yes, soft_tokens = no."
echo "OpenSC: $OPENSC_MODULE (${osc:-version unknown}), default configuration" \
	"(/etc/opensc/opensc.conf, OPENSC_CONF unset), empty HOME and XDG_CACHE_HOME."
if [ "$check" = 1 ]; then
	if [ "$bad" = 0 ]; then
		echo "PASS: careid uses no more APDUs than OpenSC on any row and fewer on the cold start"
	else
		echo "FAIL: careid uses more APDUs than OpenSC on $bad row(s)"
		exit 1
	fi
fi
exit 0
