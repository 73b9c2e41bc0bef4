#!/usr/bin/env bash
# careid-vcard's command line without a reader: --version, --help and the
# refusals of a command line it cannot run.  Needs no root and no pcscd.
#
# Run: CAREID_VCARD=build/src/vcard/careid-vcard CAREID_EXPECT_VERSION=0.1.0 \
#      tests/card/vcard_cli.sh
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/common.sh
. "$here/../interop/common.sh"

V=${CAREID_VCARD:-}
if [[ -z "$V" || ! -x "$V" ]]; then
	echo "SKIP: CAREID_VCARD does not name the built careid-vcard"
	exit 77
fi
case "$V" in /*) ;; *) V=$PWD/$V ;; esac
IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/careid-vcard-cli.XXXXXX") || exit 99
IT_LOG=$IT_TMP/out
trap it_cleanup EXIT

want=${CAREID_EXPECT_VERSION:-}
# Exactly one line, "careid-vcard <version>", on stdout.
version_line() {
	local out
	out=$("$V" --version) || return 1
	printf '%s\n' "$out"
	[[ "$out" == "careid-vcard $want" ]]
}
if [[ -n "$want" ]]; then
	it_check "--version prints 'careid-vcard $want' and exits 0" version_line
else
	it_check_output "--version prints 'careid-vcard <version>' and exits 0" \
		'^careid-vcard [0-9]+\.[0-9]+\.[0-9]+$' "$V" --version
fi
it_check "--version writes nothing to stderr" \
	bash -c '[[ -z "$("$1" --version 2>&1 >/dev/null)" ]]' _ "$V"
it_check_output "--help exits 0 and shows the usage" '^Usage: careid-vcard --state FILE' "$V" --help
it_check_output "--help lists --version" '^  --version ' "$V" --help
it_check_fails "an unknown option is refused" '^Usage: ' "$V" --no-such-option
it_check_fails "no --state is refused with the reason" '--state FILE is required' "$V"
# --version wins over a command line that could not run, and starts nothing.
it_check_output "--version needs no --state and creates no state file" '^careid-vcard ' \
	bash -c 'cd "$2" && "$1" --version --state card.state && [[ ! -e card.state ]]' _ "$V" "$IT_TMP"

it_summary
