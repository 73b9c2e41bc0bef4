#!/bin/bash
# shellcheck disable=SC2317  # the helpers run through check
# OpenSSL 3 through pkcs11-provider and careid's module on a fresh virtual
# Care Identity card in the private PC/SC rig: the card's certificates and
# keys by pkcs11: URI (storeutl, pkey), signatures with the RSA
# authentication key (9A: PKCS#1 v1.5 and PSS) and the P-256 signing key
# (9C, a passcode for every signature) that plain OpenSSL verifies against
# the card's certificates, req -new -x509 with each, s_client
# client-certificate TLS against a local s_server, and the passcode tries as
# the card counts them.
#
# Run: CAREID_MODULE=build/src/careid-pkcs11.so \
#      CAREID_VCARD=build/src/vcard/careid-vcard tests/card/openssl_provider.sh
# (as root; prints SKIP and exits 77 otherwise, or without the provider's
# source tarball, see tests/interop/provider_build.sh).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/card/lib.sh
. "$here/lib.sh"
rig_enter "$0" -- "$@"

card_need openssl pkcs11-tool timeout
work=$CAREID_RIG_DIR/openssl-provider
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/log
printf 'token_dir = %s/tokens\ncard_readers = yes\n' "$work" >careid.conf
export CAREID_CONF=$work/careid.conf

# shellcheck source=tests/interop/provider_lib.sh
. "$here/../interop/provider_lib.sh"
prov_init "$work" "$M"

uuid=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
printf '123456\n' >pin.txt          # the virtual card's default passcode
printf '000000\n' >wrong-pin.txt
chmod 0600 pin.txt wrong-pin.txt
# The 9C key needs the passcode for every signature, which the provider
# takes from its configuration (tests/interop/provider_lib.sh).
prov_init_conf "$work/pin.txt"
# key ID TYPE [PINFILE]: 01 is the authentication key (9A), 02 the signing key (9C).
key() {
	local u="pkcs11:token=$uuid;id=%$1;type=$2"
	[ -z "${3:-}" ] || u+="?pin-source=file:$work/$3"
	printf '%s' "$u"
}
tries() { grep -q "^pin $1 " "$CAREID_STATE"; }
flags() { prov_token_flags "$M" "$uuid"; }

# pubkey_matches ID SLOT: pkey exports the public key ID, the same as the
# one in the SLOT certificate.
pubkey_matches() {
	p11ssl pkey -pubin -in "$(key "$1" public)" -pubout -out "pub-$2.pem" &&
		prov_same_pubkey "pub-$2.pem" "p$2.pem"
}

echo "careid card test data" >data.txt
openssl dgst -sha256 -binary data.txt >digest.bin

# storeutl_count N ARGS...: storeutl through the provider finds N objects.
storeutl_count() {
	local n=$1
	shift
	p11ssl storeutl "$@" >storeutl.out 2>&1 || { cat storeutl.out; return 1; }
	cat storeutl.out
	grep -qx "Total found: $n" storeutl.out
}

# ---- objects by URI ----
check "storeutl -certs lists the card's two certificates without a passcode" \
	storeutl_count 2 -certs "pkcs11:token=$uuid;type=cert"
p11ssl storeutl -certs "$(key 01 cert)" >c9a.pem 2>>"$CAREID_TEST_LOG"
p11ssl storeutl -certs "$(key 02 cert)" >c9c.pem 2>>"$CAREID_TEST_LOG"
for c in c9a c9c; do
	openssl x509 -in $c.pem -noout -pubkey >p${c#c}.pem 2>>"$CAREID_TEST_LOG"
	check "$c by URI is the certificate of CN=$uuid" \
		grep -q "CN *= *$uuid" <(openssl x509 -in $c.pem -noout -subject 2>/dev/null)
done
check "storeutl -keys with the passcode lists the two private keys" \
	storeutl_count 2 -keys "pkcs11:token=$uuid;type=private?pin-source=file:$work/pin.txt"
check "the card's tries are untouched (3)" tries 3
for id in 01 02; do
	c=9a
	[ $id = 02 ] && c=9c
	check "pkey -pubin by URI: the $c public key is the one in its certificate" pubkey_matches $id $c
done

# ---- signatures, verified by plain openssl against the card's certificates ----
check "9A: pkeyutl -sign, RSA PKCS#1 v1.5 over a SHA-256 digest" \
	p11ssl pkeyutl -sign -inkey "$(key 01 private pin.txt)" -pkeyopt digest:sha256 \
	-in digest.bin -out s9a-pkcs1.bin
check "openssl verifies it" \
	openssl pkeyutl -verify -pubin -inkey p9a.pem -pkeyopt digest:sha256 -in digest.bin -sigfile s9a-pkcs1.bin
check "9A: dgst -sha256 -sign, RSA PKCS#1 v1.5" \
	p11ssl dgst -sha256 -sign "$(key 01 private pin.txt)" -out s9a-dgst.bin data.txt
check "openssl verifies it" openssl dgst -sha256 -verify p9a.pem -signature s9a-dgst.bin data.txt
check "9A: dgst -sha256 -sign, RSA-PSS (salt 32)" \
	p11ssl dgst -sha256 -sign "$(key 01 private pin.txt)" -sigopt rsa_padding_mode:pss \
	-sigopt rsa_pss_saltlen:32 -out s9a-pss.bin data.txt
check "openssl verifies it" \
	openssl dgst -sha256 -verify p9a.pem -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
	-signature s9a-pss.bin data.txt
check "9C: dgst -sha256 -sign, ECDSA P-256 (passcode from openssl.cnf, context-specific login)" \
	p11ssl_conf dgst -sha256 -sign "$(key 02 private)" -out s9c-dgst.bin data.txt
check "openssl verifies it" openssl dgst -sha256 -verify p9c.pem -signature s9c-dgst.bin data.txt
check "9C: pkeyutl -sign, ECDSA over a SHA-256 digest" \
	p11ssl_conf pkeyutl -sign -inkey "$(key 02 private)" -in digest.bin -out s9c-pkeyutl.bin
check "openssl verifies it" \
	openssl pkeyutl -verify -pubin -inkey p9c.pem -in digest.bin -sigfile s9c-pkeyutl.bin

# ---- a host whose OpenSSL prefers the provider for everything ----
prov_init_hostile
check "9A: signs in a host whose default context prefers the pkcs11 provider (no hang)" \
	p11ssl_hostile dgst -sha256 -sign "$(key 01 private pin.txt)" -out s9a-hostile.bin data.txt
check "openssl verifies it" openssl dgst -sha256 -verify p9a.pem -signature s9a-hostile.bin data.txt

# ---- self-signed certificates ----
for id in 01 02; do
	c=9a run=p11ssl k=$(key 01 private pin.txt)
	[ $id = 02 ] && c=9c run=p11ssl_conf k=$(key 02 private)
	check "$c: req -new -x509 by URI (no hang)" \
		$run req -new -x509 -key "$k" -sha256 -days 730 \
		-subj "/O=careid/OU=people/CN=$uuid" -out self-$c.pem
	check "openssl verifies the $c self-signed certificate's signature" \
		openssl verify -CAfile self-$c.pem -check_ss_sig self-$c.pem
	openssl x509 -in self-$c.pem -noout -pubkey >self-$c.pub 2>>"$CAREID_TEST_LOG"
	check "the $c self-signed certificate holds the card's key" prov_same_pubkey self-$c.pub p$c.pem
done

# ---- client-certificate TLS ----
# The card's issuing CA is not kept (src/vcard/fresh_card.c), so the server
# trusts the card's two certificates themselves (-partial_chain); the
# server's own certificate comes from a CA made here.
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls-ca.key \
		-out tls-ca.crt -days 2 -subj "/CN=careid provider test TLS CA" &&
		prov_server_cert "$work" tls-ca.crt tls-ca.key &&
		cat tls-ca.crt c9a.pem c9c.pem >trust.pem
} >>"$CAREID_TEST_LOG" 2>&1
PROV_TLS_SERVER_OPTS=(-partial_chain)
check "9A: TLS 1.3 client login with the card's certificate by URI (RSA-PSS)" \
	prov_tls_login "$work" trust.pem "$(key 01 cert)" "$(key 01 private pin.txt)" "$uuid" RSA-PSS -tls1_3
check "9A: TLS 1.2 client login (RSA PKCS#1 v1.5)" \
	prov_tls_login "$work" trust.pem c9a.pem "$(key 01 private pin.txt)" "$uuid" RSA \
	-tls1_2 -client_sigalgs RSA+SHA256
PROV_TLS_CLIENT=p11ssl_conf
check "9C: TLS 1.3 client login with the card's certificate by URI (ECDSA)" \
	prov_tls_login "$work" trust.pem "$(key 02 cert)" "$(key 02 private)" "$uuid" ECDSA -tls1_3
PROV_TLS_SERVER_OPTS=() PROV_TLS_CLIENT=p11ssl_tls
check "after all this the card still has its three tries" tries 3

# ---- passcode tries, as the card counts them ----
check_fails "a wrong passcode through the provider is refused" \
	p11ssl pkeyutl -sign -inkey "$(key 01 private wrong-pin.txt)" -pkeyopt digest:sha256 \
	-in digest.bin -out wrong.bin
check "it cost the card exactly one try (2 left)" tries 2
check_fails "a second wrong passcode is refused" \
	p11ssl pkeyutl -sign -inkey "$(key 01 private wrong-pin.txt)" -pkeyopt digest:sha256 \
	-in digest.bin -out wrong.bin
check "one try left on the card" tries 1
check "careid shows the final try in the token flags" grep -q "final user PIN try" <(flags)
# pkcs11-provider does not log in at the final try, so that an unattended
# program cannot block the card: careid must say so truthfully.
check_fails "at the final try the provider does not log in, even with the right passcode" \
	p11ssl pkeyutl -sign -inkey "$(key 01 private pin.txt)" -pkeyopt digest:sha256 \
	-in digest.bin -out final.bin
check "the card is not blocked: still one try left" tries 1
check "pkcs11-tool logs in with the right passcode" pkcs11-tool --module "$M" -l --pin 123456 -O
check "three tries again on the card" tries 3
check "the provider signs again" \
	p11ssl pkeyutl -sign -inkey "$(key 01 private pin.txt)" -pkeyopt digest:sha256 \
	-in digest.bin -out again.bin

finish
