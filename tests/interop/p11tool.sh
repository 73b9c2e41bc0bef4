#!/usr/bin/env bash
# GnuTLS's p11tool uses the built module: lists its tokens, writes and lists
# certificates, generates a key pair, and runs --test-sign on RSA and EC keys.
#
#   CAREID_MODULE=build/src/careid-pkcs11.so bash tests/interop/p11tool.sh
set -uo pipefail

# shellcheck source=tests/interop/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

LABEL="careid-gnutls"
SO_PIN="87654321"
USER_PIN="123456"
TOKEN_URI="pkcs11:token=$LABEL"

gt() {
	p11tool --provider "$CAREID_MODULE" "$@"
}

main() {
	it_need p11tool pkcs11-tool openssl
	it_setup
	echo "module: $CAREID_MODULE"
	# p11tool takes passcodes from the environment in batch mode.
	export GNUTLS_PIN="$USER_PIN"
	export GNUTLS_SO_PIN="$SO_PIN"

	if ! it_check "token with RSA-2048 and P-256 keys made with pkcs11-tool" it_token_with_keys auth-rsa auth-ec; then
		it_summary
		exit 1
	fi

	it_check_output "--list-tokens shows the token" "Label: *$LABEL" gt --list-tokens
	it_check_output "--list-tokens shows the token's pkcs11: URI" "URL: *pkcs11:.*token=$LABEL" \
		gt --list-tokens

	# A certificate for the RSA key, issued by a throwaway CA.
	local uuid
	uuid=$(printf '%06d%06d' $((RANDOM % 1000000)) $((RANDOM % 1000000)))
	if it_make_ca "$IT_TMP" && it_issue_cert "$IT_TMP" "$IT_TMP/rsa.pem" \
		"/O=careid test/OU=people/CN=$uuid" "$IT_TMP/auth.der" &&
		openssl x509 -inform DER -in "$IT_TMP/auth.der" -out "$IT_TMP/auth.pem"; then
		it_pass "openssl issues a certificate for the token's RSA key"
	else
		it_fail "openssl issues a certificate for the token's RSA key"
	fi
	it_check "--write --load-certificate (label Authentication, id 01)" \
		gt --batch --login --write --load-certificate "$IT_TMP/auth.pem" \
		--label Authentication --id 01 "$TOKEN_URI"

	it_check_output "--list-all-certs shows the certificate" 'Label: *Authentication' \
		gt --list-all-certs "$TOKEN_URI"
	it_check_output "--list-all-certs shows the certificate without login" 'Type: *X\.509 Certificate' \
		gt --list-all-certs "$TOKEN_URI"
	if gt --export "$TOKEN_URI;object=Authentication;type=cert" >"$IT_TMP/export.pem" 2>"$IT_LOG" &&
		openssl x509 -in "$IT_TMP/export.pem" -outform DER -out "$IT_TMP/export.der" 2>>"$IT_LOG" &&
		cmp -s "$IT_TMP/export.der" "$IT_TMP/auth.der"; then
		it_pass "--export returns the same certificate"
	else
		it_fail "--export returns the same certificate" "$IT_LOG"
	fi
	it_check_output "--list-all-privkeys --login shows both keys" 'auth-ec' \
		gt --batch --login --list-all-privkeys "$TOKEN_URI"
	if grep -q 'auth-rsa' "$IT_LOG"; then
		it_pass "--list-all-privkeys --login shows the RSA key"
	else
		it_fail "--list-all-privkeys --login shows the RSA key" "$IT_LOG"
	fi

	it_check_output "--test-sign with the RSA key" 'Verifying against public key in the token\.*\s*ok' \
		gt --batch --login --test-sign "$TOKEN_URI;object=auth-rsa;type=private"
	it_check_output "--test-sign with the P-256 key" 'Verifying against public key in the token\.*\s*ok' \
		gt --batch --login --test-sign "$TOKEN_URI;object=auth-ec;type=private"

	it_check "--generate-privkey ECDSA (secp384r1) with p11tool" \
		gt --batch --login --generate-privkey ecdsa --curve secp384r1 --label gnutls-p384 \
		--id 03 "$TOKEN_URI"
	it_check_output "--test-sign with the key p11tool made" 'Verifying against public key in the token\.*\s*ok' \
		gt --batch --login --test-sign "$TOKEN_URI;object=gnutls-p384;type=private"

	it_check_fails "a wrong passcode is refused" '[Ee]rror|PIN' \
		env GNUTLS_PIN=999999 p11tool --provider "$CAREID_MODULE" --batch --login \
		--test-sign "$TOKEN_URI;object=auth-rsa;type=private"

	it_summary
}

main "$@"
