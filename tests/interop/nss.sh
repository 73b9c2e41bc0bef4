#!/usr/bin/env bash
# NSS's own tools use the built module as Firefox does: modutil adds it to a
# fresh database, certutil lists the token, reads its certificate before
# login (the CKP_PUBLIC_CERTIFICATES_TOKEN profile), lists its keys after
# login and makes certificate requests signed by the RSA and P-256 keys,
# cmsutil signs with the certificate's key and tstclnt authenticates with it
# to openssl s_server.
#
#   CAREID_MODULE=build/src/careid-pkcs11.so bash tests/interop/nss.sh
set -uo pipefail

# shellcheck source=tests/interop/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

LABEL="123456789012"
SO_PIN="87654321"
USER_PIN="123456"
WRONG_PIN="999999"
# NSS names a token's certificate TOKEN:LABEL.
NICK="$LABEL:Authentication"
DB=""
SERVER_PID=""
SERVER_PORT=""

# NSS tools never get a terminal: a passcode prompt fails instead of hanging.
cu() {
	certutil -d "$DB" "$@" </dev/null
}

mu() {
	modutil -dbdir "$DB" "$@" </dev/null
}

# certutil -L -h LABEL with NSS's trace of every call into the module.
list_certs_traced() {
	NSS_DEBUG_PKCS11_MODULE=careid NSPR_LOG_MODULES=nss_mod_log:4 \
		NSPR_LOG_FILE="$IT_TMP/nss-trace.log" cu -L -h "$LABEL"
}

# log_has NAME PATTERN: the output of the previous check matches PATTERN.
log_has() {
	if grep -Eq -- "$2" "$IT_LOG"; then
		it_pass "$1"
	else
		it_fail "$1 (expected output matching /$2/)" "$IT_LOG"
	fi
}

# The "modutil -list" paragraph of the careid module.
module_block() {
	awk '
		/^ *[0-9]+\. / { inside = ($0 ~ /^ *[0-9]+\. careid$/) }
		/^-----/ { inside = 0 }
		inside' "$IT_LOG"
}

# The "modutil -list careid" paragraph of the slot holding our token.
slot_block() {
	awk -v want="$LABEL" '
		function flush() { if (found) printf "%s", blk; blk = ""; found = 0 }
		/^ *Slot: / || /^-----/ { flush() }
		{ blk = blk $0 "\n" }
		/^ *Token Name: / { v = $0; sub(/^[^:]*: */, "", v); sub(/ *$/, "", v); if (v == want) found = 1 }
		END { flush() }' "$IT_LOG"
}

# block_has NAME TEXT PATTERN
block_has() {
	if grep -Eq -- "$3" <<<"$2"; then
		it_pass "$1"
	else
		it_fail "$1 (expected /$3/ in the listing)" "$IT_LOG"
	fi
}

# The id certutil -K shows for the first key of type KIND (rsa, ec).
key_id() {
	sed -n "s/^<[ 0-9]*> *$1 *\\([0-9a-fA-F][0-9a-fA-F]*\\) .*/\\1/p" "$IT_TMP/keys.txt" | head -n 1
}

# same_pubkey REQ_PEM KEY_PEM: the request carries the token's public key.
same_pubkey() {
	local req=$1 key=$2
	openssl req -in "$req" -noout -pubkey | openssl pkey -pubin -outform DER -out "$req.pub.der" &&
		openssl pkey -pubin -in "$key" -outform DER -out "$key.der" &&
		cmp "$req.pub.der" "$key.der"
}

# csr_checks KIND KEY_ID KEY_PEM
csr_checks() {
	local kind=$1 id=$2 key=$3 req="$IT_TMP/req-$1.pem"
	if [[ -z "$id" ]]; then
		it_fail "certutil -K shows an id for the $kind key" "$IT_TMP/keys.txt"
		return
	fi
	it_check "certutil -R: certificate request signed by the $kind key (-k $id)" \
		cu -R -h "$LABEL" -f "$IT_TMP/pw.txt" -k "$id" -s "CN=$LABEL" -a -o "$req" || return
	it_check_output "openssl req -verify accepts the $kind request" 'verify OK|self-signature ok' \
		openssl req -in "$req" -noout -verify
	it_check_output "the $kind request has the subject given" "CN *= *$LABEL\$" \
		openssl req -in "$req" -noout -subject
	it_check "the $kind request carries the token's $kind public key" same_pubkey "$req" "$key"
}

stop_server() {
	if [[ -n "$SERVER_PID" ]]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=""
	fi
}

# start_server: openssl s_server on a free port (SERVER_PORT) that asks for a
# client certificate from the test CA.
start_server() {
	local i
	SERVER_PORT=""
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$IT_TMP/server.key" -out "$IT_TMP/server.crt" -days 30 \
		-subj "/CN=localhost" >/dev/null 2>&1 || return 1
	openssl s_server -accept 127.0.0.1:0 -naccept 1 -www \
		-cert "$IT_TMP/server.crt" -key "$IT_TMP/server.key" \
		-Verify 1 -verify_return_error -CAfile "$IT_TMP/ca.crt" \
		</dev/null >"$IT_TMP/server.log" 2>&1 &
	SERVER_PID=$!
	for ((i = 0; i < 100; i++)); do
		SERVER_PORT=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' "$IT_TMP/server.log")
		[[ -n "$SERVER_PORT" ]] && return 0
		sleep 0.1
	done
	return 1
}

tls_client_auth() {
	if ! start_server; then
		echo "openssl s_server did not start"
		cat "$IT_TMP/server.log"
		return 1
	fi
	printf 'GET / HTTP/1.0\r\n\r\n' >"$IT_TMP/get.txt"
	timeout 120 tstclnt -h 127.0.0.1 -p "$SERVER_PORT" -d "$DB" -n "$NICK" -W "$IT_TMP/pw.txt" \
		-o -A "$IT_TMP/get.txt" </dev/null
}

main() {
	it_need certutil modutil cmsutil tstclnt pkcs11-tool openssl
	it_setup
	trap 'stop_server; it_cleanup' EXIT
	echo "module: $CAREID_MODULE"
	DB="sql:$IT_TMP/nssdb"
	mkdir -m 0700 "$IT_TMP/nssdb"
	printf '%s\n' "$USER_PIN" >"$IT_TMP/pw.txt"
	printf '%s\n' "$WRONG_PIN" >"$IT_TMP/wrong.txt"

	if ! it_check "token with RSA-2048 and P-256 keys made with pkcs11-tool" it_token_with_keys Authentication Signing; then
		it_summary
		exit 1
	fi

	# A certificate for the RSA key, issued by a throwaway CA.
	if it_make_ca "$IT_TMP" && it_issue_cert "$IT_TMP" "$IT_TMP/rsa.pem" \
		"/O=careid test/OU=people/CN=$LABEL" "$IT_TMP/auth.der"; then
		it_pass "openssl issues a certificate for the token's RSA key"
	else
		it_fail "openssl issues a certificate for the token's RSA key"
	fi
	it_check "pkcs11-tool --write-object --type cert --id 01" \
		tok --login --pin "$USER_PIN" --write-object "$IT_TMP/auth.der" --type cert \
		--id 01 --label Authentication

	it_check "certutil -N makes a database without a password" cu -N --empty-password
	it_check_output "modutil -add careid" 'Module "careid" added' \
		mu -add careid -libfile "$CAREID_MODULE" -force

	local block
	it_check_output "modutil -list shows the module" '^ *[0-9]+\. careid$' mu -list
	block=$(module_block)
	block_has "modutil -list shows the library path" "$block" "library name: $CAREID_MODULE\$"
	block_has "modutil -list shows the module loaded" "$block" 'status: loaded'
	block_has "modutil -list shows the token label" "$block" "token: $LABEL\$"
	it_check_output "modutil -list careid shows the token" "Token Name: $LABEL" mu -list careid
	block=$(slot_block)
	block_has "the token's slot is enabled" "$block" 'Status: Enabled'
	block_has "the token asks for login" "$block" \
		'Login Type: Login required'
	block_has "the token's user passcode is initialised" "$block" 'User Pin: Initialized'

	it_check_output "certutil -U lists the token" "token: $LABEL\$" cu -U
	log_has "certutil -U shows the token's pkcs11: URI" "uri: pkcs11:token=$LABEL;"

	# No -f and no terminal: this only works if NSS reads the certificates
	# before login.
	it_check_output "certutil -L -h shows the certificate without a password" \
		"^$NICK +u,u,u\$" list_certs_traced
	if grep -q 'CKA_PROFILE_ID = CKP_PUBLIC_CERTIFICATES_TOKEN' "$IT_TMP/nss-trace.log" &&
		! grep -q 'C_Login' "$IT_TMP/nss-trace.log"; then
		it_pass "NSS finds the CKP_PUBLIC_CERTIFICATES_TOKEN profile and does not log in"
	else
		it_fail "NSS finds the CKP_PUBLIC_CERTIFICATES_TOKEN profile and does not log in" \
			"$IT_TMP/nss-trace.log"
	fi
	if cu -L -n "$NICK" -r >"$IT_TMP/nss-cert.der" 2>"$IT_LOG" &&
		cmp -s "$IT_TMP/nss-cert.der" "$IT_TMP/auth.der"; then
		it_pass "certutil -L -n returns the same certificate"
	else
		it_fail "certutil -L -n returns the same certificate" "$IT_LOG"
	fi

	it_check_fails "certutil -K with a wrong passcode is refused" \
		'SEC_ERROR_BAD_PASSWORD|[Ii]ncorrect password' cu -K -h "$LABEL" -f "$IT_TMP/wrong.txt"
	it_check_output "certutil -K lists the RSA key after login" \
		'^<[ 0-9]*> *rsa +01 +Authentication$' cu -K -h "$LABEL" -f "$IT_TMP/pw.txt"
	cp "$IT_LOG" "$IT_TMP/keys.txt"
	log_has "certutil -K lists the P-256 key after login" '^<[ 0-9]*> *ec +02 +Signing$'

	# certutil -R -k NICKNAME looks the key up by NSS's own CKA_ID (a SHA-1
	# of the public key), not by the certificate's CKA_ID, so the keys are
	# named by the ids certutil -K shows.
	csr_checks rsa "$(key_id rsa)" "$IT_TMP/rsa.pem"
	csr_checks ec "$(key_id ec)" "$IT_TMP/ec.pem"

	it_check "certutil -A adds the test CA to the database" \
		cu -A -n "careid test CA" -t "C,C,C" -i "$IT_TMP/ca.crt"
	printf 'careid NSS interoperability\n' >"$IT_TMP/message.txt"
	it_check "cmsutil -S signs with the certificate's key" \
		cmsutil -S -d "$DB" -f "$IT_TMP/pw.txt" -N "$NICK" -u 0 \
		-i "$IT_TMP/message.txt" -o "$IT_TMP/message.p7"
	it_check_output "openssl cms -verify accepts the signature" 'Verification successful' \
		openssl cms -verify -inform DER -in "$IT_TMP/message.p7" -CAfile "$IT_TMP/ca.crt" \
		-purpose any -out "$IT_TMP/message.out"
	if cmp -s "$IT_TMP/message.out" "$IT_TMP/message.txt"; then
		it_pass "the signed message carries the content"
	else
		it_fail "the signed message carries the content"
	fi

	it_check_output "tstclnt: TLS client authentication with the token's certificate" \
		'^Client certificate' tls_client_auth
	log_has "the server received the token's certificate" "Subject: .*CN *= *$LABEL\$"
	stop_server

	it_check_output "modutil -delete careid" 'Module "careid" deleted' mu -delete careid -force
	if mu -list >"$IT_LOG" 2>&1 && ! grep -Eq '^ *[0-9]+\. careid$' "$IT_LOG"; then
		it_pass "modutil -list no longer shows the module"
	else
		it_fail "modutil -list no longer shows the module" "$IT_LOG"
	fi

	it_summary
}

main "$@"
