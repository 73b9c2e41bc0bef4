#!/bin/bash
# careid's log lines for a card, as a person reads them (CAREID_LOG=warn,
# CAREID_LOG_FILE): the card named by its label (the holder's UUID) with
# its serial in brackets; exactly one line per wrong passcode with the
# tries left ("2 tries left", "1 try left", "no tries left: the passcode is
# blocked; the sponsor can unblock it"); a malformed passcode says why it
# was not sent and that no try was spent (and the card's counter agrees);
# no internal function names.  The soft token's lines are checked by
# tests/api/test_messages.c in the same words.
#
# Run: CAREID_MODULE=build/src/careid-pkcs11.so \
#      CAREID_VCARD=build/src/vcard/careid-vcard tests/card/messages.sh
# (as root; prints SKIP and exits 77 otherwise).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/card/lib.sh
. "$here/lib.sh"
rig_enter "$0" -- "$@"

card_need pkcs11-tool
work=$CAREID_RIG_DIR/messages
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/test.log
printf 'token_dir = %s/tokens\ncard_readers = yes\nsoft_tokens = no\n' "$work" > careid.conf
export CAREID_CONF=$work/careid.conf CAREID_LOG=warn CAREID_LOG_FILE=$work/careid.log
: > "$CAREID_LOG_FILE"

uuid=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
serial=$(awk '$1 == "serial" { print $2 }' "$CAREID_STATE")
name="token \"$uuid\" [serial $serial]"
p11() { pkcs11-tool --module "$M" --token-label "$uuid" "$@"; }
tries() { awk -v w="$1" '$1 == w { print $2 }' "$CAREID_STATE"; }

# The lines careid wrote since the last call, without "careid[pid] ", in
# $got (set here, in this shell, so that the count of lines seen stays).
seen=0
got=
new_lines() {
	local total
	total=$(wc -l <"$CAREID_LOG_FILE")
	got=$(sed -n "$((seen + 1)),${total}p" "$CAREID_LOG_FILE" | sed 's/^careid\[[0-9]*\] //')
	seen=$total
}

# expect_line "what" "level: text": exactly that one line since the last look.
expect_line() {
	local what=$1 want=$2
	new_lines
	if [ "$got" = "$want" ]; then
		ok "$what"
	else
		not_ok "$what"
		printf '      | want: %s\n' "$want"
		printf '%s\n' "$got" | sed 's/^/      | got:  /'
	fi
}

expect_nothing() {
	local what=$1
	new_lines
	if [ -z "$got" ]; then ok "$what"; else not_ok "$what"; printf '%s\n' "$got" | sed 's/^/      | got: /'; fi
}

pkcs11-tool --module "$M" -L >>"$CAREID_TEST_LOG" 2>&1
expect_nothing "listing the card writes no warning"

check_fails "a wrong passcode is refused" p11 -l --pin 000000 -O
expect_line "one line for it, with the card's UUID and serial and 2 tries left" \
	"warn: $name: wrong passcode, 2 tries left"
check "the card agrees: 2 tries left" test "$(tries pin)" = 2

check_fails "a 5-digit passcode is refused" p11 -l --pin 12345 -O
expect_line "one line: why it was not sent and that no try was spent" \
	"warn: $name: passcode not checked, no try spent: passcodes are 6 to 8 digits and this one has 5 characters"
check_fails "a passcode with a letter is refused" p11 -l --pin 12a456 -O
expect_line "one line: a character that is not a digit, no try spent" \
	"warn: $name: passcode not checked, no try spent: passcodes are 6 to 8 digits and this one has a character that is not a digit"
check "the card agrees: still 2 tries left" test "$(tries pin)" = 2

check_fails "a second wrong passcode is refused" p11 -l --pin 000000 -O
expect_line "one line: 1 try left" "warn: $name: wrong passcode, 1 try left"
check_fails "a third wrong passcode is refused" p11 -l --pin 000000 -O
expect_line "one line: no tries left, blocked, the sponsor can unblock it" \
	"warn: $name: wrong passcode, no tries left: the passcode is blocked; the sponsor can unblock it"
check "the card agrees: blocked" test "$(tries pin)" = 0
check_fails "the right passcode is refused while blocked" p11 -l --pin 123456 -O
expect_line "one line: not checked, blocked" \
	"warn: $name: passcode not checked: no tries left, the passcode is blocked; the sponsor can unblock it"

check "the sponsor unblocks it with the PUK" \
	p11 --login --login-type so --so-pin 12345678 --init-pin --new-pin 123456
check "the passcode works again" p11 -l --pin 123456 -O
expect_nothing "unblocking and logging in write no warning"

check_fails "a wrong PUK (the SO passcode) is refused" \
	p11 --login --login-type so --so-pin 87654321 --init-pin --new-pin 123456
expect_line "one line: wrong SO passcode, 2 tries left" "warn: $name: wrong SO passcode, 2 tries left"
check "the right PUK restores its tries" \
	p11 --login --login-type so --so-pin 12345678 --init-pin --new-pin 123456
check "the card agrees: 3 PUK tries" test "$(tries puk)" = 3

check_fails "a passcode change with a wrong current passcode is refused" \
	p11 -l --pin 000000 --change-pin --new-pin 246810
expect_line "one line for it: 2 tries left" "warn: $name: wrong passcode, 2 tries left"
check "the right passcode restores three tries" p11 -l --pin 123456 -O
expect_nothing "no line for it"

# A debug trace would put "function_name: " after the level.
check "no line of the whole run carries a function name" \
	bash -c '! grep -E "^careid\[[0-9]+\] [a-z]+: [A-Za-z_][A-Za-z_0-9]*: " "$1"' _ "$CAREID_LOG_FILE"
check "every line of the whole run names the card" \
	bash -c '! grep -vF "$2" "$1"' _ "$CAREID_LOG_FILE" ": $name: "

finish
