#!/usr/bin/env bash
# The card half of the demo, run inside the PC/SC rig (tests/card/rig.sh):
# a private pcscd with a vpcd reader holding careid-vcard, a fresh virtual
# Care Identity card (passcode 123456, an RSA-2048 authentication key in
# 9A with a two-year certificate for a 12-digit UUID).  careid's module
# sees the reader as a slot and the card as a token; the demo lists it,
# signs with the card's key and verifies the signature against the card's
# certificate with openssl.
#
#   scripts/demo.sh runs this; by hand (as root):
#   CAREID_VCARD=build/src/vcard/careid-vcard tests/card/rig.sh -- \
#       bash scripts/demo-card.sh build/src/careid-pkcs11.so
set -euo pipefail

MODULE=$1
CARD_PIN="123456"        # the fresh virtual card's passcode (a demo value)
work="$CAREID_RIG_DIR/demo"
mkdir -p "$work"

# Only the card: no soft tokens in this half.
printf 'card_readers = yes\nsoft_tokens = no\n' >"$work/careid.conf"
export CAREID_CONF="$work/careid.conf"

p11() {
	pkcs11-tool --module "$MODULE" "$@"
}

say() {
	printf '\n--> %s\n' "$*"
}

say "pkcs11-tool -L: the reader is a slot, the card a token labelled with its UUID"
p11 -L | tee "$work/slots.txt"
uuid=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
grep -q "token label *: *$uuid" "$work/slots.txt"

say "pkcs11-tool -O: certificates and public keys, readable before login"
p11 -O | tee "$work/objects.txt"
grep -q 'Certificate Object' "$work/objects.txt"

say "the card's authentication certificate (id 01)"
p11 -r --type cert --id 01 -o "$work/auth.der"
openssl x509 -inform DER -in "$work/auth.der" -noout -subject -dates
openssl x509 -inform DER -in "$work/auth.der" -noout -pubkey >"$work/auth-pub.pem"

say "sign on the card (SHA256-RSA-PKCS, key 9A); the key never leaves it"
printf 'careid demo: signed on the card of %s at %s\n' "$uuid" \
	"$(date -u '+%Y-%m-%dT%H:%M:%SZ')" >"$work/data.txt"
before=$(cat "$CAREID_COUNT_FILE" 2>/dev/null || echo 0)
p11 --login --pin "$CARD_PIN" --sign -m SHA256-RSA-PKCS --id 01 \
	-i "$work/data.txt" -o "$work/data.sig"
after=$(cat "$CAREID_COUNT_FILE" 2>/dev/null || echo 0)
echo "APDUs for this pkcs11-tool run (a new process, cold): $((after - before))"

say "openssl verifies the card's signature with the certificate's public key"
openssl dgst -sha256 -verify "$work/auth-pub.pem" -signature "$work/data.sig" "$work/data.txt"
