# shellcheck shell=bash
# Shared helpers for the interoperability scripts (sourced, not run).
#
# Every script prints one line per check ("PASS: ..." or "FAIL: ...", a
# failure followed by the tail of the command's output, indented), then
# "N passed, N failed", and exits non-zero when anything failed.  Exit
# status 77 tells meson that the script was skipped (a client program is
# not installed).
#
# Each script works in a private temporary directory with its own CAREID_CONF
# (token_dir inside it, kdf_cost = 10 so that tests stay fast) and its own
# XDG_DATA_HOME, so the user's real tokens are never touched.
#
# CAREID_REMOTE=1 runs a script "through the RPC", as in a container or a
# virtual desktop: it_setup starts a private `p11-kit server` that loads
# careid (with this run's CAREID_CONF and the rest of the environment) on
# a socket in the temporary directory, and the clients load
# p11-kit-client.so instead.  Scripts always hand $CAREID_MODULE to their
# clients (it is the client module in that mode); $CAREID_SERVED_MODULE is
# careid's own file in both modes, and $IT_REMOTE is 1 through the RPC.
# it_rpc_carries tells which mechanisms p11-kit's RPC cannot carry.

IT_PASSED=0
IT_FAILED=0
IT_TMP=""
IT_LOG=""
IT_REMOTE=0
IT_SERVER_PID=""

it_pass() {
	IT_PASSED=$((IT_PASSED + 1))
	printf 'PASS: %s\n' "$1"
}

# it_fail NAME [LOGFILE]
it_fail() {
	IT_FAILED=$((IT_FAILED + 1))
	printf 'FAIL: %s\n' "$1"
	if [[ -n "${2:-}" && -s "$2" ]]; then
		tail -n 15 "$2" | sed 's/^/      | /'
	fi
}

# it_check NAME CMD...: passes when CMD exits 0; its output goes to $IT_LOG.
it_check() {
	local name=$1
	shift
	if "$@" >"$IT_LOG" 2>&1; then
		it_pass "$name"
		return 0
	fi
	it_fail "$name" "$IT_LOG"
	return 1
}

# it_check_fails NAME PATTERN CMD...: passes when CMD exits non-zero and its
# output matches the extended regular expression PATTERN.
it_check_fails() {
	local name=$1 pattern=$2
	shift 2
	if "$@" >"$IT_LOG" 2>&1; then
		it_fail "$name (command succeeded, failure expected)" "$IT_LOG"
		return 1
	fi
	if grep -Eq -- "$pattern" "$IT_LOG"; then
		it_pass "$name"
		return 0
	fi
	it_fail "$name (expected output matching /$pattern/)" "$IT_LOG"
	return 1
}

# it_check_output NAME PATTERN CMD...: CMD exits 0 and its output matches.
it_check_output() {
	local name=$1 pattern=$2
	shift 2
	if ! "$@" >"$IT_LOG" 2>&1; then
		it_fail "$name (command failed)" "$IT_LOG"
		return 1
	fi
	if grep -Eq -- "$pattern" "$IT_LOG"; then
		it_pass "$name"
		return 0
	fi
	it_fail "$name (expected output matching /$pattern/)" "$IT_LOG"
	return 1
}

it_summary() {
	printf '%d passed, %d failed\n' "$IT_PASSED" "$IT_FAILED"
	[[ $IT_FAILED -eq 0 ]]
}

# CAREID_INTEROP_KEEP=1 keeps the temporary directory for inspection.
it_cleanup() {
	it_remote_stop
	if [[ -n "$IT_TMP" && -d "$IT_TMP" ]]; then
		if [[ "${CAREID_INTEROP_KEEP:-0}" == 1 ]]; then
			echo "kept $IT_TMP"
		else
			rm -rf -- "$IT_TMP"
		fi
	fi
}

# it_need PROGRAM...: skip the whole script when a client is missing.
it_need() {
	local prog
	for prog in "$@"; do
		if ! command -v "$prog" >/dev/null 2>&1; then
			printf 'SKIP: %s not installed\n' "$prog"
			exit 77
		fi
	done
}

# it_setup: private directory, configuration, module path.
it_setup() {
	local here repo
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	repo=$(cd "$here/../.." && pwd)

	if [[ -z "${CAREID_MODULE:-}" ]]; then
		CAREID_MODULE="$repo/build/src/careid-pkcs11.so"
	fi
	if [[ ! -f "$CAREID_MODULE" ]]; then
		printf 'FAIL: module not found: %s (set CAREID_MODULE)\n' "$CAREID_MODULE"
		printf '0 passed, 1 failed\n'
		exit 1
	fi
	export CAREID_MODULE
	CAREID_SERVED_MODULE=$CAREID_MODULE
	export CAREID_SERVED_MODULE
	if [[ "${CAREID_REMOTE:-0}" == 1 ]]; then
		IT_REMOTE=1
		it_remote_need
	fi

	IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/careid-interop.XXXXXX")
	trap it_cleanup EXIT
	IT_LOG="$IT_TMP/last.log"
	mkdir -m 0700 "$IT_TMP/tokens" "$IT_TMP/xdg"

	cat >"$IT_TMP/careid.conf" <<-EOF
		# Private configuration for one interoperability run.
		token_dir = $IT_TMP/tokens
		kdf_cost = 10
		card_readers = no
	EOF
	export CAREID_CONF="$IT_TMP/careid.conf"
	export XDG_DATA_HOME="$IT_TMP/xdg"
	export CAREID_LOG="${CAREID_LOG:-error}"

	# Lets the same scripts be tried against SoftHSM2 as a reference module.
	mkdir -m 0700 "$IT_TMP/softhsm"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$IT_TMP/softhsm" >"$IT_TMP/softhsm2.conf"
	export SOFTHSM2_CONF="$IT_TMP/softhsm2.conf"

	if ((IT_REMOTE)) && ! it_remote_start; then
		printf 'FAIL: p11-kit server did not start serving %s\n' "$CAREID_SERVED_MODULE"
		sed 's/^/      | /' "$IT_TMP/p11-kit-server.log"
		printf '0 passed, 1 failed\n'
		exit 1
	fi
}

# ---- the route through p11-kit's RPC (CAREID_REMOTE=1) ----------------

# The client half of p11-kit's RPC, or nothing.
it_p11kit_client() {
	local path
	for path in "${CAREID_P11KIT_CLIENT:-}" /usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so \
		/usr/lib/*/pkcs11/p11-kit-client.so /usr/lib64/pkcs11/p11-kit-client.so; do
		if [[ -n "$path" && -f "$path" ]]; then
			echo "$path"
			return 0
		fi
	done
	return 1
}

# Skips the script when the RPC cannot be set up here.
it_remote_need() {
	command -v p11-kit >/dev/null 2>&1 || { echo "SKIP: p11-kit not installed"; exit 77; }
	it_p11kit_client >/dev/null ||
		{ echo "SKIP: p11-kit-client.so (package p11-kit-modules) not installed"; exit 77; }
}

# it_remote_start: a private p11-kit server for careid on a socket in
# IT_TMP; the clients of the script then load p11-kit-client.so.  The
# server inherits this shell's environment, so careid reads the run's own
# CAREID_CONF.  "pkcs11:" forwards every slot, and each connection gets a
# careid of its own (the server runs p11-kit-remote for it), so a token
# made through the RPC is there at the next connection.
it_remote_start() {
	local client i
	client=$(it_p11kit_client) || return 1
	IT_SERVER_SOCKET="$IT_TMP/p11-kit.sock"
	p11-kit server --foreground --provider "$CAREID_SERVED_MODULE" \
		--name "$IT_SERVER_SOCKET" "pkcs11:" </dev/null >"$IT_TMP/p11-kit-server.log" 2>&1 &
	IT_SERVER_PID=$!
	for ((i = 0; i < 100; i++)); do
		[[ -S "$IT_SERVER_SOCKET" ]] && break
		kill -0 "$IT_SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [[ ! -S "$IT_SERVER_SOCKET" ]]; then
		it_remote_stop
		return 1
	fi
	export P11_KIT_SERVER_ADDRESS="unix:path=$IT_SERVER_SOCKET"
	CAREID_MODULE=$client
	export CAREID_MODULE
	printf 'route: p11-kit RPC: %s -> p11-kit server (pid %s) -> %s\n' \
		"$CAREID_MODULE" "$IT_SERVER_PID" "$CAREID_SERVED_MODULE"
}

it_remote_stop() {
	if [[ -n "$IT_SERVER_PID" ]]; then
		kill "$IT_SERVER_PID" 2>/dev/null
		wait "$IT_SERVER_PID" 2>/dev/null
		IT_SERVER_PID=""
	fi
}

# it_rpc_carries MECH: false when the script runs through the RPC and
# MECH (pkcs11-tool's name) is one that p11-kit's RPC cannot carry.  The
# RPC has an allow-list of mechanisms whose parameters it can serialise;
# p11-kit 0.24 leaves out, among careid's, the ECDSA-with-hash mechanisms,
# the SHA-n-RSA-PKCS-PSS ones, EdDSA, SHA-224 and ECDH, and its client
# drops them from the mechanism list (C_SignInit: CKR_MECHANISM_INVALID).
# A client then hashes locally and signs with CKM_ECDSA or CKM_RSA_PKCS_PSS
# (docs/remote.md).  A mechanism the client does list is carried (a newer
# p11-kit), and one that is missing but not a known limit counts as
# carried, so that its check runs and fails.
it_rpc_carries() {
	local mech=${1^^}
	((IT_REMOTE)) || return 0
	if [[ ! -s "$IT_TMP/rpc-mechanisms.txt" ]]; then
		p11 -M >"$IT_TMP/rpc-mechanisms.txt" 2>&1
	fi
	grep -Eq "^ *$mech," "$IT_TMP/rpc-mechanisms.txt" && return 0
	case $mech in
	ECDSA-SHA224 | ECDSA-SHA256 | ECDSA-SHA384 | ECDSA-SHA512 | EDDSA | SHA224 | \
		SHA224-RSA-PKCS | SHA*-RSA-PKCS-PSS | ECDH1-DERIVE | EC-EDWARDS-KEY-PAIR-GEN)
		printf 'NOTE: p11-kit'"'"'s RPC does not carry %s; the check below does what a remote client does instead\n' "$mech"
		return 1
		;;
	esac
	return 0
}

# it_make_ca DIR: a throwaway CA (ca.key, ca.crt) in DIR.
it_make_ca() {
	local dir=$1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" \
		-out "$dir/ca.crt" -days 30 -subj "/O=careid test/CN=careid test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
}

# it_issue_cert DIR PUBKEY_PEM SUBJECT OUT_DER: a certificate for PUBKEY_PEM
# from the CA in DIR, valid for exactly two calendar years from now.
it_issue_cert() {
	local dir=$1 pub=$2 subject=$3 out=$4 days
	days=$(it_two_years_days)
	openssl req -new -key "$dir/ca.key" -subj "$subject" -out "$dir/req.csr" >/dev/null 2>&1 &&
	openssl x509 -req -in "$dir/req.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-force_pubkey "$pub" -subj "$subject" -days "$days" \
		-set_serial "0x$(openssl rand -hex 8)" -outform DER -out "$out" >/dev/null 2>&1
}

# Days from now to the same instant two calendar years later (730 or 731).
it_two_years_days() {
	local now later
	now=$(date -u +%s)
	later=$(date -u -d "$(date -u -d "@$now" '+%Y-%m-%d %H:%M:%S') UTC +2 years" +%s)
	echo $(((later - now) / 86400))
}

it_hex2bin() {
	perl -e 'print pack("H*", $ARGV[0])' "$1"
}

# it_ec_pubkey_from_attributes TOKEN_LABEL ID OUT_PEM: a SubjectPublicKeyInfo
# assembled from the CKA_EC_PARAMS and CKA_EC_POINT that pkcs11-tool -O
# prints.  pkcs11-tool 0.23's --read-object cannot export every EC key (it
# reads freed memory while building the key), so this is the fallback.
it_ec_pubkey_from_attributes() {
	local label=$1 id=$2 out=$3 listing point params curve n
	# -O does not filter by id: pick the public key object whose ID matches.
	listing=$(pkcs11-tool --module "$CAREID_MODULE" --token-label "$label" -O --type pubkey 2>/dev/null |
		awk -v want="$id" '
		/^[^ \t]/ { point = ""; params = ""; pub = ($0 ~ /^Public Key Object/) }
		/EC_POINT:/ { point = $2 }
		/EC_PARAMS:/ { params = $2 }
		/^ *ID:/ && pub && tolower($2) == tolower(want) { print point, params; exit }') || return 1
	read -r point params <<<"$listing"
	[[ -n "$point" && -n "$params" ]] || return 1
	curve=$(it_hex2bin "$params" | openssl asn1parse -inform DER | sed -n 's/.*OBJECT *://p')
	[[ -n "$curve" ]] || return 1
	# CKA_EC_POINT is normally a DER OCTET STRING around the point.
	n=$((${#point} / 2))
	if [[ ${point:0:2} == 04 ]]; then
		case ${point:2:2} in
		81) ((16#${point:4:2} == n - 3)) && point=${point:6} ;;
		82) ((16#${point:4:4} == n - 4)) && point=${point:8} ;;
		*) ((16#${point:2:2} == n - 2)) && point=${point:4} ;;
		esac
	fi
	cat >"$IT_TMP/spki-$id.cnf" <<-EOF
		asn1 = SEQUENCE:spki
		[spki]
		algorithm = SEQUENCE:alg
		key = FORMAT:HEX,BITSTRING:$point
		[alg]
		oid = OID:id-ecPublicKey
		curve = OID:$curve
	EOF
	openssl asn1parse -genconf "$IT_TMP/spki-$id.cnf" -out "$IT_TMP/spki-$id.der" -noout >/dev/null &&
		openssl pkey -pubin -inform DER -in "$IT_TMP/spki-$id.der" -out "$out"
}

# it_pubkey_pem TOKEN_LABEL ID OUT_PEM: the public key with CKA_ID ID, as PEM.
it_pubkey_pem() {
	local label=$1 id=$2 out=$3
	if pkcs11-tool --module "$CAREID_MODULE" --token-label "$label" --read-object \
		--type pubkey --id "$id" -o "$IT_TMP/pub-$id.der" &&
		openssl pkey -pubin -inform DER -in "$IT_TMP/pub-$id.der" -out "$out"; then
		return 0
	fi
	echo "--read-object failed; building the key from its attributes"
	it_ec_pubkey_from_attributes "$label" "$id" "$out"
}

# pkcs11-tool on the module under test; tok: on the token labelled $LABEL
# (each script sets LABEL, SO_PIN and USER_PIN).
p11() {
	pkcs11-tool --module "$CAREID_MODULE" "$@"
}

tok() {
	p11 --token-label "$LABEL" "$@"
}

# Slot id (as 0x...) of the first slot whose token is not initialised.
free_slot() {
	p11 -L 2>/dev/null | awk '
		/^Slot / { id = $3; gsub(/[():]/, "", id) }
		/token state: *uninitialized/ { print id; exit }'
}

# it_token_with_keys RSA_LABEL EC_LABEL: a new token $LABEL in the free slot
# (SO passcode $SO_PIN, user passcode $USER_PIN) holding an RSA-2048 key
# pair with id 01 and a P-256 one with id 02, made with pkcs11-tool; their
# public keys go to $IT_TMP/rsa.pem and $IT_TMP/ec.pem.
it_token_with_keys() {
	local slot
	slot=$(free_slot)
	[[ -n "$slot" ]] || { echo "no free slot"; p11 -L; return 1; }
	p11 --slot "$slot" --init-token --label "$LABEL" --so-pin "$SO_PIN" &&
		tok --login --login-type so --so-pin "$SO_PIN" --init-pin --new-pin "$USER_PIN" &&
		tok --login --pin "$USER_PIN" --keypairgen --key-type rsa:2048 --id 01 --label "$1" &&
		tok --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 02 --label "$2" &&
		it_pubkey_pem "$LABEL" 01 "$IT_TMP/rsa.pem" &&
		it_pubkey_pem "$LABEL" 02 "$IT_TMP/ec.pem"
}
