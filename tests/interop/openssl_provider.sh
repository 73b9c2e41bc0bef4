#!/usr/bin/env bash
# OpenSSL 3 uses the built module through the OpenSSL 3 provider for
# PKCS#11 (pkcs11-provider, built from ../shared/vendor by provider_build.sh):
# keys and certificates found by pkcs11: URI with storeutl and pkey,
# RSA PKCS#1 v1.5, RSA-PSS and P-256 ECDSA signatures that plain OpenSSL
# verifies, self-signed certificates from req -new -x509, and s_client
# client-certificate TLS against a local s_server that requires it.
#
# The provider runs inside the same process as careid and answers that
# process's OpenSSL requests, so this is also the test of careid as a guest:
# careid's own cryptography (the passcode KDF at C_Login) must not be routed
# through the provider back into careid.  Every command through the provider
# runs under a timeout, so such a deadlock shows as a FAIL.
#
#   CAREID_MODULE=build/src/careid-pkcs11.so bash tests/interop/openssl_provider.sh
#
# SKIP (77) when the provider's source tarball (CAREID_VENDOR_DIR) or a tool
# to build it is missing.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/common.sh
source "$here/common.sh"
# shellcheck source=tests/interop/provider_lib.sh
source "$here/provider_lib.sh"

LABEL="careid-provider"
SO_PIN="87654321"
USER_PIN="123456"

# uri OBJECT TYPE [PINFILE]
uri() {
	local u="pkcs11:token=$LABEL;object=$1;type=$2"
	[[ -n "${3:-}" ]] && u+="?pin-source=file:$3"
	printf '%s' "$u"
}

# storeutl_count N URI [storeutl options]: storeutl finds exactly N objects.
storeutl_count() {
	local n=$1
	shift
	p11ssl storeutl "$@" || return 1
	p11ssl storeutl "$@" 2>/dev/null | grep -qx "Total found: $n"
}

# flags_show PATTERN / flags_lack PATTERN: the token's flags (no login).
flags_show() {
	local f
	f=$(prov_token_flags "$CAREID_MODULE" "$LABEL")
	echo "token flags: $f"
	grep -Eq -- "$1" <<<"$f"
}
flags_lack() {
	local f
	f=$(prov_token_flags "$CAREID_MODULE" "$LABEL")
	echo "token flags: $f"
	! grep -Eq -- "$1" <<<"$f"
}

# store_cert KIND ID: a certificate from the test CA for the KIND key,
# written to the token next to it.
store_cert() {
	local kind=$1 id=$2
	it_issue_cert "$IT_TMP" "$IT_TMP/$kind.pem" "/O=careid test/OU=people/CN=$UUID" "$IT_TMP/$kind-cert.der" &&
		openssl x509 -inform DER -in "$IT_TMP/$kind-cert.der" -out "$IT_TMP/$kind-cert.pem" &&
		tok --login --pin "$USER_PIN" --write-object "$IT_TMP/$kind-cert.der" --type cert \
			--id "$id" --label "auth-$kind"
}

# one_try_spent / at_final_try: what the token's flags say about the tries.
one_try_spent() {
	flags_show "count low" && flags_lack "final"
}
at_final_try() {
	flags_show "final" && flags_lack "locked"
}

# cmp_digest_via_careid FILE: SHA-256 of FILE required from the pkcs11
# provider (careid's C_Digest) equals plain OpenSSL's.
cmp_digest_via_careid() {
	local got want
	got=$(p11ssl_hostile dgst -sha256 -propquery provider=pkcs11 -r "$1") || return 1
	want=$(openssl dgst -sha256 -r "$1")
	echo "through the provider: $got"
	echo "plain openssl:        $want"
	[[ "${got%% *}" == "${want%% *}" ]]
}

# self_signed KIND: req -new -x509 with the token's KIND key, then checks.
self_signed() {
	local kind=$1 out="$IT_TMP/self-$1.pem"
	it_check "req -new -x509 with the $kind key by URI (no hang)" \
		p11ssl req -new -x509 -key "$(uri "auth-$kind" private "$PINFILE")" -sha256 -days 730 \
		-subj "/O=careid test/OU=people/CN=$UUID" -out "$out"
	it_check "plain openssl verifies the $kind self-signed certificate's signature" \
		openssl verify -CAfile "$out" -check_ss_sig "$out"
	openssl x509 -in "$out" -noout -pubkey >"$IT_TMP/self-$kind.pub" 2>/dev/null
	it_check "the $kind certificate holds the token's public key" \
		prov_same_pubkey "$IT_TMP/self-$kind.pub" "$IT_TMP/$kind.pem"
}

main() {
	it_need openssl pkcs11-tool timeout
	it_setup
	echo "module: $CAREID_MODULE"
	prov_init "$IT_TMP" "$CAREID_MODULE"

	UUID=$(printf '%d%011d' $((RANDOM % 9 + 1)) $(((RANDOM << 15 | RANDOM) % 100000000000)))
	PINFILE="$IT_TMP/pin.txt"
	printf '%s\n' "$USER_PIN" >"$PINFILE"
	printf '000000\n' >"$IT_TMP/wrong-pin.txt"
	chmod 0600 "$PINFILE" "$IT_TMP/wrong-pin.txt"

	if ! it_check "token with RSA-2048 and P-256 keys made with pkcs11-tool" it_token_with_keys auth-rsa auth-ec; then
		it_summary
		exit 1
	fi
	# Certificates from a throwaway CA, stored next to their keys.
	it_make_ca "$IT_TMP"
	local kind id
	for kind in rsa ec; do
		id=01
		[[ $kind == ec ]] && id=02
		it_check "a $kind certificate (CN=$UUID) from the test CA is stored under id $id" \
			store_cert "$kind" "$id"
	done

	# --- finding objects by URI -------------------------------------------------
	it_check "storeutl lists the two public keys by URI, without a passcode" \
		storeutl_count 2 "pkcs11:token=$LABEL;type=public"
	it_check "storeutl -certs lists the two certificates by URI" \
		storeutl_count 2 -certs "pkcs11:token=$LABEL;type=cert"
	it_check_output "the listed certificates carry CN=$UUID" "CN ?= ?$UUID" \
		p11ssl storeutl -certs -text "pkcs11:token=$LABEL;object=auth-rsa;type=cert"
	it_check "storeutl with a pin-source file lists the two private keys (login)" \
		storeutl_count 2 -keys "pkcs11:token=$LABEL;type=private?pin-source=file:$PINFILE"
	for kind in rsa ec; do
		if p11ssl pkey -pubin -in "$(uri "auth-$kind" public)" -pubout \
			-out "$IT_TMP/$kind-provider.pem" >"$IT_LOG" 2>&1 &&
			prov_same_pubkey "$IT_TMP/$kind-provider.pem" "$IT_TMP/$kind.pem" >>"$IT_LOG" 2>&1; then
			it_pass "pkey -pubin -pubout of the $kind key by URI (same key as pkcs11-tool's)"
		else
			it_fail "pkey -pubin -pubout of the $kind key by URI (same key as pkcs11-tool's)" "$IT_LOG"
		fi
	done

	printf 'Care Identity provider test message\n' >"$IT_TMP/msg.txt"
	openssl dgst -sha256 -binary "$IT_TMP/msg.txt" >"$IT_TMP/digest.bin"
	local rsakey eckey
	rsakey=$(uri auth-rsa private "$PINFILE")
	eckey=$(uri auth-ec private "$PINFILE")

	# --- RSA PKCS#1 v1.5 -----------------------------------------------------------
	it_check "pkeyutl -sign, RSA PKCS#1 v1.5 over a SHA-256 digest" \
		p11ssl pkeyutl -sign -inkey "$rsakey" -pkeyopt digest:sha256 \
		-in "$IT_TMP/digest.bin" -out "$IT_TMP/rsa-pkeyutl.sig"
	it_check "plain openssl verifies the RSA PKCS#1 v1.5 pkeyutl signature" \
		openssl pkeyutl -verify -pubin -inkey "$IT_TMP/rsa.pem" -pkeyopt digest:sha256 \
		-in "$IT_TMP/digest.bin" -sigfile "$IT_TMP/rsa-pkeyutl.sig"
	it_check "dgst -sha256 -sign, RSA PKCS#1 v1.5" \
		p11ssl dgst -sha256 -sign "$rsakey" -out "$IT_TMP/rsa-dgst.sig" "$IT_TMP/msg.txt"
	it_check "plain openssl verifies the RSA PKCS#1 v1.5 dgst signature" \
		openssl dgst -sha256 -verify "$IT_TMP/rsa.pem" -signature "$IT_TMP/rsa-dgst.sig" "$IT_TMP/msg.txt"

	# --- RSA-PSS ---------------------------------------------------------------------
	it_check "dgst -sha256 -sign, RSA-PSS (salt 32)" \
		p11ssl dgst -sha256 -sign "$rsakey" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
		-out "$IT_TMP/rsa-pss.sig" "$IT_TMP/msg.txt"
	it_check "plain openssl verifies the RSA-PSS dgst signature" \
		openssl dgst -sha256 -verify "$IT_TMP/rsa.pem" -sigopt rsa_padding_mode:pss \
		-sigopt rsa_pss_saltlen:32 -signature "$IT_TMP/rsa-pss.sig" "$IT_TMP/msg.txt"
	it_check "pkeyutl -sign, RSA-PSS over a SHA-256 digest" \
		p11ssl pkeyutl -sign -inkey "$rsakey" -pkeyopt rsa_padding_mode:pss -pkeyopt digest:sha256 \
		-pkeyopt rsa_pss_saltlen:32 -in "$IT_TMP/digest.bin" -out "$IT_TMP/rsa-pss-pkeyutl.sig"
	it_check "plain openssl verifies the RSA-PSS pkeyutl signature" \
		openssl pkeyutl -verify -pubin -inkey "$IT_TMP/rsa.pem" -pkeyopt rsa_padding_mode:pss \
		-pkeyopt digest:sha256 -pkeyopt rsa_pss_saltlen:32 \
		-in "$IT_TMP/digest.bin" -sigfile "$IT_TMP/rsa-pss-pkeyutl.sig"

	# --- P-256 ECDSA ------------------------------------------------------------------
	it_check "pkeyutl -sign, ECDSA P-256 over a SHA-256 digest" \
		p11ssl pkeyutl -sign -inkey "$eckey" -in "$IT_TMP/digest.bin" -out "$IT_TMP/ec-pkeyutl.sig"
	it_check "plain openssl verifies the ECDSA pkeyutl signature" \
		openssl pkeyutl -verify -pubin -inkey "$IT_TMP/ec.pem" \
		-in "$IT_TMP/digest.bin" -sigfile "$IT_TMP/ec-pkeyutl.sig"
	it_check "dgst -sha256 -sign, ECDSA P-256" \
		p11ssl dgst -sha256 -sign "$eckey" -out "$IT_TMP/ec-dgst.sig" "$IT_TMP/msg.txt"
	it_check "plain openssl verifies the ECDSA dgst signature" \
		openssl dgst -sha256 -verify "$IT_TMP/ec.pem" -signature "$IT_TMP/ec-dgst.sig" "$IT_TMP/msg.txt"

	# --- the provider from openssl.cnf, passcode in its configuration ------------------
	prov_init_conf "$PINFILE"
	it_check "openssl.cnf route (pkcs11-module-token-pin): dgst -sha256 -sign, ECDSA" \
		p11ssl_conf dgst -sha256 -sign "$(uri auth-ec private)" -out "$IT_TMP/ec-conf.sig" "$IT_TMP/msg.txt"
	it_check "plain openssl verifies the openssl.cnf route's signature" \
		openssl dgst -sha256 -verify "$IT_TMP/ec.pem" -signature "$IT_TMP/ec-conf.sig" "$IT_TMP/msg.txt"

	# --- a host whose OpenSSL prefers the provider for everything --------------------
	prov_init_hostile
	it_check_output "in that host the process's SHA-256 can come from careid (through the provider)" \
		'SHA2-256.*@ pkcs11' p11ssl_hostile list -digest-algorithms
	it_check "and careid answers it correctly" \
		cmp_digest_via_careid "$IT_TMP/msg.txt"
	it_check "careid logs in and signs there (RSA PKCS#1 v1.5, no hang)" \
		p11ssl_hostile pkeyutl -sign -inkey "$rsakey" -pkeyopt digest:sha256 \
		-in "$IT_TMP/digest.bin" -out "$IT_TMP/rsa-hostile.sig"
	it_check "plain openssl verifies that signature" \
		openssl pkeyutl -verify -pubin -inkey "$IT_TMP/rsa.pem" -pkeyopt digest:sha256 \
		-in "$IT_TMP/digest.bin" -sigfile "$IT_TMP/rsa-hostile.sig"

	# --- self-signed certificates (the login that used to deadlock) ---------------------
	self_signed rsa
	self_signed ec

	# --- client-certificate TLS -----------------------------------------------------------
	prov_server_cert "$IT_TMP" "$IT_TMP/ca.crt" "$IT_TMP/ca.key" >/dev/null 2>&1
	it_check "TLS 1.3 client login with the RSA key and the token's certificate (RSA-PSS)" \
		prov_tls_login "$IT_TMP" "$IT_TMP/ca.crt" "pkcs11:token=$LABEL;object=auth-rsa;type=cert" \
		"$rsakey" "$UUID" RSA-PSS -tls1_3
	it_check "TLS 1.2 client login with the RSA key (PKCS#1 v1.5)" \
		prov_tls_login "$IT_TMP" "$IT_TMP/ca.crt" "$IT_TMP/rsa-cert.pem" "$rsakey" "$UUID" RSA \
		-tls1_2 -client_sigalgs RSA+SHA256
	it_check "TLS 1.3 client login with the P-256 key and the token's certificate (ECDSA)" \
		prov_tls_login "$IT_TMP" "$IT_TMP/ca.crt" "pkcs11:token=$LABEL;object=auth-ec;type=cert" \
		"$eckey" "$UUID" ECDSA -tls1_3

	# --- wrong passcodes and the provider's final-try rule --------------------------------
	it_check_fails "a wrong passcode through the provider is refused" '.' \
		p11ssl pkeyutl -sign -inkey "$(uri auth-rsa private "$IT_TMP/wrong-pin.txt")" \
		-pkeyopt digest:sha256 -in "$IT_TMP/digest.bin" -out "$IT_TMP/wrong.sig"
	it_check "it cost exactly one try (count low, not the final try)" one_try_spent
	it_check_fails "a second wrong passcode is refused" '.' \
		p11ssl pkeyutl -sign -inkey "$(uri auth-rsa private "$IT_TMP/wrong-pin.txt")" \
		-pkeyopt digest:sha256 -in "$IT_TMP/digest.bin" -out "$IT_TMP/wrong.sig"
	it_check "the token shows its final try" at_final_try
	# pkcs11-provider does not log in when one try is left, so that an
	# unattended program cannot block the card: careid must report it.
	it_check_fails "at the final try the provider does not log in, even with the right passcode" \
		'auth attempt left|[Ll]ogin|key' \
		p11ssl pkeyutl -sign -inkey "$rsakey" -pkeyopt digest:sha256 \
		-in "$IT_TMP/digest.bin" -out "$IT_TMP/final.sig"
	it_check "the token is not locked and still at its final try" at_final_try
	it_check "pkcs11-tool logs in with the right passcode, which resets the count" \
		tok --login --pin "$USER_PIN" -O
	it_check "the token shows all its tries again" flags_lack "count low|final|locked"
	it_check "the provider signs again" \
		p11ssl pkeyutl -sign -inkey "$rsakey" -pkeyopt digest:sha256 \
		-in "$IT_TMP/digest.bin" -out "$IT_TMP/again.sig"

	it_summary
}

main "$@"
