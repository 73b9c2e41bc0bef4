# shellcheck shell=bash
# Helpers for the OpenSSL 3 provider tests (sourced, not run) on the soft
# token (tests/interop/openssl_provider.sh) and on the virtual card
# (tests/card/openssl_provider.sh).  They print what they did and return a
# status, so that either suite's check helpers can run them.
#
#   prov_init WORKDIR MODULE     find or build pkcs11-provider; write the
#                                p11ssl wrapper; exit 77 (SKIP) without it
#   p11ssl CMD ARGS...           openssl CMD with the pkcs11 provider
#   p11ssl_tls CMD ARGS...       the same, the default provider first
#   prov_init_conf PINFILE       p11ssl_conf: the provider from openssl.cnf
#   prov_init_hostile            p11ssl_hostile: a host that prefers pkcs11
#   prov_same_pubkey A B         two PEM public keys are the same key
#   prov_tls_login ...           client-certificate TLS through the provider
#
# CAREID_PROVIDER_TIMEOUT (seconds, default 20) bounds every openssl command
# that goes through the provider: a hang such as a login that deadlocks is
# a failure, never a stuck test run.  CAREID_PROVIDER_DEBUG=1 writes the
# provider's own trace to WORKDIR/provider-trace.log.

PROV_DIR=""
PROV_WRAPPER=""
PROV_WRAPPER_TLS=""
# More s_server options for prov_tls_login (an array), and the command
# that runs its s_client.
PROV_TLS_SERVER_OPTS=()
PROV_TLS_CLIENT=p11ssl_tls

# prov_wrapper PATH TIMEOUT PROVIDER_OPTIONS: a script that runs
# `openssl CMD PROVIDER_OPTIONS ARGS...` under a timeout.
prov_wrapper() {
	local path=$1 timeout=$2 order=$3 dir
	dir=$(printf '%q' "$PROV_DIR")
	cat >"$path" <<-EOF
		#!/usr/bin/env bash
		# openssl CMD ... with the pkcs11 and default providers; a hang is a failure.
		cmd=\$1
		shift
		timeout -k 5 $timeout openssl "\$cmd" -provider-path $dir $order "\$@" </dev/null
		rc=\$?
		if [[ \$rc == 124 || \$rc == 137 ]]; then
			echo "TIMEOUT: openssl \$cmd did not finish within ${timeout}s (hung)" >&2
		fi
		exit \$rc
	EOF
	chmod +x "$path"
}

# prov_init WORKDIR MODULE: PKCS11_PROVIDER_MODULE names MODULE, the module
# the client side loads (careid itself, or p11-kit-client.so on the remote
# route).
prov_init() {
	local work=$1 module=$2 here out rc timeout
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	# pkcs11-provider dlopens its module with RTLD_DEEPBIND, which the
	# AddressSanitizer runtime refuses (it aborts the process).
	if [[ "${LD_PRELOAD:-}" == *libasan* ]] || ldd "$module" 2>/dev/null | grep -q libasan; then
		echo "SKIP: pkcs11-provider loads modules with RTLD_DEEPBIND, which AddressSanitizer does not allow"
		exit 77
	fi
	out=$(bash "$here/provider_build.sh")
	rc=$?
	if [[ $rc -ne 0 ]]; then
		[[ -n "$out" ]] && printf '%s\n' "$out"
		[[ $rc -eq 77 ]] && exit 77
		echo "FAIL: pkcs11-provider could not be built"
		echo "0 passed, 1 failed"
		exit 1
	fi
	PROV_DIR=$out
	if [[ ! -f "$PROV_DIR/pkcs11.so" ]]; then
		echo "FAIL: no pkcs11.so in $PROV_DIR"
		echo "0 passed, 1 failed"
		exit 1
	fi
	export PKCS11_PROVIDER_MODULE=$module
	if [[ "${CAREID_PROVIDER_DEBUG:-0}" == 1 ]]; then
		export PKCS11_PROVIDER_DEBUG="file:$work/provider-trace.log,level:1"
	else
		unset PKCS11_PROVIDER_DEBUG
	fi
	# The host's own openssl.cnf stays out of the way: only the command
	# line loads providers.
	printf '# empty: providers come from the command line\n' >"$work/openssl-empty.cnf"
	export OPENSSL_CONF="$work/openssl-empty.cnf"

	timeout=${CAREID_PROVIDER_TIMEOUT:-20}
	prov_wrapper "$work/p11ssl" "$timeout" "-provider pkcs11 -provider default"
	prov_wrapper "$work/p11ssl-tls" "$timeout" "-provider default -provider pkcs11"
	PROV_WRAPPER=$work/p11ssl
	PROV_WRAPPER_TLS=$work/p11ssl-tls
	echo "provider: $PROV_DIR/pkcs11.so (PKCS11_PROVIDER_MODULE=$PKCS11_PROVIDER_MODULE)"
}

# p11ssl CMD ARGS...: openssl with the pkcs11 provider loaded first, as
# `-provider pkcs11 -provider default`: the provider then also answers the
# process's digests and key generation wherever the token can, which is
# what once routed careid's own passcode KDF back into careid.
p11ssl() {
	"$PROV_WRAPPER" "$@"
}

# p11ssl_tls CMD ARGS...: the default provider first.  A TLS handshake
# duplicates its transcript hash, which a PKCS#11 digest can only do
# through C_GetOperationState (optional, and careid does not offer it), and
# makes X25519 keys that careid cannot: only the token's own key belongs in
# the token, everything else stays in the default provider.
p11ssl_tls() {
	"$PROV_WRAPPER_TLS" "$@"
}

# prov_init_conf PINFILE: p11ssl_conf runs openssl with the providers
# from an openssl.cnf of its own, as a system would configure them: the
# default provider, then pkcs11 with its passcode in
# pkcs11-module-token-pin.  pkcs11-provider 1.2.0 takes the passcode of a
# key that needs one for every signature (CKA_ALWAYS_AUTHENTICATE, the
# card's 9C) only from there or from a prompt, never from the key's URI.
prov_init_conf() {
	local pinfile=$1 work cnf
	work=$(dirname "$PROV_WRAPPER")
	cnf=$work/openssl-pkcs11.cnf
	cat >"$cnf" <<-EOF
		# pkcs11-provider configured the way its HOWTO shows.
		openssl_conf = openssl_init
		[openssl_init]
		providers = provider_sect
		[provider_sect]
		default = default_sect
		pkcs11 = pkcs11_sect
		[default_sect]
		activate = 1
		[pkcs11_sect]
		module = $PROV_DIR/pkcs11.so
		pkcs11-module-token-pin = file:$pinfile
		activate = 1
	EOF
	prov_cnf_wrapper "$work/p11ssl-conf" "$cnf"
}

# prov_init_hostile: p11ssl_hostile runs openssl in the worst host for a
# module: the pkcs11 provider, loaded at start-up, is what the process's
# default library context prefers for every algorithm
# (default_properties = ?provider=pkcs11), so the process's SHA-256 is
# careid's own C_Digest through the provider.  careid must still log in
# and sign there: its own cryptography never comes from that context.
prov_init_hostile() {
	local work cnf
	work=$(dirname "$PROV_WRAPPER")
	cnf=$work/openssl-hostile.cnf
	cat >"$cnf" <<-EOF
		# A host whose OpenSSL prefers the pkcs11 provider for everything.
		openssl_conf = openssl_init
		[openssl_init]
		providers = provider_sect
		alg_section = algorithm_sect
		[algorithm_sect]
		default_properties = ?provider=pkcs11
		[provider_sect]
		pkcs11 = pkcs11_sect
		default = default_sect
		[default_sect]
		activate = 1
		[pkcs11_sect]
		module = $PROV_DIR/pkcs11.so
		pkcs11-module-load-behavior = early
		activate = 1
	EOF
	prov_cnf_wrapper "$work/p11ssl-hostile" "$cnf"
}

# prov_cnf_wrapper PATH CNF: a script that runs `openssl CMD ARGS...` with
# OPENSSL_CONF=CNF under a timeout.
prov_cnf_wrapper() {
	local path=$1 cnf=$2 timeout=${CAREID_PROVIDER_TIMEOUT:-20}
	cat >"$path" <<-EOF
		#!/usr/bin/env bash
		# openssl CMD ... with the providers of $cnf; a hang is a failure.
		cmd=\$1
		shift
		OPENSSL_CONF=$(printf '%q' "$cnf") timeout -k 5 $timeout openssl "\$cmd" "\$@" </dev/null
		rc=\$?
		if [[ \$rc == 124 || \$rc == 137 ]]; then
			echo "TIMEOUT: openssl \$cmd did not finish within ${timeout}s (hung)" >&2
		fi
		exit \$rc
	EOF
	chmod +x "$path"
}

p11ssl_hostile() {
	"$(dirname "$PROV_WRAPPER")/p11ssl-hostile" "$@"
}

p11ssl_conf() {
	"$(dirname "$PROV_WRAPPER")/p11ssl-conf" "$@"
}

# prov_spki_der IN_PEM OUT_DER: the key as a SubjectPublicKeyInfo with a
# named curve, by plain OpenSSL.  pkcs11-provider 1.2.0 writes EC keys with
# explicit curve parameters and RSA keys as PKCS#1 "RSA PUBLIC KEY", so
# keys are compared in this one form.
prov_spki_der() {
	local in=$1 out=$2
	if openssl pkey -pubin -in "$in" -noout -text 2>/dev/null | grep -q '^Field Type\|ASN1 OID\|NIST CURVE'; then
		openssl pkey -pubin -in "$in" -ec_param_enc named_curve -outform DER -out "$out"
	else
		openssl pkey -pubin -in "$in" -outform DER -out "$out"
	fi
}

# prov_same_pubkey A_PEM B_PEM
prov_same_pubkey() {
	local a=$1 b=$2
	prov_spki_der "$a" "$a.spki.der" && prov_spki_der "$b" "$b.spki.der" || return 1
	if cmp -s "$a.spki.der" "$b.spki.der"; then
		echo "same public key: $a $b"
		return 0
	fi
	echo "different public keys: $a $b"
	openssl pkey -pubin -in "$a" -noout -text
	openssl pkey -pubin -in "$b" -noout -text
	return 1
}

# prov_token_flags MODULE TOKEN_LABEL: the token's flags line as pkcs11-tool
# prints it (no login).
prov_token_flags() {
	pkcs11-tool --module "$1" -L 2>/dev/null | awk -v want="$2" '
		/^Slot / { label = "" }
		/token label *:/ { sub(/^[^:]*: */, ""); label = $0 }
		/token flags *:/ && label == want { sub(/^[^:]*: */, ""); print; exit }'
}

# prov_server_cert DIR CA_CRT CA_KEY: DIR/server.key and DIR/server.crt
# (CN=localhost, P-256) for prov_tls_login's s_server, issued by the CA.
prov_server_cert() {
	local dir=$1 ca_crt=$2 ca_key=$3
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/server.key" \
		-subj "/CN=localhost" -out "$dir/server.csr" &&
		openssl x509 -req -in "$dir/server.csr" -CA "$ca_crt" -CAkey "$ca_key" \
			-days 2 -set_serial "0x$(openssl rand -hex 8)" -out "$dir/server.crt"
}

# prov_tls_login DIR CA_FILE CLIENT_CERT CLIENT_KEY EXPECT_CN SIG_TYPE [s_client args...]
# A local `openssl s_server` on 127.0.0.1 (a free port the kernel picks)
# requires a client certificate and verifies it against CA_FILE (its own
# certificate and key are DIR/server.crt and DIR/server.key); `openssl
# s_client` through the provider logs in with CLIENT_CERT and CLIENT_KEY
# (pkcs11: URIs or files); CA_FILE also verifies the server for the client.
# Succeeds when both ends complete the handshake,
# the server verified the client's certificate, saw CN=EXPECT_CN and a
# client signature of SIG_TYPE (as s_server names it: RSA, RSA-PSS, ECDSA).
prov_tls_login() {
	local dir=$1 ca=$2 cert=$3 key=$4 cn=$5 sigtype=$6
	shift 6
	local slog="$dir/s_server.log" clog="$dir/s_client.log" spid port="" i rc sin
	: >"$slog"
	# s_server ends at the end of its input: it reads an open FIFO instead.
	rm -f "$dir/s_server.in"
	mkfifo "$dir/s_server.in" || return 1
	exec {sin}<>"$dir/s_server.in"
	openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert "$dir/server.crt" -key "$dir/server.key" \
		-CAfile "$ca" -Verify 1 -verify_return_error ${PROV_TLS_SERVER_OPTS[@]+"${PROV_TLS_SERVER_OPTS[@]}"} \
		<&"$sin" >"$slog" 2>&1 &
	spid=$!
	exec {sin}>&-
	for ((i = 0; i < 100; i++)); do
		port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$slog")
		[[ -n "$port" ]] && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	if [[ -z "$port" ]]; then
		echo "s_server did not start:"
		cat "$slog"
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		return 1
	fi
	echo "s_server (pid $spid) on 127.0.0.1:$port"
	"$PROV_TLS_CLIENT" s_client -connect "127.0.0.1:$port" -cert "$cert" -key "$key" \
		-CAfile "$ca" -verify_return_error "$@" </dev/null >"$clog" 2>&1
	rc=$?
	# -naccept 1: the server ends after this one connection.
	for ((i = 0; i < 100; i++)); do
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	echo "--- s_client (exit $rc)"
	grep -E 'TIMEOUT|error|Could not|Verify return|New, ' "$clog"
	echo "--- s_server"
	grep -E 'subject=|issuer=|error|ERROR|Peer sig|CIPHER' "$slog"
	[[ $rc -eq 0 ]] || { echo "s_client failed"; return 1; }
	grep -q 'Verify return code: 0 (ok)' "$clog" || { echo "s_client did not verify the server"; return 1; }
	if ! grep -Eq "^subject=.*CN ?= ?$cn(,|\$| )" "$slog"; then
		echo "the server did not see a client certificate with CN=$cn"
		return 1
	fi
	if ! grep -qx "Peer signature type: $sigtype" "$slog"; then
		echo "the client's signature was not of type $sigtype"
		return 1
	fi
	if grep -Eqi 'verify error|alert' "$slog"; then
		echo "the server reported an error"
		return 1
	fi
	echo "the server verified the client certificate CN=$cn"
}
