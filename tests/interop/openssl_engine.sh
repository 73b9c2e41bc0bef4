#!/usr/bin/env bash
# OpenSSL 3 uses the built module through the libp11 engine: keys named by
# RFC 7512 pkcs11: URIs sign with pkeyutl and dgst, req makes a self-signed
# certificate, and plain openssl (no engine) verifies every result.
#
#   CAREID_MODULE=build/src/careid-pkcs11.so bash tests/interop/openssl_engine.sh
set -uo pipefail

# shellcheck source=tests/interop/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

LABEL="careid-engine"
SO_PIN="87654321"
USER_PIN="123456"

find_engine() {
	local path
	for path in /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so \
		/usr/lib/*/engines-3/pkcs11.so /usr/lib64/engines-3/pkcs11.so; do
		if [[ -f "$path" ]]; then
			echo "$path"
			return 0
		fi
	done
	if command -v dpkg >/dev/null 2>&1; then
		dpkg -L libengine-pkcs11-openssl 2>/dev/null | grep -m1 '/engines-3/pkcs11\.so$' && return 0
	fi
	return 1
}

# uri OBJECT TYPE [PIN]
uri() {
	local u="pkcs11:token=$LABEL;object=$1;type=$2"
	if [[ -n "${3:-}" ]]; then
		u+=";pin-value=$3"
	fi
	printf '%s' "$u"
}

eng() {
	openssl "$1" -engine pkcs11 "${@:2}"
}

main() {
	it_need openssl pkcs11-tool
	local engine
	if ! engine=$(find_engine); then
		echo "SKIP: libp11 engine (libengine-pkcs11-openssl) not installed"
		exit 77
	fi
	it_setup
	echo "module: $CAREID_MODULE"
	echo "engine: $engine"

	# The engine reads MODULE_PATH from this configuration.
	cat >"$IT_TMP/openssl.cnf" <<-EOF
		openssl_conf = openssl_init
		[openssl_init]
		engines = engine_section
		[engine_section]
		pkcs11 = pkcs11_section
		[pkcs11_section]
		engine_id = pkcs11
		dynamic_path = $engine
		MODULE_PATH = $CAREID_MODULE
		init = 0
		[req]
		distinguished_name = req_dn
		[req_dn]
	EOF
	export OPENSSL_CONF="$IT_TMP/openssl.cnf"
	export PKCS11_MODULE_PATH="$CAREID_MODULE"

	if ! it_check "token with RSA-2048 and P-256 keys made with pkcs11-tool" it_token_with_keys auth-rsa auth-ec; then
		it_summary
		exit 1
	fi

	it_check_output "openssl engine pkcs11 loads" '\(pkcs11\)' openssl engine -t pkcs11

	printf 'Care Identity engine test message\n' >"$IT_TMP/msg.txt"
	openssl dgst -sha256 -binary "$IT_TMP/msg.txt" >"$IT_TMP/digest.bin"

	# --- RSA ----------------------------------------------------------------
	it_check "pkeyutl -sign with RSA key by URI (pin-value)" \
		eng pkeyutl -keyform engine -inkey "$(uri auth-rsa private "$USER_PIN")" -sign \
		-pkeyopt digest:sha256 -in "$IT_TMP/digest.bin" -out "$IT_TMP/rsa-pkeyutl.sig"
	it_check "plain openssl verifies the RSA pkeyutl signature" \
		openssl pkeyutl -verify -pubin -inkey "$IT_TMP/rsa.pem" -pkeyopt digest:sha256 \
		-in "$IT_TMP/digest.bin" -sigfile "$IT_TMP/rsa-pkeyutl.sig"

	it_check "dgst -sha256 -sign with RSA key by URI" \
		eng dgst -sha256 -keyform engine -sign "$(uri auth-rsa private "$USER_PIN")" \
		-out "$IT_TMP/rsa-dgst.sig" "$IT_TMP/msg.txt"
	it_check "plain openssl verifies the RSA dgst signature" \
		openssl dgst -sha256 -verify "$IT_TMP/rsa.pem" -signature "$IT_TMP/rsa-dgst.sig" "$IT_TMP/msg.txt"

	it_check "dgst -sha256 PSS with RSA key by URI" \
		eng dgst -sha256 -keyform engine -sign "$(uri auth-rsa private "$USER_PIN")" \
		-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
		-out "$IT_TMP/rsa-pss.sig" "$IT_TMP/msg.txt"
	it_check "plain openssl verifies the RSA-PSS signature" \
		openssl dgst -sha256 -verify "$IT_TMP/rsa.pem" -sigopt rsa_padding_mode:pss \
		-sigopt rsa_pss_saltlen:32 -signature "$IT_TMP/rsa-pss.sig" "$IT_TMP/msg.txt"

	# --- EC -----------------------------------------------------------------
	it_check "pkeyutl -sign with P-256 key by URI" \
		eng pkeyutl -keyform engine -inkey "$(uri auth-ec private "$USER_PIN")" -sign \
		-in "$IT_TMP/digest.bin" -out "$IT_TMP/ec-pkeyutl.sig"
	it_check "plain openssl verifies the ECDSA signature" \
		openssl pkeyutl -verify -pubin -inkey "$IT_TMP/ec.pem" \
		-in "$IT_TMP/digest.bin" -sigfile "$IT_TMP/ec-pkeyutl.sig"

	# --- public key through the engine ----------------------------------------
	if eng pkey -inform engine -pubin -in "$(uri auth-rsa public)" -pubout \
		-out "$IT_TMP/rsa-engine.pem" >"$IT_LOG" 2>&1 &&
		cmp -s "$IT_TMP/rsa-engine.pem" "$IT_TMP/rsa.pem"; then
		it_pass "engine loads the public key by URI (same as pkcs11-tool's)"
	else
		it_fail "engine loads the public key by URI (same as pkcs11-tool's)" "$IT_LOG"
	fi

	# --- wrong passcode ---------------------------------------------------------
	it_check_fails "a wrong pin-value is refused" 'PIN|[Ll]ogin|key' \
		eng pkeyutl -keyform engine -inkey "$(uri auth-rsa private 999999)" -sign \
		-pkeyopt digest:sha256 -in "$IT_TMP/digest.bin" -out "$IT_TMP/wrong.sig"
	# The failure above spent one try; a correct login resets the counter.
	it_check "the right passcode still works afterwards" \
		eng pkeyutl -keyform engine -inkey "$(uri auth-rsa private "$USER_PIN")" -sign \
		-pkeyopt digest:sha256 -in "$IT_TMP/digest.bin" -out "$IT_TMP/again.sig"

	# --- self-signed certificates ---------------------------------------------------
	local kind
	for kind in rsa ec; do
		it_check "req -new -x509 with the $kind key by URI" \
			eng req -new -x509 -keyform engine -key "$(uri "auth-$kind" private "$USER_PIN")" \
			-sha256 -days 730 -subj "/O=careid test/OU=people/CN=000000000042" \
			-out "$IT_TMP/self-$kind.pem"
		it_check "the $kind self-signed certificate verifies" \
			openssl verify -CAfile "$IT_TMP/self-$kind.pem" -check_ss_sig "$IT_TMP/self-$kind.pem"
		if openssl x509 -in "$IT_TMP/self-$kind.pem" -noout -pubkey >"$IT_TMP/self-$kind.pub" 2>/dev/null &&
			cmp -s "$IT_TMP/self-$kind.pub" "$IT_TMP/$kind.pem"; then
			it_pass "the $kind certificate holds the token's public key"
		else
			it_fail "the $kind certificate holds the token's public key"
		fi
	done

	it_summary
}

main "$@"
