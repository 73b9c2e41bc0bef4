#!/bin/bash
# Yubico's PIV module (libykcs11.so) against a fresh virtual Care Identity
# card: listing, signatures checked by openssl, management-key (SO) login,
# on-card key generation and certificate writing that survive a restart.
#
# ykcs11 only looks at readers whose name starts with "Yubico", so this
# test names the rig's reader accordingly.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/card/lib.sh
. "$here/lib.sh"
rig_enter "$0" --reader-name "Yubico-compatible careid test reader" -- "$@"

Y=${YKCS11_MODULE:-/usr/lib/x86_64-linux-gnu/libykcs11.so}
[ -e "$Y" ] || { echo "SKIP: $Y not installed (package ykcs11)"; exit 77; }
work=$CAREID_RIG_DIR/ykcs11
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/log
yk() { pkcs11-tool --module "$Y" "$@"; }
MGMT=010203040506070801020304050607080102030405060708

serial=$(awk '$1 == "serial" { print $2 }' "$CAREID_STATE")
echo "careid card test data" > data.txt

yk -L > slots.txt 2>&1
check "ykcs11 lists the card's token" grep -q "token label" slots.txt
check "token serial is the card serial ($serial)" grep -Eq "serial num +: $serial\$" slots.txt
yk -O > objects.txt 2>&1
check "-O lists exactly two certificates" test "$(grep -c '^Certificate Object' objects.txt)" = 2
yk -r --id 01 --type cert -o c9a.der >>"$CAREID_TEST_LOG" 2>&1
yk -r --id 02 --type cert -o c9c.der >>"$CAREID_TEST_LOG" 2>&1
openssl x509 -inform DER -in c9a.der -pubkey -noout > p9a.pem 2>>"$CAREID_TEST_LOG"
openssl x509 -inform DER -in c9c.der -pubkey -noout > p9c.pem 2>>"$CAREID_TEST_LOG"

check "login with PIN 123456" yk -l --pin 123456 -O
check "sign with 9A (SHA256-RSA-PKCS)" \
	yk -l --pin 123456 --id 01 -s -m SHA256-RSA-PKCS -i data.txt -o s9a.bin
check "openssl verifies the 9A signature" \
	openssl dgst -sha256 -verify p9a.pem -signature s9a.bin data.txt
check "sign with 9A (SHA256-RSA-PKCS-PSS)" \
	yk -l --pin 123456 --id 01 -s -m SHA256-RSA-PKCS-PSS -i data.txt -o s9a-pss.bin
check "openssl verifies the PSS signature" \
	openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1 \
		-verify p9a.pem -signature s9a-pss.bin data.txt
check "sign with 9C (ECDSA-SHA256)" \
	yk -l --pin 123456 --id 02 -s -m ECDSA-SHA256 --signature-format openssl -i data.txt -o s9c.bin
check "openssl verifies the 9C signature" \
	openssl dgst -sha256 -verify p9c.pem -signature s9c.bin data.txt

check "SO login with the default management key (3DES challenge-response)" \
	yk --session-rw --login --login-type so --so-pin $MGMT -O
check_fails "SO login with a wrong management key refused" \
	yk --session-rw --login --login-type so --so-pin 0102030405060708010203040506070801020304050607FF -O
check "generate a P-256 key on the card in 9D" \
	yk --login --login-type so --so-pin $MGMT --keypairgen --key-type EC:prime256v1 --id 03
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/O=careid/OU=people/CN=000000000000" -days 1 -outform DER -out c9d.der 2>>"$CAREID_TEST_LOG"
check "write a certificate to 9D (PUT DATA, chained)" \
	yk --login --login-type so --so-pin $MGMT --write-object c9d.der --type cert --id 03
check "card restarted on the same state file" card_restart
yk -r --id 03 --type cert -o c9d-back.der >>"$CAREID_TEST_LOG" 2>&1
check "the 9D certificate survived the restart" cmp c9d.der c9d-back.der
check "sign with the generated 9D key" \
	yk -l --pin 123456 --id 03 -s -m ECDSA-SHA256 -i data.txt -o s9d.bin
check "ykcs11 verifies it with the public key from the card's metadata" \
	yk --verify --id 03 -m ECDSA-SHA256 -i data.txt --signature-file s9d.bin

finish
