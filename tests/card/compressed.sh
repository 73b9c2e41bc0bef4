#!/bin/bash
# A card whose certificates are stored gzip-compressed (CertInfo 01), as
# many issued PIV cards store them: careid's module lists them, reads them
# back as the certificates the card was issued with, and signs with the
# key they certify; OpenSC, judging independently, reads the same.
#
# Run: CAREID_MODULE=build/src/careid-pkcs11.so \
#      CAREID_VCARD=build/src/vcard/careid-vcard tests/card/compressed.sh
# (as root; prints SKIP and exits 77 otherwise).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/card/lib.sh
. "$here/lib.sh"
rig_enter "$0" --vcard-arg --compress-certs -- "$@"

card_need pkcs11-tool
OPENSC=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
work=$CAREID_RIG_DIR/compressed
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/log
printf 'card_readers = yes\nsoft_tokens = no\n' > careid.conf
export CAREID_CONF=$work/careid.conf

uuid=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
p11() { pkcs11-tool --module "$M" "$@"; }
echo "compressed certificate test data" > data.txt

# The card really holds compressed objects: 9A's certificate object
# (5FC105) is a gzip stream (1F 8B) in tag 70, then CertInfo 71 01.
cert_obj=$(awk '$1 == "obj" && $2 == "5fc105" { print $3 }' "$CAREID_STATE")
check "the card stores 9A's certificate gzip-compressed, CertInfo 01" \
	sh -c "echo '$cert_obj' | grep -Eq '^70(82....|81..|..)1f8b.*710101fe00$'"

p11 -O > objects.txt 2>&1
check "careid lists two certificates" test "$(grep -c '^Certificate Object' objects.txt)" = 2
p11 -r --type cert --id 01 -o c9a.der >>"$CAREID_TEST_LOG" 2>&1
p11 -r --type cert --id 02 -o c9c.der >>"$CAREID_TEST_LOG" 2>&1
for c in c9a c9c; do
	subj=$(openssl x509 -inform DER -in $c.der -noout -subject -nameopt RFC2253 2>/dev/null)
	check "$c comes back as a certificate for the card's UUID" \
		test "$subj" = "subject=CN=$uuid,OU=people,O=careid"
done
openssl x509 -inform DER -in c9a.der -pubkey -noout > p9a.pem 2>>"$CAREID_TEST_LOG"
check "careid signs with 9A (SHA256-RSA-PKCS)" \
	p11 -l --pin 123456 --id 01 -s -m SHA256-RSA-PKCS -i data.txt -o s9a.bin
check "openssl verifies it with the decompressed certificate" \
	openssl dgst -sha256 -verify p9a.pem -signature s9a.bin data.txt

if [ -e "$OPENSC" ]; then
	pkcs11-tool --module "$OPENSC" -r --type cert --id 01 -o opensc-9a.der >>"$CAREID_TEST_LOG" 2>&1
	check "OpenSC reads the same 9A certificate" cmp -s c9a.der opensc-9a.der
fi
finish
