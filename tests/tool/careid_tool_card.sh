#!/bin/bash
# careid-tool on a fresh virtual Care Identity card in the private PC/SC
# rig (tests/card/rig.sh): status (the card backend, the card's two
# certificates), change-passcode and unblock with the PUK through
# PKCS#11, and the audit trail the host keeps for the card.
#
# Run: CAREID_MODULE=build/src/careid-pkcs11.so CAREID_VCARD=build/src/vcard/careid-vcard \
#      CAREID_TOOL=build/src/tool/careid-tool tests/tool/careid_tool_card.sh
# (as root; prints SKIP and exits 77 otherwise).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../card/lib.sh
. "$here/../card/lib.sh"
# rig_enter, for a script that does not live next to rig.sh.
if [ -z "${CAREID_RIG_DIR:-}" ] || [ -z "${CAREID_IN_RIG:-}" ]; then
	export CAREID_IN_RIG=1
	exec "$here/../card/rig.sh" -- bash "$here/$(basename "$0")" "$@"
fi

card_need python3
TOOL=${CAREID_TOOL:-}
[ -n "$TOOL" ] || { echo "SKIP: CAREID_TOOL does not name careid-tool"; exit 77; }
case "$TOOL" in /*) ;; *) TOOL=$PWD/$TOOL ;; esac
work=$CAREID_RIG_DIR/tool
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/log
# No soft tokens: the card is the only token.
printf 'card_readers = yes\nsoft_tokens = no\n' >careid.conf
export CAREID_CONF=$work/careid.conf
uuid=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
ct() { "$TOOL" --module "$M" "$@"; }
printf '123456\n' >pin
printf '654321\n' >pin2
printf '999999\n' >wrong
printf '12345678\n' >puk
printf '246802\n' >pin3

# json NAME EXPR: the last status --json output satisfies EXPR (python, d).
json() {
	local what=$1
	shift
	if ct --json status >status.json 2>>"$CAREID_TEST_LOG" &&
		python3 -c 'import json, sys; d = json.load(open("status.json")); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" \
			>>"$CAREID_TEST_LOG" 2>&1; then
		ok "$what"
	else
		cat status.json >>"$CAREID_TEST_LOG"
		not_ok "$what"
	fi
}

# status_is WANT CMD...: CMD exits with status WANT.
status_is() {
	local want=$1 got
	shift
	"$@" >>"$CAREID_TEST_LOG" 2>&1
	got=$?
	echo "exit $got (expected $want)" >>"$CAREID_TEST_LOG"
	[ "$got" = "$want" ]
}

json "status: the card's UUID, card backend, active, 3 tries" \
	"d['uuid'] == '$uuid' and d['backend'] == 'card' and d['state'] == 'active' and d['user_tries_left'] == 3"
json "status: the card's two certificates, ids 01 and 02, two years left" \
	"sorted(c['id'] for c in d['certificates']) == ['01', '02'] and all(c['subject'] == 'CN=$uuid,OU=people,O=careid' and 729 <= c['days_left'] <= 731 for c in d['certificates'])"
check "change-passcode on the card" status_is 0 ct change-passcode --passcode-file pin --new-passcode-file pin2
check "a wrong current passcode exits 3" status_is 3 ct change-passcode --passcode-file wrong --new-passcode-file pin3
json "the wrong passcode cost one try" "d['user_tries_left'] == 2"
check "same as the old passcode exits 1 (P5)" status_is 1 ct change-passcode --passcode-file pin2 --new-passcode-file pin2
for _ in 1 2; do ct change-passcode --passcode-file wrong --new-passcode-file pin3 >>"$CAREID_TEST_LOG" 2>&1; done
json "three wrong passcodes lock the card" "d['state'] == 'locked' and d['user_tries_left'] == 0"
check "unblock with a wrong PUK exits 3" status_is 3 ct unblock --so-passcode-file wrong --new-passcode-file pin3
check "unblock with the PUK" status_is 0 ct unblock --so-passcode-file puk --new-passcode-file pin3
json "unblocked: active, 3 tries" "d['state'] == 'active' and d['user_tries_left'] == 3"
check "the passcode set by unblock changes again" status_is 0 ct change-passcode --passcode-file pin3 --new-passcode-file pin
# P14: the host kept the card's trail, by default beside the default token
# directory (the rig's XDG_DATA_HOME).
check "audit verify on a card: the host's trail, intact (exit 0)" status_is 0 ct audit verify
check "...kept in card-audit beside the default token directory" \
	bash -c 'ls "$XDG_DATA_HOME"/careid/card-audit/*.trail'
check "audit show on a card: the changes, the failures, the lockout and the unblock" bash -c \
	'"$1" --module "$2" --json audit show | python3 -c "import json, sys; d = [(r[\"event\"], r[\"detail\"]) for r in json.load(sys.stdin)]; want = [(\"pin-changed\", \"who=user\"), (\"login-failed\", \"who=user tries_left=2\"), (\"locked\", \"who=user\"), (\"login-failed\", \"who=so tries_left=2\"), (\"pin-init\", \"who=so user passcode set, counter reset (unblock)\")]; sys.exit(0 if all(w in d for w in want) else 1)"' \
	_ "$TOOL" "$M"
check "audit export on a card: every record with its chain hash" bash -c \
	'"$1" --module "$2" audit export | python3 -c "import json, sys; d = json.load(sys.stdin); sys.exit(0 if d and all(len(r[\"hash\"]) == 64 for r in d) and [r[\"seq\"] for r in d] == list(range(1, len(d) + 1)) else 1)"' \
	_ "$TOOL" "$M"

# P3: the PUK has its own three tries; the card blocks it after the third.
for _ in 1 2 3; do ct unblock --so-passcode-file wrong --new-passcode-file pin3 >>"$CAREID_TEST_LOG" 2>&1; done
json "three wrong PUKs block the PUK" "d['so_tries_left'] == 0"
check "...after which even the right PUK unblocks nothing (exit 3)" status_is 3 \
	ct unblock --so-passcode-file puk --new-passcode-file pin3
finish
