#!/bin/bash
# careid's own module (careid-pkcs11.so) on a fresh virtual Care Identity
# card in the private PC/SC rig: a few pkcs11-tool checks (listing, login,
# a signature checked by openssl against the card's certificate), then the
# cmocka program tests/card/careid_card.c for everything else.
#
# Run: CAREID_MODULE=build/src/careid-pkcs11.so \
#      CAREID_VCARD=build/src/vcard/careid-vcard \
#      CAREID_CARD_TEST=build/tests/careid_card tests/card/careid.sh
# (as root; prints SKIP and exits 77 otherwise).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/card/lib.sh
. "$here/lib.sh"
rig_enter "$0" -- "$@"

card_need pkcs11-tool
T=${CAREID_CARD_TEST:-}
[ -z "$T" ] || case "$T" in /*) ;; *) T=$PWD/$T ;; esac
work=$CAREID_RIG_DIR/careid
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/log
export CAREID_CARD_LIB=$here/lib.sh
# Soft tokens in a directory of the rig's own, so no host token shows up.
printf 'token_dir = %s/tokens\ncard_readers = yes\n' "$work" > careid.conf
export CAREID_CONF=$work/careid.conf

uuid=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
p11() { pkcs11-tool --module "$M" --token-label "$uuid" "$@"; }
echo "careid card test data" > data.txt

# ---- pkcs11-tool against the card slot ----
pkcs11-tool --module "$M" -L > slots.txt 2>&1
check "pkcs11-tool -L shows the card token labelled with the UUID ($uuid)" grep -q "token label *: $uuid" slots.txt
serial=$(awk '$1 == "serial" { print $2 }' "$CAREID_STATE")
check "the card's slot comes first and names the reader" grep -q "^Slot 0 (0x0): $CAREID_READER" slots.txt
check "token serial is the card serial ($serial)" grep -Eq "serial num +: $serial\$" slots.txt
check "passcode length 6 to 8" grep -Eq "pin min/max +: 6/8" slots.txt
p11 -O > objects.txt 2>&1
check "-O without login lists exactly two certificates" \
	test "$(grep -c '^Certificate Object' objects.txt)" = 2
check "-O without login lists no private key" test "$(grep -c '^Private Key Object' objects.txt)" = 0
p11 -l --pin 123456 -O > objects-user.txt 2>&1
check "login with passcode 123456 shows two private keys" \
	test "$(grep -c '^Private Key Object' objects-user.txt)" = 2
{
	p11 -r --id 01 --type cert -o c9a.der
	p11 -r --id 02 --type cert -o c9c.der
	openssl x509 -inform DER -in c9a.der -pubkey -noout -out p9a.pem
	openssl x509 -inform DER -in c9c.der -pubkey -noout -out p9c.pem
} >>"$CAREID_TEST_LOG" 2>&1
check "certificate 01 subject carries the UUID" \
	grep -q "CN *= *$uuid" <(openssl x509 -inform DER -in c9a.der -noout -subject 2>/dev/null)
check "sign with --id 01 (SHA256-RSA-PKCS)" \
	p11 -l --pin 123456 --id 01 -s -m SHA256-RSA-PKCS -i data.txt -o s9a.bin
check "openssl verifies the 01 signature against the card's certificate" \
	openssl dgst -sha256 -verify p9a.pem -signature s9a.bin data.txt
check "sign with --id 02 (ECDSA-SHA256, context-specific login)" \
	p11 -l --pin 123456 --id 02 -s -m ECDSA-SHA256 --signature-format openssl -i data.txt -o s9c.bin
check "openssl verifies the 02 signature against the card's certificate" \
	openssl dgst -sha256 -verify p9c.pem -signature s9c.bin data.txt
check_fails "a wrong passcode is refused" p11 -l --pin 000000 -O
check "the wrong try is on the card (2 left)" grep -q '^pin 2 ' "$CAREID_STATE"
check "the right passcode restores three tries" p11 -l --pin 123456 -O
check "three tries in the state file again" grep -q '^pin 3 ' "$CAREID_STATE"

# ---- the module's API, end to end (cmocka) ----
if [ -z "$T" ] || [ ! -x "$T" ]; then
	not_ok "cmocka card test: CAREID_CARD_TEST does not name the built careid_card program"
elif "$T"; then
	ok "cmocka card test (tests/card/careid_card.c)"
else
	not_ok "cmocka card test (tests/card/careid_card.c)"
fi

finish
