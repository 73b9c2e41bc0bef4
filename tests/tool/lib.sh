# shellcheck shell=bash
# What the careid-tool scripts on soft tokens share (source this file):
# the interop harness (tests/interop/common.sh) set up, TOOL found, and
#   ct ARGS...                     careid-tool on the module under test
#   check_status NAME WANT CMD...  passes when CMD exits with WANT and its
#                                  output matches $PATTERN, when set
#   json_check NAME EXPR CMD...    passes when CMD succeeds and its stdout,
#                                  parsed as d, satisfies the Python EXPR
# CAREID_TOOL is the program under test (meson sets it); CAREID_MODULE the
# module it loads.
lib_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../interop/common.sh
. "$lib_here/../interop/common.sh"

it_need pkcs11-tool openssl python3 sqlite3 faketime
it_setup

TOOL=${CAREID_TOOL:-$(cd "$lib_here/../.." && pwd)/build/src/tool/careid-tool}
if [[ ! -x "$TOOL" ]]; then
	printf 'FAIL: careid-tool not found: %s (set CAREID_TOOL)\n0 passed, 1 failed\n' "$TOOL"
	exit 1
fi

ct() { "$TOOL" --module "$CAREID_MODULE" "$@"; }

check_status() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$IT_LOG" 2>&1
	got=$?
	if [[ $got -ne $want ]]; then
		it_fail "$name (exit $got, expected $want)" "$IT_LOG"
		return 1
	fi
	if [[ -n "${PATTERN:-}" ]] && ! grep -Eq -- "$PATTERN" "$IT_LOG"; then
		it_fail "$name (expected output matching /$PATTERN/)" "$IT_LOG"
		return 1
	fi
	it_pass "$name"
}

json_check() {
	local name=$1 expr=$2
	shift 2
	if ! "$@" >"$IT_TMP/out.json" 2>"$IT_LOG"; then
		it_fail "$name (command failed)" "$IT_LOG"
		return 1
	fi
	if python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$IT_TMP/out.json" "$expr" >>"$IT_LOG" 2>&1; then
		it_pass "$name"
	else
		cat "$IT_TMP/out.json" >>"$IT_LOG"
		it_fail "$name (JSON: expected $expr)" "$IT_LOG"
	fi
}
