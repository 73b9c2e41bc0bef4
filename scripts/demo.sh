#!/usr/bin/env bash
# End-to-end demonstration of careid on a fresh Debian 12 machine:
#
#   1. installs the build dependencies (nothing when already present),
#   2. builds the module (meson + ninja, in build/),
#   3. creates a soft token ("virtual smartcard") in a temporary directory,
#      sets its SO and user passcodes, generates the RSA-2048
#      authentication key pair on it,
#   4. issues a two-year certificate for that key from a throwaway demo CA,
#      subject "O=careid demo, OU=people, CN=<12-digit UUID>", and stores it
#      on the token next to the key (same CKA_ID),
#   5. lists the token and its objects, signs data on the token and
#      verifies the signature with openssl against the certificate,
#   6. does the same with a card: the project's virtual Care Identity card
#      in a private pcscd (scripts/demo-card.sh inside tests/card/rig.sh).
#      That needs root (a mount namespace); elsewhere it is skipped and
#      the summary says so,
#   7. logs in to the soft token from Firefox (headless firefox-esr, a
#      fresh profile) and authenticates with its certificate to a local TLS
#      server that shows the CN it saw; skipped without firefox-esr.
#
# The passcodes below are demo values, printed on purpose.  Nothing outside
# the temporary directory is touched; set CAREID_DEMO_KEEP=1 to keep it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR="${BUILD_DIR:-$REPO/build}"
# With CAREID_MODULE set, the demo uses that module and skips the build.
MODULE="${CAREID_MODULE:-$BUILD_DIR/src/careid-pkcs11.so}"

DEMO_SO_PIN="87654321"   # demo security-officer passcode
DEMO_USER_PIN="123456"   # demo user passcode
KEY_ID="01"
KEY_LABEL="Authentication"

WORK=""
PASSED=()
FAILED=()
SKIPPED=()

say() {
	printf '\n==> %s\n' "$*"
}

cleanup() {
	if [[ -n "$WORK" && -d "$WORK" ]]; then
		if [[ "${CAREID_DEMO_KEEP:-0}" == 1 ]]; then
			echo "demo files kept in $WORK"
		else
			rm -rf -- "$WORK"
		fi
	fi
}

summary() {
	local item
	printf '\n==== careid demo summary ====\n'
	for item in "${PASSED[@]}"; do
		printf 'PASS  %s\n' "$item"
	done
	for item in "${FAILED[@]}"; do
		printf 'FAIL  %s\n' "$item"
	done
	for item in "${SKIPPED[@]}"; do
		printf 'SKIP  %s\n' "$item"
	done
	if ((${#FAILED[@]} == 0)); then
		printf 'RESULT: PASS (%d checks)\n' "${#PASSED[@]}"
	else
		printf 'RESULT: FAIL (%d of %d checks failed)\n' "${#FAILED[@]}" \
			$((${#PASSED[@]} + ${#FAILED[@]}))
	fi
}

# step NAME CMD...: runs CMD with its output shown; a failure ends the demo.
step() {
	local name=$1
	shift
	say "$name"
	if "$@"; then
		PASSED+=("$name")
	else
		FAILED+=("$name")
		summary
		exit 1
	fi
}

p11() {
	pkcs11-tool --module "$MODULE" "$@"
}

tok() {
	p11 --token-label "$UUID" "$@"
}

random_uuid() {
	local n
	n=$(od -An -N5 -tu8 /dev/urandom | tr -d ' ')
	printf '%012d' $((n % 1000000000000))
}

install_deps() {
	"$REPO/scripts/install-deps.sh"
}

build() {
	if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
		meson setup "$BUILD_DIR" "$REPO"
	fi
	# The demo needs only the module and the virtual card.
	ninja -C "$BUILD_DIR" src/careid-pkcs11.so src/vcard/careid-vcard src/tool/careid-tool
	[[ -f "$MODULE" ]] || { echo "module not built: $MODULE" >&2; return 1; }
}

make_workspace() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/careid-demo.XXXXXX")
	mkdir -m 0700 "$WORK/tokens" "$WORK/ca" "$WORK/xdg"
	cat >"$WORK/careid.conf" <<-EOF
		# careid demo configuration: tokens live in this directory only.
		token_dir = $WORK/tokens
		kdf_cost = 12
		card_readers = no
	EOF
	export CAREID_CONF="$WORK/careid.conf"
	export XDG_DATA_HOME="$WORK/xdg"
	export CAREID_LOG="${CAREID_LOG:-warn}"
	echo "workspace:     $WORK"
	echo "CAREID_CONF:   $CAREID_CONF"
	echo "module:        $MODULE"
	echo "card UUID:     $UUID"
}

free_slot() {
	p11 -L | awk '
		/^Slot / { id = $3; gsub(/[():]/, "", id) }
		/token state: *uninitialized/ { print id; exit }'
}

init_token() {
	local slot
	slot=$(free_slot)
	if [[ -z "$slot" ]]; then
		echo "no free slot offered by the module" >&2
		p11 -L
		return 1
	fi
	echo "free slot: $slot; token label: $UUID; demo SO passcode: $DEMO_SO_PIN"
	p11 --slot "$slot" --init-token --label "$UUID" --so-pin "$DEMO_SO_PIN"
}

init_user_pin() {
	echo "demo user passcode: $DEMO_USER_PIN"
	tok --login --login-type so --so-pin "$DEMO_SO_PIN" --init-pin --new-pin "$DEMO_USER_PIN"
}

keypairgen() {
	tok --login --pin "$DEMO_USER_PIN" --keypairgen --key-type rsa:2048 \
		--id "$KEY_ID" --label "$KEY_LABEL"
}

export_pubkey() {
	tok --read-object --type pubkey --id "$KEY_ID" -o "$WORK/auth-pub.der" &&
		openssl pkey -pubin -inform DER -in "$WORK/auth-pub.der" -out "$WORK/auth-pub.pem" &&
		cat "$WORK/auth-pub.pem"
}

make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 \
		-keyout "$WORK/ca/ca.key" -out "$WORK/ca/ca.crt" -days 3650 \
		-subj "/O=careid demo/OU=registration authority/CN=careid demo CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null &&
		openssl x509 -in "$WORK/ca/ca.crt" -noout -subject -enddate
}

# Days from now to the same instant two calendar years later (730 or 731),
# so that notAfter = notBefore + 2 years exactly.
two_years_in_days() {
	local now later
	now=$(date -u +%s)
	later=$(date -u -d "$(date -u -d "@$now" '+%Y-%m-%d %H:%M:%S') UTC +2 years" +%s)
	echo $(((later - now) / 86400))
}

issue_cert() {
	local days subject="/O=careid demo/OU=people/CN=$UUID"
	days=$(two_years_in_days)
	cat >"$WORK/ca/auth.ext" <<-EOF
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature
		extendedKeyUsage = clientAuth
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
	# openssl 3.0 issues from a request; the request is only a carrier for
	# the subject, the certificate gets the token's public key.
	openssl req -new -key "$WORK/ca/ca.key" -subj "$subject" -out "$WORK/ca/carrier.csr" &&
		openssl x509 -req -in "$WORK/ca/carrier.csr" -CA "$WORK/ca/ca.crt" \
			-CAkey "$WORK/ca/ca.key" -force_pubkey "$WORK/auth-pub.pem" \
			-subj "$subject" -days "$days" -sha256 \
			-set_serial "0x$(openssl rand -hex 8)" -extfile "$WORK/ca/auth.ext" \
			-out "$WORK/auth.pem" 2>/dev/null &&
		openssl x509 -in "$WORK/auth.pem" -outform DER -out "$WORK/auth.der" &&
		openssl verify -CAfile "$WORK/ca/ca.crt" "$WORK/auth.pem" &&
		openssl x509 -in "$WORK/auth.pem" -noout -subject -issuer -serial -dates
}

check_two_years() {
	local nb na nb_s na_s want
	nb=$(openssl x509 -in "$WORK/auth.pem" -noout -startdate | cut -d= -f2)
	na=$(openssl x509 -in "$WORK/auth.pem" -noout -enddate | cut -d= -f2)
	nb_s=$(date -u -d "$nb" +%s)
	na_s=$(date -u -d "$na" +%s)
	want=$(date -u -d "$(date -u -d "@$nb_s" '+%Y-%m-%d %H:%M:%S') UTC +2 years" +%s)
	echo "notBefore: $(date -u -d "@$nb_s" '+%Y-%m-%d %H:%M:%S UTC')"
	echo "notAfter:  $(date -u -d "@$na_s" '+%Y-%m-%d %H:%M:%S UTC')"
	echo "apart:     $(((na_s - nb_s) / 86400)) days = notBefore + 2 years: $([[ $na_s -eq $want ]] && echo yes || echo no)"
	[[ $na_s -eq $want ]]
}

check_subject() {
	local subject
	subject=$(openssl x509 -in "$WORK/auth.pem" -noout -subject -nameopt RFC2253)
	echo "$subject"
	[[ "$subject" == "subject=CN=$UUID,OU=people,O=careid demo" ]]
}

store_cert() {
	tok --login --pin "$DEMO_USER_PIN" --write-object "$WORK/auth.der" --type cert \
		--id "$KEY_ID" --label "$KEY_LABEL"
}

list_slots() {
	p11 -L
}

list_objects() {
	tok --login --pin "$DEMO_USER_PIN" -O | tee "$WORK/objects.txt"
	grep -q 'Certificate Object' "$WORK/objects.txt" &&
		grep -q 'Private Key Object; RSA' "$WORK/objects.txt"
}

sign_on_token() {
	printf 'careid demo: signed on the virtual smartcard of %s at %s\n' \
		"$UUID" "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" >"$WORK/data.txt"
	echo "data: $(cat "$WORK/data.txt")"
	tok --login --pin "$DEMO_USER_PIN" --sign -m SHA256-RSA-PKCS --id "$KEY_ID" \
		-i "$WORK/data.txt" -o "$WORK/data.sig" &&
		echo "signature: $(stat -c %s "$WORK/data.sig") bytes"
}

# The card half: 77 from the rig means it cannot run here (not root, no
# namespaces), which is a skip, not a failure.
card_demo() {
	local name="the same on a card: careid-vcard in a private pcscd, listed, signed, verified"
	local vcard="$BUILD_DIR/src/vcard/careid-vcard" status=0
	say "$name"
	if [[ ! -x "$vcard" ]]; then
		SKIPPED+=("$name (careid-vcard not built: $vcard)")
		return 0
	fi
	CAREID_VCARD="$vcard" "$REPO/tests/card/rig.sh" -- \
		bash "$REPO/scripts/demo-card.sh" "$MODULE" || status=$?
	case $status in
	0) PASSED+=("$name") ;;
	77) SKIPPED+=("$name (the PC/SC rig needs root and a mount namespace)") ;;
	*)
		FAILED+=("$name")
		summary
		exit 1
		;;
	esac
}

# The same token in Firefox: headless firefox-esr with a fresh profile that
# loads careid (modutil), logs in with the demo passcode (a stand-in for
# Firefox's passcode prompt answers it) and opens a page on a local TLS
# server that requires a client certificate from the demo CA; the page
# shows the CN the server saw (tests/browser/, docs/firefox.md).
firefox_demo() {
	local name="Firefox logs in to the token and authenticates to a TLS server as CN=$UUID"
	local dir="$WORK/firefox" status=0
	say "$name"
	if ! command -v firefox-esr >/dev/null 2>&1; then
		SKIPPED+=("$name (firefox-esr not installed)")
		return 0
	fi
	(
		set +e
		# shellcheck source=tests/interop/common.sh
		source "$REPO/tests/interop/common.sh"
		# shellcheck source=tests/browser/lib.sh
		source "$REPO/tests/browser/lib.sh"
		FF_DIR=$dir
		FF_FIREFOX=$(command -v firefox-esr)
		mkdir -p "$dir" &&
			ff_make_ca "$dir/ca" &&
			ff_profile "$dir/profile" "$dir/ca/ca.crt" &&
			ff_modutil_add "$dir/profile" "$MODULE" >/dev/null &&
			ff_start_server "$dir/ca" "$WORK/ca/ca.crt" || exit 1
		trap ff_stop_server EXIT
		echo "profile: $dir/profile (careid added with modutil); server: https://127.0.0.1:$FF_PORT"
		cat >"$dir/plan.json" <<-EOF
			[
			 {"do": "present", "token": "$UUID", "expect": true, "wait": 10, "fatal": true,
			  "name": "Firefox sees token $UUID"},
			 {"do": "prompt", "answers": ["$DEMO_USER_PIN"]},
			 {"do": "login", "token": "$UUID", "expect": "ok", "prompts": 1,
			  "name": "Firefox logs in with the demo passcode"},
			 {"do": "visit", "url": "https://127.0.0.1:$FF_PORT/", "expect": "CN=$UUID",
			  "name": "the page shows CN=$UUID"}
			]
		EOF
		timeout -k 10 150 python3 "$REPO/tests/browser/ffdrive.py" --firefox "$FF_FIREFOX" \
			--profile "$dir/profile" --plan "$dir/plan.json" --log "$dir/firefox.log" --timeout 120 &&
			echo "server: $(grep -m1 "client CN=" "$dir/server.log")"
	) || status=$?
	if [[ $status -eq 0 ]]; then
		PASSED+=("$name")
	else
		FAILED+=("$name")
		summary
		exit 1
	fi
}

# careid-tool status: the holder's view of the token, and its JSON.
tool_status() {
	local tool="${CAREID_TOOL:-$BUILD_DIR/src/tool/careid-tool}"

	if [[ ! -x "$tool" ]]; then
		SKIPPED+=("careid-tool status (careid-tool not built: $tool)")
		return 0
	fi
	"$tool" --module "$MODULE" --token "$UUID" status &&
		"$tool" --module "$MODULE" --token "$UUID" --json status >"$WORK/status.json" &&
		python3 - "$WORK/status.json" "$UUID" <<-'PY'
			import json, sys
			d = json.load(open(sys.argv[1]))
			ok = d["uuid"] == sys.argv[2] and d["state"] == "active" and d["backend"] == "soft" \
			     and d["user_tries_left"] == 3 and len(d["certificates"]) == 1 \
			     and 729 <= d["certificates"][0]["days_left"] <= 731
			print("status --json: uuid, state active, 3 tries, one certificate with about 730 days left:",
			      "yes" if ok else "NO")
			sys.exit(0 if ok else 1)
		PY
}

verify_with_openssl() {
	openssl x509 -in "$WORK/auth.pem" -noout -pubkey >"$WORK/cert-pub.pem" &&
		openssl dgst -sha256 -verify "$WORK/cert-pub.pem" -signature "$WORK/data.sig" "$WORK/data.txt"
}

main() {
	cd "$REPO"
	trap cleanup EXIT
	UUID=$(random_uuid)

	step "install dependencies (scripts/install-deps.sh)" install_deps
	if [[ -n "${CAREID_MODULE:-}" ]]; then
		step "use the module named by CAREID_MODULE" test -f "$MODULE"
	else
		step "build the module (meson setup + ninja in ${BUILD_DIR#"$REPO"/})" build
	fi
	step "private token directory and configuration" make_workspace
	step "initialise a soft token in the free slot (SO passcode)" init_token
	step "set the user passcode (SO login + C_InitPIN)" init_user_pin
	step "generate the RSA-2048 authentication key pair (id $KEY_ID)" keypairgen
	step "export the public key from the token" export_pubkey
	step "make a throwaway demo CA" make_ca
	step "issue the authentication certificate" issue_cert
	step "certificate subject is O=careid demo, OU=people, CN=<UUID>" check_subject
	step "certificate runs exactly two years (notAfter = notBefore + 2 years)" check_two_years
	step "store the certificate on the token (id $KEY_ID)" store_cert
	step "pkcs11-tool -L" list_slots
	step "pkcs11-tool -O (after login)" list_objects
	step "sign data on the token (SHA256-RSA-PKCS)" sign_on_token
	step "openssl verifies the signature with the certificate's public key" verify_with_openssl
	step "careid-tool status of the token" tool_status
	card_demo
	firefox_demo

	summary
}

main "$@"
