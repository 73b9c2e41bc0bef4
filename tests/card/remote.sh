#!/bin/bash
# shellcheck disable=SC2317  # the helpers are run through check()
# The client programs on a fresh virtual Care Identity card in the private
# PC/SC rig, twice: loading careid directly ("local"), then through
# p11-kit's RPC ("rpc": a private `p11-kit server` serving careid on a
# socket, the clients loading p11-kit-client.so), as on a virtual desktop
# whose card is in the reader of the machine that runs the server.  Each
# route runs the same checks: pkcs11-tool (listing, login, both keys'
# signatures checked by openssl, a wrong passcode costing one try on the
# card), the OpenSSL engine, GnuTLS's p11tool, NSS (certificates without
# login, keys after it, TLS client authentication with the card's key)
# and the card pulled and put back.  On the rpc route the card's OpenSSL 3
# provider test (tests/card/openssl_provider.sh, when present) runs too,
# its clients loading p11-kit-client.so; it runs directly as card_openssl_provider.
#
# p11-kit 0.24's RPC does not carry CKM_ECDSA_SHA256 (docs/remote.md):
# on the rpc route the 9C signature is made as a client there must make
# it, the SHA-256 digest computed here and signed with CKM_ECDSA.
#
# Run: CAREID_MODULE=build/src/careid-pkcs11.so \
#      CAREID_VCARD=build/src/vcard/careid-vcard tests/card/remote.sh
# (as root; prints SKIP and exits 77 otherwise).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/card/lib.sh
. "$here/lib.sh"
rig_enter "$0" -- "$@"

card_need pkcs11-tool openssl p11-kit p11tool certutil modutil tstclnt
CLIENT=
for c in "${CAREID_P11KIT_CLIENT:-}" /usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so \
	/usr/lib/*/pkcs11/p11-kit-client.so; do
	if [ -n "$c" ] && [ -f "$c" ]; then CLIENT=$c; break; fi
done
[ -n "$CLIENT" ] || { echo "SKIP: p11-kit-client.so (package p11-kit-modules) not installed"; exit 77; }
ENGINE=
for e in /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so /usr/lib/*/engines-3/pkcs11.so; do
	if [ -f "$e" ]; then ENGINE=$e; break; fi
done
[ -n "$ENGINE" ] || { echo "SKIP: libp11 engine (libengine-pkcs11-openssl) not installed"; exit 77; }

work=$CAREID_RIG_DIR/remote
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/log
# Soft tokens in a directory of the rig's own, so no host token shows up.
printf 'token_dir = %s/tokens\ncard_readers = yes\n' "$work" > careid.conf
export CAREID_CONF=$work/careid.conf
export CAREID_LOG=${CAREID_LOG:-error}

uuid=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
PIN=123456
echo "careid card test data through each route" > data.txt
openssl dgst -sha256 -binary data.txt > digest.bin
printf '%s\n' "$PIN" > pw.txt
printf '000000\n' > wrong.txt
printf 'GET / HTTP/1.0\r\n\r\n' > get.txt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
	-out server.crt -days 30 -subj "/CN=localhost" >>"$CAREID_TEST_LOG" 2>&1

server_pid=
# shellcheck disable=SC2317  # invoked by trap
stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
		server_pid=
	fi
}
trap stop_server EXIT

# Everything a check runs goes through the module in $LOADED.
p11() { pkcs11-tool --module "$LOADED" --token-label "$uuid" "$@"; }
tries_left() { grep -q "^pin $1 " "$CAREID_STATE"; }
token_listed() { pkcs11-tool --module "$LOADED" -L 2>&1 | grep -q "token label *: $uuid"; }
token_not_listed() { ! token_listed; }
certs_without_login() { test "$(p11 -O 2>/dev/null | grep -c '^Certificate Object')" = 2; }
keys_after_login() { test "$(p11 -l --pin "$PIN" -O 2>/dev/null | grep -c '^Private Key Object')" = 2; }
same_file() { cmp "$1" "$2"; }
restores_tries() { p11 -l --pin "$PIN" -O && tries_left 3; }

sign_rsa() {
	p11 -l --pin "$PIN" --id 01 -s -m SHA256-RSA-PKCS -i data.txt -o "$1-s9a.bin" &&
		openssl dgst -sha256 -verify p9a.pem -signature "$1-s9a.bin" data.txt
}
sign_ec_hash() {
	p11 -l --pin "$PIN" --id 02 -s -m ECDSA-SHA256 --signature-format openssl \
		-i data.txt -o "$1-s9c.bin" &&
		openssl dgst -sha256 -verify p9c.pem -signature "$1-s9c.bin" data.txt
}
sign_ec_digest() {
	p11 -l --pin "$PIN" --id 02 -s -m ECDSA --signature-format openssl \
		-i digest.bin -o "$1-s9c-raw.bin" &&
		openssl pkeyutl -verify -pubin -inkey p9c.pem -sigfile "$1-s9c-raw.bin" -in digest.bin
}

engine_sign() {
	local route=$1 id=$2 pub=$3
	OPENSSL_CONF=$work/$route-openssl.cnf openssl pkeyutl -engine pkcs11 -keyform engine \
		-inkey "pkcs11:token=$uuid;id=%$id;type=private;pin-value=$PIN" -sign \
		-in digest.bin -out "$route-engine-$id.sig" &&
		openssl pkeyutl -verify -pubin -inkey "$pub" -in digest.bin -sigfile "$route-engine-$id.sig"
}

# The 02 key (9C) wants a context-specific login before each signature,
# which the libp11 engine asks for at a terminal prompt only: there it is
# loaded by URI, and its public half must be the certificate's.
engine_load() {
	local route=$1 id=$2 pub=$3
	OPENSSL_CONF=$work/$route-openssl.cnf openssl pkey -engine pkcs11 -inform engine \
		-in "pkcs11:token=$uuid;id=%$id;type=private;pin-value=$PIN" -pubout \
		-out "$route-engine-$id.pem" &&
		cmp "$route-engine-$id.pem" "$pub"
}

gt() { p11tool --provider "$LOADED" "$@"; }
test_sign() {
	GNUTLS_PIN=$PIN gt --batch --login --test-sign "pkcs11:token=$uuid;object=$1;type=private" 2>&1 |
		grep -Eq 'Verifying against public key in the token\.*\s*ok'
}
p11tool_wrong_pin() {
	! GNUTLS_PIN=000000 gt --batch --login --test-sign \
		"pkcs11:token=$uuid;object=Authentication;type=private"
}

nss_db() {
	rm -rf "$1-nssdb" && mkdir -m 0700 "$1-nssdb" &&
		certutil -N -d "sql:$work/$1-nssdb" --empty-password </dev/null &&
		modutil -dbdir "sql:$work/$1-nssdb" -add careid -libfile "$LOADED" -force </dev/null
}
nss_certs() {
	certutil -d "sql:$work/$1-nssdb" -L -h "$uuid" </dev/null > "$1-nss-certs.txt" 2>&1 &&
		grep -q "^$uuid:Authentication " "$1-nss-certs.txt" &&
		grep -q "^$uuid:Digital Signature " "$1-nss-certs.txt"
}
nss_keys() {
	certutil -d "sql:$work/$1-nssdb" -K -h "$uuid" -f pw.txt </dev/null > "$1-nss-keys.txt" 2>&1 &&
		grep -Eq '^<[ 0-9]*> *rsa +01 +Authentication$' "$1-nss-keys.txt" &&
		grep -Eq '^<[ 0-9]*> *ec +02 +Digital Signature$' "$1-nss-keys.txt"
}
nss_wrong_pin() {
	! certutil -d "sql:$work/$1-nssdb" -K -h "$uuid" -f wrong.txt </dev/null
}
# tstclnt authenticates with the 9A key and certificate; s_server asks for
# a client certificate (its issuer, the virtual card's CA, is not known
# here, so the chain is not verified; the CertificateVerify signature is).
nss_tls() {
	local route=$1 port='' pid
	openssl s_server -accept 127.0.0.1:0 -naccept 1 -www -cert server.crt -key server.key \
		-Verify 1 </dev/null > "$route-server.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' "$route-server.log")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { kill "$pid"; return 1; }
	timeout 120 tstclnt -h 127.0.0.1 -p "$port" -d "sql:$work/$route-nssdb" \
		-n "$uuid:Authentication" -W pw.txt -o -A get.txt </dev/null > "$route-tls.txt" 2>&1
	wait "$pid"
	grep -q '^Client certificate' "$route-tls.txt" &&
		grep -Eq "Subject: .*CN *= *$uuid" "$route-tls.txt"
}

# The card's provider test with its clients on p11-kit-client.so (careid
# runs in the server, with this script's configuration); its checks count
# here, marked "[rpc] provider:".
provider_via_rpc() {
	local out=$work/rpc-provider.log rc p f
	CAREID_MODULE=$LOADED bash "$here/openssl_provider.sh" >"$out" 2>&1
	rc=$?
	if [ "$rc" = 77 ]; then
		echo "# [rpc] provider: $(grep -m1 '^SKIP' "$out")"
		return
	fi
	sed -n 's/^\(ok\|not ok\) - /\1 - [rpc] provider: /p' "$out"
	read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" != 0 ] && [ "${f:-0}" = 0 ]; then
		not_ok "[rpc] provider: tests/card/openssl_provider.sh ended with status $rc (see $out)"
	fi
}

# route NAME: every check through the module the route loads.
route() {
	local r=$1
	case $r in
	local)
		LOADED=$M
		;;
	rpc)
		p11-kit server --foreground --provider "$M" --name "$work/p11-kit.sock" "pkcs11:" \
			</dev/null > p11-kit-server.log 2>&1 &
		server_pid=$!
		for _ in $(seq 100); do
			[ -S "$work/p11-kit.sock" ] && break
			sleep 0.1
		done
		if [ ! -S "$work/p11-kit.sock" ]; then
			not_ok "[rpc] p11-kit server listens on its socket (see $work/p11-kit-server.log)"
			return
		fi
		export P11_KIT_SERVER_ADDRESS=unix:path=$work/p11-kit.sock
		LOADED=$CLIENT
		;;
	esac
	echo "# route $r: clients load $LOADED"

	# ---- pkcs11-tool ----
	check "[$r] pkcs11-tool -L shows the card token labelled with the UUID" token_listed
	check "[$r] -O without login lists exactly two certificates" certs_without_login
	check "[$r] login with the passcode shows two private keys" keys_after_login
	p11 -r --id 01 --type cert -o "$r-c9a.der" >>"$CAREID_TEST_LOG" 2>&1
	p11 -r --id 02 --type cert -o "$r-c9c.der" >>"$CAREID_TEST_LOG" 2>&1
	if [ "$r" = local ]; then
		openssl x509 -inform DER -in local-c9a.der -pubkey -noout -out p9a.pem >>"$CAREID_TEST_LOG" 2>&1
		openssl x509 -inform DER -in local-c9c.der -pubkey -noout -out p9c.pem >>"$CAREID_TEST_LOG" 2>&1
		check "[$r] certificate 01 carries the UUID" \
			grep -q "CN *= *$uuid" <(openssl x509 -inform DER -in local-c9a.der -noout -subject 2>/dev/null)
		check "[$r] certificate 02 carries the UUID" \
			grep -q "CN *= *$uuid" <(openssl x509 -inform DER -in local-c9c.der -noout -subject 2>/dev/null)
	else
		check "[$r] certificate 01 is the one read directly" same_file rpc-c9a.der local-c9a.der
		check "[$r] certificate 02 is the one read directly" same_file rpc-c9c.der local-c9c.der
	fi
	check "[$r] 01 signs (SHA256-RSA-PKCS) and openssl verifies it against the certificate" sign_rsa "$r"
	if [ "$r" = local ]; then
		check "[$r] 02 signs (ECDSA-SHA256, context-specific login) and openssl verifies it" \
			sign_ec_hash "$r"
	else
		echo "# p11-kit's RPC does not carry ECDSA-SHA256: the digest is made here, CKM_ECDSA signs it"
		check "[$r] 02 signs (ECDSA over a SHA-256 digest made here, context-specific login) and openssl verifies it" \
			sign_ec_digest "$r"
	fi
	check "[$r] 02 signs a digest with CKM_ECDSA and openssl verifies it" sign_ec_digest "$r"
	check_fails "[$r] a wrong passcode is refused" p11 -l --pin 000000 -O
	check "[$r] the wrong try is on the card (2 left)" tries_left 2
	check "[$r] the right passcode logs in" p11 -l --pin "$PIN" -O
	check "[$r] three tries on the card again" tries_left 3

	# ---- OpenSSL engine ----
	cat > "$r-openssl.cnf" <<-EOF
		openssl_conf = openssl_init
		[openssl_init]
		engines = engine_section
		[engine_section]
		pkcs11 = pkcs11_section
		[pkcs11_section]
		engine_id = pkcs11
		dynamic_path = $ENGINE
		MODULE_PATH = $LOADED
		init = 0
	EOF
	check "[$r] engine: pkeyutl signs with 01 by URI and openssl verifies it" engine_sign "$r" 01 p9a.pem
	check "[$r] engine: loads the 02 private key by URI, with the certificate's public key" \
		engine_load "$r" 02 p9c.pem

	# ---- GnuTLS p11tool ----
	check "[$r] p11tool --list-tokens shows the card" \
		grep -q "Label: *$uuid" <(gt --list-tokens 2>/dev/null)
	check "[$r] p11tool --test-sign with 01" test_sign Authentication
	check "[$r] p11tool --test-sign with 02" test_sign "Digital%20Signature"
	check "[$r] p11tool: a wrong passcode is refused" p11tool_wrong_pin
	check "[$r] the right passcode restores three tries" restores_tries

	# ---- NSS ----
	check "[$r] NSS: modutil adds the module to a new database" nss_db "$r"
	check "[$r] NSS: certutil -L -h shows both certificates without a password" nss_certs "$r"
	check "[$r] NSS: certutil -K lists both keys after login" nss_keys "$r"
	check "[$r] NSS: a wrong passcode is refused" nss_wrong_pin "$r"
	check "[$r] NSS: tstclnt authenticates to s_server with the card's key" nss_tls "$r"
	check "[$r] three tries on the card after NSS's login" tries_left 3

	# ---- OpenSSL 3 provider ----
	if [ "$r" = rpc ] && [ -f "$here/openssl_provider.sh" ]; then
		provider_via_rpc
		check "[$r] three tries on the card after the provider's checks" tries_left 3
	fi

	# ---- the card pulled and put back ----
	check "[$r] card removed" card_remove
	check "[$r] -L no longer shows the card's token" token_not_listed
	check "[$r] card re-inserted" card_insert
	check "[$r] -L shows the token again" token_listed
	check "[$r] 01 signs again after re-insertion" sign_rsa "$r-again"

	stop_server
	unset P11_KIT_SERVER_ADDRESS
}

route local
route rpc
finish
