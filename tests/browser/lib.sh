# shellcheck shell=bash
# Helpers for the Firefox tests (sourced after tests/interop/common.sh, whose
# it_* bookkeeping they share).  A run builds, in the test's private
# directory ($IT_TMP or any directory given as FF_DIR):
#   ca/        a throwaway test CA, and a server certificate for 127.0.0.1
#   profile/   a fresh Firefox profile: NSS databases, the test CA trusted,
#              user.js with the Marionette port and automatic client
#              certificate selection
#   server     tests/browser/cn_server.py, answering "CN=<client CN>"
# and runs tests/browser/ffdrive.py on a plan of steps.

FF_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FF_DIR=""
FF_SERVER_PID=""
FF_PORT=""
FF_FIREFOX=""
# A command prefix for the Firefox run (the p11-kit route's private view).
FF_WRAP=()

# ff_need_firefox: the one reason these tests skip.
ff_need_firefox() {
	local f
	for f in firefox-esr firefox; do
		if command -v "$f" >/dev/null 2>&1 && "$f" --version 2>/dev/null | grep -q 'Mozilla Firefox'; then
			FF_FIREFOX=$(command -v "$f")
			break
		fi
	done
	if [[ -z "$FF_FIREFOX" ]]; then
		echo "SKIP: firefox-esr not installed (apt-get install firefox-esr)"
		exit 77
	fi
	local p
	for p in python3 certutil modutil openssl; do
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "FAIL: $p not installed (scripts/install-deps.sh installs it)"
			echo "0 passed, 1 failed"
			exit 1
		fi
	done
}

# A free TCP port on loopback (for Marionette: it cannot take port 0).
ff_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ff_make_ca DIR: test CA (ca.key, ca.crt) and a server certificate for
# 127.0.0.1 signed by it (server.key, server.crt).
ff_make_ca() {
	local dir=$1
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -keyout "$dir/ca.key" \
		-out "$dir/ca.crt" -days 30 -subj "/O=careid test/CN=careid browser test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || return 1
	cat >"$dir/server.ext" <<-EOF
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature,keyEncipherment
		extendedKeyUsage = serverAuth
		subjectAltName = IP:127.0.0.1,DNS:localhost
	EOF
	openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/server.key" \
		-subj "/O=careid test/CN=127.0.0.1" -out "$dir/server.csr" >/dev/null 2>&1 &&
		openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
			-days 30 -sha256 -set_serial "0x$(openssl rand -hex 8)" \
			-extfile "$dir/server.ext" -out "$dir/server.crt" >/dev/null 2>&1
}

# ff_issue_client_cert CA_DIR PUBKEY_PEM SUBJECT OUT_DER: a client
# authentication certificate for PUBKEY_PEM, valid two years.
ff_issue_client_cert() {
	local dir=$1 pub=$2 subject=$3 out=$4 days
	days=$(it_two_years_days)
	cat >"$dir/client.ext" <<-EOF
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature
		extendedKeyUsage = clientAuth
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
	openssl req -new -key "$dir/ca.key" -subj "$subject" -out "$dir/carrier.csr" >/dev/null 2>&1 &&
		openssl x509 -req -in "$dir/carrier.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
			-force_pubkey "$pub" -subj "$subject" -days "$days" -sha256 \
			-set_serial "0x$(openssl rand -hex 8)" -extfile "$dir/client.ext" \
			-outform DER -out "$out" >/dev/null 2>&1
}

# ff_soft_token LABEL SO_PIN USER_PIN CA_DIR: a soft token in the free slot
# with an RSA-2048 key pair (id 01) and its certificate
# O=careid test, OU=people, CN=LABEL under the same CKA_ID.
ff_soft_token() {
	local label=$1 so=$2 user=$3 ca=$4 slot
	slot=$(free_slot)
	[[ -n "$slot" ]] || { echo "no free slot"; p11 -L; return 1; }
	p11 --slot "$slot" --init-token --label "$label" --so-pin "$so" &&
		p11 --token-label "$label" --login --login-type so --so-pin "$so" --init-pin --new-pin "$user" &&
		p11 --token-label "$label" --login --pin "$user" --keypairgen --key-type rsa:2048 \
			--id 01 --label Authentication &&
		p11 --token-label "$label" --read-object --type pubkey --id 01 -o "$ca/auth-pub.der" &&
		openssl pkey -pubin -inform DER -in "$ca/auth-pub.der" -out "$ca/auth-pub.pem" &&
		ff_issue_client_cert "$ca" "$ca/auth-pub.pem" "/O=careid test/OU=people/CN=$label" "$ca/auth.der" &&
		p11 --token-label "$label" --login --pin "$user" --write-object "$ca/auth.der" \
			--type cert --id 01 --label Authentication
}

# ff_profile DIR CA_CRT: a fresh profile trusting CA_CRT.
ff_profile() {
	local dir=$1 ca=$2 port
	mkdir -p "$dir" &&
		certutil -N -d "sql:$dir" --empty-password </dev/null &&
		certutil -A -d "sql:$dir" -n "careid browser test CA" -t "CT,C,C" -i "$ca" </dev/null || return 1
	port=$(ff_free_port)
	cat >"$dir/user.js" <<-EOF
		user_pref("marionette.port", $port);
		user_pref("security.default_personal_cert", "Select Automatically");
		user_pref("security.remember_cert_checkbox_default_setting", false);
		user_pref("browser.shell.checkDefaultBrowser", false);
		user_pref("browser.startup.homepage_override.mstone", "ignore");
		user_pref("browser.startup.page", 0);
		user_pref("datareporting.policy.dataSubmissionEnabled", false);
		user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
		user_pref("app.update.disabledForTesting", true);
		user_pref("network.captive-portal-service.enabled", false);
		user_pref("network.connectivity-service.enabled", false);
		user_pref("browser.safebrowsing.update.enabled", false);
		user_pref("services.settings.server", "http://127.0.0.1:9/");
		user_pref("extensions.update.enabled", false);
		user_pref("security.OCSP.enabled", 0);
		user_pref("network.http.speculative-parallel-limit", 0);
		user_pref("network.dns.disablePrefetch", true);
		user_pref("network.prefetch-next", false);
	EOF
}

# ff_modutil_add PROFILE MODULE_PATH [NAME]
ff_modutil_add() {
	modutil -dbdir "sql:$1" -add "${3:-careid}" -libfile "$2" -force </dev/null
}

# ff_start_server CA_DIR CLIENT_CA...: cn_server.py on a free port ($FF_PORT).
ff_start_server() {
	local ca=$1 t
	shift
	local cas=()
	for c in "$@"; do cas+=(--client-ca "$c"); done
	rm -f "$FF_DIR/server.port"
	python3 "$FF_HERE/cn_server.py" --cert "$ca/server.crt" --key "$ca/server.key" \
		"${cas[@]}" --port-file "$FF_DIR/server.port" --log "$FF_DIR/server.log" \
		</dev/null >>"$FF_DIR/server.err" 2>&1 &
	FF_SERVER_PID=$!
	for ((t = 0; t < 100; t++)); do
		[[ -s "$FF_DIR/server.port" ]] && break
		sleep 0.1
	done
	FF_PORT=$(cat "$FF_DIR/server.port" 2>/dev/null)
	[[ -n "$FF_PORT" ]]
}

ff_stop_server() {
	if [[ -n "$FF_SERVER_PID" ]]; then
		kill "$FF_SERVER_PID" 2>/dev/null
		wait "$FF_SERVER_PID" 2>/dev/null
		FF_SERVER_PID=""
	fi
}

# ff_probe_without_cert CA_CRT: a TLS client without a certificate asks the
# server for a page; exits 0 only if it is answered.
ff_probe_without_cert() {
	python3 - "$FF_PORT" "$1" <<-'EOF'
		import socket, ssl, sys
		ctx = ssl.create_default_context(cafile=sys.argv[2])
		try:
		    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
		        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
		            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		            data = s.recv(4096)
		    if not data:
		        raise ConnectionError("closed without an answer")
		    print("answered:", data.split(b"\r\n")[0].decode())
		except (OSError, ssl.SSLError) as e:
		    print("refused:", e)
		    sys.exit(1)
	EOF
}

# ff_server_log_has PATTERN [SECONDS]: the server's log matches PATTERN
# (extended regular expression), waiting for it a little.
ff_server_log_has() {
	local t=$(( ${2:-5} * 10 ))
	while ((t-- > 0)); do
		grep -Eq -- "$1" "$FF_DIR/server.log" && return 0
		sleep 0.1
	done
	return 1
}

# ff_server_saw CN: the server logged a request whose client certificate
# had common name CN.
ff_server_saw() {
	grep -q "client CN=$1\$" "$FF_DIR/server.log"
}

# ff_run NAME PROFILE PLAN_JSON [TIMEOUT]: one Firefox run over the plan;
# its PASS/FAIL lines count as checks of this script.
ff_run() {
	local name=$1 profile=$2 plan=$3 timeout=${4:-150} out line
	out="$FF_DIR/$name.out"
	echo "# Firefox run: $name"
	${FF_WRAP[@]+"${FF_WRAP[@]}"} timeout -k 10 $((timeout + 30)) python3 "$FF_HERE/ffdrive.py" --firefox "$FF_FIREFOX" \
		--profile "$profile" --plan "$plan" --log "$FF_DIR/$name-firefox.log" \
		--timeout "$timeout" >"$out" 2>&1
	local rc=$?
	while IFS= read -r line; do
		case $line in
		"PASS: "*) IT_PASSED=$((IT_PASSED + 1)); printf '%s\n' "$line" ;;
		"FAIL: "*) IT_FAILED=$((IT_FAILED + 1)); printf '%s\n' "$line" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$out"
	if [[ $rc -ne 0 ]] && ! grep -q '^FAIL: ' "$out"; then
		it_fail "$name: the driver exited with status $rc" "$out"
	fi
	if grep -Eq 'Segmentation fault|SIGSEGV|ExceptionHandler' "$FF_DIR/$name-firefox.log" 2>/dev/null; then
		it_fail "$name: Firefox reported a crash" "$FF_DIR/$name-firefox.log"
	fi
}

# ff_no_stray PROFILE: no process is left running on the profile.
ff_no_stray() {
	! pgrep -f -- "--profile $1" >/dev/null 2>&1
}
