#!/bin/bash
# OpenSC's PIV driver (opensc-pkcs11.so, pkcs11-tool) against a fresh
# virtual Care Identity card in the private PC/SC rig: listing, the two
# certificates, signatures with 9A and 9C checked by openssl, PIN lockout
# that survives removal and restart, PUK unblock, PIN change.
#
# Run: CAREID_VCARD=build/src/vcard/careid-vcard tests/card/opensc.sh
# (as root; prints SKIP and exits 77 otherwise).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/card/lib.sh
. "$here/lib.sh"
rig_enter "$0" -- "$@"

M=${OPENSC_MODULE:-/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so}
[ -e "$M" ] || { echo "SKIP: $M not installed"; exit 77; }
work=$CAREID_RIG_DIR/opensc
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/log
p11() { pkcs11-tool --module "$M" "$@"; }

uuid=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
echo "careid card test data" > data.txt
# 32 bytes that stand for a SHA-256 digest in raw GENERAL AUTHENTICATE.
digest=$(openssl dgst -sha256 -hex data.txt | awk '{ print toupper($NF) }')
PIN_HEX=313233343536FFFF          # 123456

# ---- discovery and objects ----
p11 -L > slots.txt 2>&1
check "pkcs11-tool -L shows the card's token" grep -q "token label" slots.txt
check "token label carries the 12-digit UUID ($uuid)" grep -q "$uuid" slots.txt
p11 -O > objects.txt 2>&1
check "-O lists exactly two certificates" test "$(grep -c '^Certificate Object' objects.txt)" = 2
p11 -r --id 01 --type cert -o c9a.der >>"$CAREID_TEST_LOG" 2>&1
p11 -r --id 02 --type cert -o c9c.der >>"$CAREID_TEST_LOG" 2>&1
openssl x509 -inform DER -in c9a.der -pubkey -noout > p9a.pem 2>>"$CAREID_TEST_LOG"
openssl x509 -inform DER -in c9c.der -pubkey -noout > p9c.pem 2>>"$CAREID_TEST_LOG"
for c in c9a c9c; do
	subj=$(openssl x509 -inform DER -in $c.der -noout -subject -nameopt RFC2253 2>/dev/null)
	check "$c subject is O=careid, OU=people, CN=UUID only" \
		test "$subj" = "subject=CN=$uuid,OU=people,O=careid"
	nb=$(openssl x509 -inform DER -in $c.der -noout -startdate | cut -d= -f2)
	na=$(openssl x509 -inform DER -in $c.der -noout -enddate | cut -d= -f2)
	check "$c valid exactly two years" \
		test "$(date -u -d "$nb + 2 years" +%s)" = "$(date -u -d "$na" +%s)"
done

# ---- login and signatures ----
check "login with PIN 123456" p11 -l --pin 123456 -O
check "sign with 9A (SHA256-RSA-PKCS)" \
	p11 -l --pin 123456 --id 01 -s -m SHA256-RSA-PKCS -i data.txt -o s9a.bin
check "openssl verifies the 9A signature against the card's certificate" \
	openssl dgst -sha256 -verify p9a.pem -signature s9a.bin data.txt
check "sign with 9C (ECDSA-SHA256, context-specific login)" \
	p11 -l --pin 123456 --id 02 -s -m ECDSA-SHA256 --signature-format openssl -i data.txt -o s9c.bin
check "openssl verifies the 9C signature against the card's certificate" \
	openssl dgst -sha256 -verify p9c.pem -signature s9c.bin data.txt

# ---- PIN policy at the APDU level ----
ga9c="0087119C267C2482008120$digest"
# The verified state lives until reset or logout, across connections, as on
# a real card: each probe that needs "no PIN" logs out first.
logout=0020FF80
check "9C refuses to sign without a PIN (6982)" test "$(last_sw $logout "$ga9c")" = 6982
check "9C signs right after VERIFY" test "$(last_sw 0020008008$PIN_HEX "$ga9c")" = 9000
check "9C needs the PIN again for a second signature (6982)" \
	test "$(last_sw 0020008008$PIN_HEX "$ga9c" "$ga9c")" = 6982
# opensc-tool sends no extended APDUs and breaks chains between its -s
# commands, so 9A (RSA-2048) is probed with a short input: the PIN gate
# answers 6982, an input that passed the gate answers 6A80 (wrong size).
ga9a_short=0087079A0A7C08820081040001020300
check "9A refuses without a PIN (6982)" test "$(last_sw $logout $ga9a_short)" = 6982
check "9A passes the PIN gate twice after one VERIFY (PIN once)" \
	test "$(last_sw 0020008008$PIN_HEX $ga9a_short $ga9a_short)" = 6A80
check "logout (VERIFY P1=FF) closes the gate again" \
	test "$(last_sw 0020008008$PIN_HEX 0020FF80 $ga9a_short)" = 6982

# ---- lockout (P2) ----
for i in 1 2 3; do
	p11 -l --pin 000000 -O > wrong$i.txt 2>&1
	check "wrong PIN #$i refused with CKR_PIN_INCORRECT" grep -q CKR_PIN_INCORRECT wrong$i.txt
done
p11 -l --pin 123456 -O > locked.txt 2>&1
check "right PIN after three wrong ones: CKR_PIN_LOCKED" grep -q CKR_PIN_LOCKED locked.txt
check "card reports the PIN blocked (6983)" test "$(last_sw 0020008000)" = 6983
check "retry counter 0 is in the state file" grep -q '^pin 0 ' "$CAREID_STATE"
check "card removed" card_remove
check "card re-inserted" card_insert
check "still blocked after removal and re-insertion" test "$(last_sw 0020008000)" = 6983
check "card process restarted on the same state file" card_restart
check "still blocked after a restart" test "$(last_sw 0020008000)" = 6983

# ---- unblock with the PUK, change PIN (P3, P5) ----
# OpenSC only sends RESET RETRY COUNTER when told which unblock style to use.
printf 'app default {\n  pkcs11 {\n    user_pin_unblock_style = set_pin_in_unlogged_session;\n  }\n}\n' > unblock.conf
check "unblock with the PUK and new PIN 654321" \
	env OPENSC_CONF="$work/unblock.conf" pkcs11-tool --module "$M" --unlock-pin --puk 12345678 --new-pin 654321
check "PIN has three tries again (63C3)" test "$(last_sw 0020008000)" = 63C3
check "login with the new PIN" p11 -l --pin 654321 -O
check "change PIN to 11223344" p11 --change-pin --pin 654321 --new-pin 11223344
check "login with the changed PIN" p11 -l --pin 11223344 -O
check_fails "old PIN no longer accepted" p11 -l --pin 654321 -O
check "one wrong try is written to the state file" grep -q '^pin 2 ' "$CAREID_STATE"
check "correct PIN restores three tries" \
	test "$(last_sw 00200080083131323233333434 0020008000)" = 9000
check "counter back to 3 in the state file" grep -q '^pin 3 ' "$CAREID_STATE"

# ---- passcode format enforced by the card (P1) ----
check "CHANGE to a 5-digit PIN refused (6A80)" \
	test "$(last_sw 0024008010313132323333343431323334FFFFFFFF)" = 6A80
check "CHANGE to a non-digit PIN refused (6A80)" \
	test "$(last_sw 00240080103131323233333434414243444546FFFF)" = 6A80
check "VERIFY with a 5-digit PIN refused (6A80)" \
	test "$(last_sw $logout 00200080083132333435FFFFFF)" = 6A80
check "malformed PIN costs no try (63C3)" \
	test "$(last_sw $logout 00200080083132333435FFFFFF 0020008000)" = 63C3
check "VERIFY of the PUK reference is refused (6A88)" \
	test "$(last_sw 002000810831323334353637FF)" = 6A88

finish
