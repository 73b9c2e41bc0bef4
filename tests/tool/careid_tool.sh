#!/usr/bin/env bash
# careid-tool on a soft token made with pkcs11-tool: the command line
# (help, version, usage errors), status and its JSON (days left by the
# host's clock, moved with faketime), change-passcode, unblock after a
# lockout, audit verify against an edited and a cut trail, and issuer init
# (the files, their modes, the certificate, the configuration lines).
#
# CAREID_TOOL is the program under test (meson sets it); CAREID_MODULE the
# module it loads.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

LABEL=$(printf '%012d' $((RANDOM * 32768 + RANDOM)))
SO_PIN=87654321
USER_PIN=123456

printf '%s\n' "$USER_PIN" >"$IT_TMP/pin"
printf '%s\n' "$SO_PIN" >"$IT_TMP/so-pin"
printf '%s\n' 654321 >"$IT_TMP/pin2"
printf '%s\n' 999999 >"$IT_TMP/wrong"
printf '%s\n' 246802 >"$IT_TMP/pin3"

# ---- the command line ------------------------------------------------
PATTERN='^Usage: careid-tool .*COMMAND' check_status "--help exits 0 with the usage" 0 ct --help
for cmd in status change-passcode unblock audit unlock issuer; do
	PATTERN="^Usage: careid-tool .*$cmd" check_status "$cmd --help" 0 ct "$cmd" --help
done
PATTERN='^careid-tool 0\.1\.0$' check_status "--version" 0 ct --version
PATTERN="unknown or incomplete option '--frobnicate'" check_status "unknown option exits 2" 2 ct --frobnicate status
PATTERN="unknown command 'frobnicate'" check_status "unknown command exits 2" 2 ct frobnicate
PATTERN="unknown or incomplete option" check_status "unknown command option exits 2" 2 ct status --frobnicate
PATTERN="unexpected argument" check_status "a passcode as an argument is refused (exit 2)" 2 \
	ct change-passcode "$USER_PIN"
PATTERN='no initialised token is present' check_status "status with no token exits 2" 2 ct status

# ---- a token with a two-year certificate -----------------------------
slot=$(free_slot)
if ! it_check "token made with pkcs11-tool" bash -c '
	p11() { pkcs11-tool --module "$CAREID_MODULE" "$@"; }
	p11 --slot "$1" --init-token --label "$2" --so-pin "$3" &&
	p11 --token-label "$2" --login --login-type so --so-pin "$3" --init-pin --new-pin "$4" &&
	p11 --token-label "$2" --login --pin "$4" --keypairgen --key-type rsa:2048 --id 01 --label Authentication
	' _ "$slot" "$LABEL" "$SO_PIN" "$USER_PIN"; then
	it_summary
	exit 1
fi
it_make_ca "$IT_TMP"
it_check "certificate valid two years written to the token" bash -c '
	. "$1/../interop/common.sh"; IT_TMP=$2; CAREID_MODULE=$3
	it_pubkey_pem "$4" 01 "$IT_TMP/auth.pem" &&
	it_issue_cert "$IT_TMP" "$IT_TMP/auth.pem" "/O=careid test/OU=people/CN=$4" "$IT_TMP/auth.der" &&
	pkcs11-tool --module "$CAREID_MODULE" --token-label "$4" --login --pin "$5" \
		--write-object "$IT_TMP/auth.der" --type cert --id 01 --label Authentication
	' _ "$here" "$IT_TMP" "$CAREID_MODULE" "$LABEL" "$USER_PIN"

PATTERN="^uuid: +$LABEL" check_status "status names the token" 0 ct status
keys='{"uuid","backend","kind","state","user_tries_left","so_tries_left","access_end","self_renewals_used","self_renewals_allowed","renewal_window_open","certificates"}'
json_check "status --json has the issue's keys" "set(d) == $keys" ct --json status
json_check "status --json: uuid, soft backend, active, 3 tries" \
	"d['uuid'] == '$LABEL' and d['backend'] == 'soft' and d['state'] == 'active' and d['user_tries_left'] == 3 and d['so_tries_left'] == 3" \
	ct --json status
json_check "status --json: one certificate, id 01, RFC 2253 subject, ISO 8601 times" \
	"len(d['certificates']) == 1 and d['certificates'][0]['id'] == '01' and d['certificates'][0]['subject'] == 'CN=$LABEL,OU=people,O=careid test' and set(d['certificates'][0]) == {'id','subject','not_before','not_after','days_left'} and d['certificates'][0]['not_after'].endswith('Z') and len(d['certificates'][0]['not_before']) == 20" \
	ct --json status
json_check "status --json: days_left about 730" \
	"729 <= d['certificates'][0]['days_left'] <= 731" ct --json status
json_check "status --token LABEL --json after the command" \
	"d['uuid'] == '$LABEL'" ct status --token "$LABEL" --json
json_check "status --token pkcs11:URI" "d['uuid'] == '$LABEL'" ct --json --token "pkcs11:token=$LABEL" status
PATTERN='no initialised token matches' check_status "status --token of no token exits 2" 2 \
	ct --token 000000000000 status
json_check "status under faketime +700 days: days_left about 30" \
	"29 <= d['certificates'][0]['days_left'] <= 31" faketime -f '+700d' "$TOOL" --module "$CAREID_MODULE" --json status

# ---- change-passcode -------------------------------------------------
check_status "change-passcode with files" 0 \
	ct change-passcode --passcode-file "$IT_TMP/pin" --new-passcode-file "$IT_TMP/pin2"
it_check "the new passcode logs in (pkcs11-tool)" tok --login --pin 654321 --list-objects
# The passcode reaches the tool through the file only: with a FIFO as the
# file, the tool waits on it, and its argv (what ps shows) is read then.
mkfifo "$IT_TMP/pin.fifo"
it_check "no passcode in the tool's argv while it runs (/proc/PID/cmdline)" bash -c '
	"$1" --module "$2" change-passcode --passcode-file "$3" --new-passcode-file "$4" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 50); do [[ -r /proc/$pid/cmdline ]] && break; sleep 0.1; done
	sleep 0.5
	args=$(tr "\0" " " </proc/$pid/cmdline); ps=$(ps -o args= -p "$pid")
	printf "654321\n" >"$3"
	wait "$pid"; rc=$?
	echo "argv: $args"; echo "ps: $ps"; echo "exit: $rc"
	[[ $args == *"$3"* && $args != *654321* && $ps != *654321* && $rc -eq 1 ]]
	' _ "$TOOL" "$CAREID_MODULE" "$IT_TMP/pin.fifo" "$IT_TMP/pin2"
PATTERN='P5: the new passcode must differ' check_status "same as the old passcode exits 1 (P5)" 1 \
	ct change-passcode --passcode-file "$IT_TMP/pin2" --new-passcode-file "$IT_TMP/pin2"
printf '12ab\n' >"$IT_TMP/bad"
PATTERN='P1: a passcode is 6 to 8 digits' check_status "a malformed new passcode exits 1 (P1)" 1 \
	ct change-passcode --passcode-file "$IT_TMP/pin2" --new-passcode-file "$IT_TMP/bad"
json_check "tries still 3 after refused changes" "d['user_tries_left'] == 3" ct --json status
PATTERN='wrong current passcode' check_status "a wrong current passcode exits 3" 3 \
	ct change-passcode --passcode-file "$IT_TMP/wrong" --new-passcode-file "$IT_TMP/pin3"
json_check "the wrong passcode cost one try" "d['user_tries_left'] == 2 and d['state'] == 'active'" ct --json status
PATTERN='no terminal' check_status "no passcode file and no terminal exits 2" 2 \
	setsid "$TOOL" --module "$CAREID_MODULE" change-passcode --new-passcode-file "$IT_TMP/pin3"

# ---- lockout and unblock ---------------------------------------------
for i in 1 2; do
	ct change-passcode --passcode-file "$IT_TMP/wrong" --new-passcode-file "$IT_TMP/pin3" >/dev/null 2>&1
done
json_check "three wrong passcodes lock the token" "d['state'] == 'locked' and d['user_tries_left'] == 0" \
	ct --json status
PATTERN='locked' check_status "change-passcode on a locked token exits 3" 3 \
	ct change-passcode --passcode-file "$IT_TMP/pin2" --new-passcode-file "$IT_TMP/pin3"
PATTERN='wrong SO passcode' check_status "unblock with a wrong SO passcode exits 3" 3 \
	ct unblock --so-passcode-file "$IT_TMP/wrong" --new-passcode-file "$IT_TMP/pin3"
check_status "unblock with the SO passcode" 0 \
	ct unblock --so-passcode-file "$IT_TMP/so-pin" --new-passcode-file "$IT_TMP/pin3"
json_check "unblocked: active, 3 tries" "d['state'] == 'active' and d['user_tries_left'] == 3" ct --json status
it_check "the passcode set by unblock logs in" tok --login --pin 246802 --list-objects

# ---- P4: the sponsor's unlock code ---------------------------------------
code_of() { # JSON of unlock-code issue -> a code file
	python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])' >"$1"
}
for i in 1 2 3; do
	ct change-passcode --passcode-file "$IT_TMP/wrong" --new-passcode-file "$IT_TMP/pin2" >/dev/null 2>&1
done
json_check "locked again for the unlock code" "d['state'] == 'locked'" ct --json status
PATTERN='wrong SO passcode' check_status "unlock-code issue with a wrong SO passcode exits 3" 3 \
	ct unlock-code issue --so-passcode-file "$IT_TMP/wrong"
json_check "unlock-code issue --json: {code, expires}" \
	"set(d) == {'code', 'expires'} and len(d['code']) == 19 and d['code'].count('-') == 3 and d['expires'].endswith('Z')" \
	ct --json unlock-code issue --so-passcode-file "$IT_TMP/so-pin"
ct --json unlock-code issue --so-passcode-file "$IT_TMP/so-pin" | code_of "$IT_TMP/code1"
printf 'AAAA-BBBB-CCCC-DDDD\n' >"$IT_TMP/code-wrong"
PATTERN='wrong unlock code' check_status "a wrong code exits 3" 3 \
	ct unlock --code-file "$IT_TMP/code-wrong" --new-passcode-file "$IT_TMP/pin2"
PATTERN='expired' check_status "the right code 16 minutes later is refused (exit 3)" 3 \
	faketime -f '+16m' "$TOOL" --module "$CAREID_MODULE" unlock --code-file "$IT_TMP/code1" \
	--new-passcode-file "$IT_TMP/pin2"
PATTERN='expired' check_status "...and is gone afterwards" 3 \
	ct unlock --code-file "$IT_TMP/code1" --new-passcode-file "$IT_TMP/pin2"
ct --json unlock-code issue --so-passcode-file "$IT_TMP/so-pin" | code_of "$IT_TMP/code2"
printf '12ab\n' >"$IT_TMP/bad-pin"
PATTERN='P1' check_status "a malformed new passcode is refused (exit 1)" 1 \
	ct unlock --code-file "$IT_TMP/code2" --new-passcode-file "$IT_TMP/bad-pin"
tr 'A-Z' 'a-z' <"$IT_TMP/code2" >"$IT_TMP/code2-lower"
check_status "the code 14 minutes later, typed in lower case, sets the passcode" 0 \
	faketime -f '+14m' "$TOOL" --module "$CAREID_MODULE" unlock --code-file "$IT_TMP/code2-lower" \
	--new-passcode-file "$IT_TMP/pin2"
json_check "unlocked: active, 3 tries" "d['state'] == 'active' and d['user_tries_left'] == 3" ct --json status
it_check "the passcode set with the code logs in" tok --login --pin 654321 --list-objects
PATTERN='expired' check_status "a used code is refused (exit 3)" 3 \
	ct unlock --code-file "$IT_TMP/code2" --new-passcode-file "$IT_TMP/pin3"
ct --json unlock-code issue --so-passcode-file "$IT_TMP/so-pin" | code_of "$IT_TMP/code3"
for i in 1 2; do
	ct unlock --code-file "$IT_TMP/code-wrong" --new-passcode-file "$IT_TMP/pin3" >/dev/null 2>&1
done
PATTERN='last try' check_status "the third wrong code uses the code up (exit 3)" 3 \
	ct unlock --code-file "$IT_TMP/code-wrong" --new-passcode-file "$IT_TMP/pin3"
PATTERN='expired' check_status "...after which the right one is refused" 3 \
	ct unlock --code-file "$IT_TMP/code3" --new-passcode-file "$IT_TMP/pin3"
it_check "the passcode is unchanged" tok --login --pin 654321 --list-objects
PATTERN='unlock-code-issued' check_status "the unlock events are audited" 0 ct audit show

# ---- the audit trail -------------------------------------------------
PATTERN='intact: [0-9]+ records' check_status "audit verify on the clean trail" 0 ct audit verify
json_check "audit show --json: a list of {seq, at, event, detail}" \
	"isinstance(d, list) and len(d) >= 8 and all(set(r) == {'seq','at','event','detail'} for r in d) and [r['seq'] for r in d] == list(range(1, len(d) + 1)) and d[0]['at'].endswith('Z') and any(r['event'] == 'locked' for r in d) and any(r['event'] == 'pin-init' for r in d)" \
	ct --json audit show
json_check "audit export: records with their hashes" \
	"isinstance(d, list) and all(len(r['hash']) == 64 for r in d)" ct audit export
PATTERN='login-failed' check_status "audit show lists the failed logins" 0 ct audit show
serial=$(ct --json audit verify | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
db="$IT_TMP/tokens/$serial.token"
it_check "the token file is found by its serial" test -f "$db"
cp "$db" "$IT_TMP/clean.token"
# Someone who can write the file can drop the module's triggers; the chain
# still shows the edit.
it_check "edit record 3's detail with sqlite3" sqlite3 "$db" \
	"DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; UPDATE audit SET detail = detail || ' (edited)' WHERE seq = 3;"
PATTERN='record 3 .*altered' check_status "audit verify names the edited record (exit 1)" 1 ct audit verify
json_check "audit verify --json: first_bad 3" "d['intact'] is False and d['first_bad'] == 3" \
	bash -c '"$1" --module "$2" --json audit verify; [ $? -eq 1 ]' _ "$TOOL" "$CAREID_MODULE"
cp "$IT_TMP/clean.token" "$db"
it_check "the clean copy verifies again" ct audit verify
it_check "delete record 4 with sqlite3" sqlite3 "$db" \
	"DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 4;"
PATTERN='record 4 is missing' check_status "audit verify names the removed record (exit 1)" 1 ct audit verify
cp "$IT_TMP/clean.token" "$db"
it_check "delete the last record with sqlite3" sqlite3 "$db" \
	"DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit);"
PATTERN='was removed' check_status "audit verify sees the trail cut short (exit 1)" 1 ct audit verify
cp "$IT_TMP/clean.token" "$db"
it_check "swap records 2 and 3 with sqlite3" sqlite3 "$db" "
	DROP TRIGGER audit_no_update;
	UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3;
	UPDATE audit SET seq = 3 WHERE seq = -2;"
PATTERN='record 2 .*altered' check_status "audit verify sees the reordered records (exit 1)" 1 ct audit verify
cp "$IT_TMP/clean.token" "$db"

# ---- P13: one card per person ------------------------------------------
PATTERN='no UUID is on more than one' check_status "audit duplicates: none" 0 ct audit duplicates
PATTERN='no UUID is on more than one' check_status "the module's own token directory is not counted twice" 0 \
	ct audit duplicates "$IT_TMP/tokens"
mkdir -p "$IT_TMP/elsewhere"
cp "$db" "$IT_TMP/elsewhere/copied.token"
PATTERN="UUID $LABEL is on 2 tokens" check_status "a copied token file is reported (exit 1)" 1 \
	ct audit duplicates "$IT_TMP/elsewhere"
json_check "audit duplicates --json: {uuid, tokens: [{serial, where}]}" \
	"len(d) == 1 and d[0]['uuid'] == '$LABEL' and len(d[0]['tokens']) == 2 and any(t['where'].endswith('copied.token') for t in d[0]['tokens'])" \
	bash -c '"$1" --module "$2" --json audit duplicates "$3"; [ $? -eq 1 ]' _ "$TOOL" "$CAREID_MODULE" "$IT_TMP/elsewhere"
PATTERN='cannot read the directory' check_status "a missing directory exits 4" 4 \
	ct audit duplicates "$IT_TMP/no-such-dir"
# ---- issuer init -----------------------------------------------------
ISS=$IT_TMP/issuer
mkdir "$ISS"
check_status "issuer init" 0 ct issuer init --dir "$ISS/ra" --org "Example Care Trust"
cp "$IT_LOG" "$IT_TMP/issuer.lines"
it_check "issuer init prints exactly the three configuration lines" bash -c '
	printf "issuer_cert = %s\nissuer_key = %s\nissuer_org = %s\n" "$2/ra/issuer.pem" "$2/ra/issuer.key" \
		"Example Care Trust" | diff -u - "$1"' _ "$IT_TMP/issuer.lines" "$ISS"
it_check "issuer directory 0700, issuer.key 0600" bash -c '
	[[ $(stat -c %a "$1/ra") == 700 && $(stat -c %a "$1/ra/issuer.key") == 600 ]]' _ "$ISS"
it_check "issuer.key is a P-256 key, the key of issuer.pem" bash -c '
	openssl pkey -in "$1/issuer.key" -noout -text 2>&1 | grep -q "NIST CURVE: P-256" &&
	[[ $(openssl pkey -in "$1/issuer.key" -pubout) == $(openssl x509 -in "$1/issuer.pem" -noout -pubkey) ]]
	' _ "$ISS/ra"
openssl x509 -in "$ISS/ra/issuer.pem" -noout -text >"$IT_TMP/issuer.txt" 2>&1
# issuer_text NAME PATTERN: a line of `openssl x509 -text` of issuer.pem (grep -A1 joined).
issuer_text() {
	if grep -A1 -E "$2" "$IT_TMP/issuer.txt" | tr -s ' \n' ' ' | grep -Eq -- "${3:-.}"; then
		it_pass "$1"
	else
		it_fail "$1 (/$2/ then /${3:-.}/)" "$IT_TMP/issuer.txt"
	fi
}
issuer_text "issuer.pem: subject O, OU=registration authority, CN" \
	'Subject: O = Example Care Trust, OU = registration authority, CN = Example Care Trust Care Identity issuer$'
issuer_text "issuer.pem: self-signed" \
	'Issuer: O = Example Care Trust, OU = registration authority, CN = Example Care Trust Care Identity issuer$'
issuer_text "issuer.pem: basicConstraints CA:TRUE, critical" 'Basic Constraints: critical' 'CA:TRUE'
issuer_text "issuer.pem: keyUsage keyCertSign and cRLSign, critical" 'Key Usage: critical' \
	'critical Certificate Sign, CRL Sign $'
issuer_text "issuer.pem: a subject key identifier" 'Subject Key Identifier' '([0-9A-F]{2}:){19}[0-9A-F]{2}'
issuer_text "issuer.pem: ECDSA with SHA-256" 'Signature Algorithm: ecdsa-with-SHA256'
it_check "issuer.pem: valid 20 years by default, from now" bash -c '
	nb=$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)
	na=$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)
	s=$(date -u -d "$nb" +%s); e=$(date -u -d "$na" +%s); now=$(date -u +%s)
	echo "$nb -> $na"
	(( now - s >= 0 && now - s < 300 )) &&
	[[ $(date -u -d "$na" +%Y) == $(( $(date -u -d "$nb" +%Y) + 20 )) &&
	   $(date -u -d "$na" +%m-%dT%T) == $(date -u -d "$nb" +%m-%dT%T) ]]' _ "$ISS/ra/issuer.pem"
it_check "openssl verifies issuer.pem against itself" \
	openssl verify -CAfile "$ISS/ra/issuer.pem" "$ISS/ra/issuer.pem"
sha256sum "$ISS/ra/issuer.key" "$ISS/ra/issuer.pem" >"$IT_TMP/issuer.sums"
PATTERN='already holds an issuer.*never overwritten' check_status "a second issuer init in the same --dir exits 4" 4 \
	ct issuer init --dir "$ISS/ra" --org "Another Org"
it_check "the existing issuer is left as it was" sha256sum -c --quiet "$IT_TMP/issuer.sums"
rm "$ISS/ra/issuer.pem"
PATTERN='never overwritten' check_status "issuer init with only issuer.key left exits 4" 4 \
	ct issuer init --dir "$ISS/ra" --org "Another Org"
json_check "issuer init --json: the three keys, absolute paths" \
	"set(d) == {'issuer_cert','issuer_key','issuer_org'} and d['issuer_cert'] == '$ISS/j/issuer.pem' and d['issuer_key'] == '$ISS/j/issuer.key' and d['issuer_org'] == 'J'" \
	ct --json issuer init --dir "$ISS/j" --org J --years 3
it_check "issuer init --years 5 from a relative --dir: absolute paths, 5 years" bash -c '
	cd "$1" && "$2" issuer init --dir rel --org "Five" --years 5 >out && grep -qx "issuer_cert = $1/rel/issuer.pem" out &&
	na=$(openssl x509 -in rel/issuer.pem -noout -enddate | cut -d= -f2) &&
	[[ $(date -u -d "$na" +%Y) == $(( $(date -u +%Y) + 5 )) ]]' _ "$ISS" "$TOOL"
for bad in "--org X" "--dir $ISS/u" "" "--dir $ISS/u --org X extra"; do
	# shellcheck disable=SC2086
	PATTERN='Try .careid-tool issuer --help' check_status "issuer init ${bad:-(no options)} exits 2" 2 \
		ct issuer init $bad
done
PATTERN='issuer needs a command' check_status "issuer without init exits 2" 2 ct issuer --dir "$ISS/u" --org X
PATTERN="unknown issuer command 'issue'" check_status "issuer issue (not a command yet) exits 2" 2 \
	ct issuer issue --dir "$ISS/u" --org X
for years in 2 101 abc 10x; do
	PATTERN='--years must be a whole number from 3 to 100' check_status "issuer init --years $years exits 2" 2 \
		ct issuer init --dir "$ISS/u" --org X --years "$years"
done
for org in "" "A#B" " leading" "$(printf 'x%.0s' $(seq 44))" "$(printf 'H\364pital')"; do
	PATTERN='organisation must be 1 to 43 bytes of UTF-8' check_status "issuer init --org '$org' exits 2" 2 \
		ct issuer init --dir "$ISS/u" --org "$org"
done
it_check "no directory is left by refused requests" test ! -e "$ISS/u"
PATTERN='cannot be written in the configuration file' check_status "a --dir with '#' exits 2" 2 \
	ct issuer init --dir "$ISS/a#b" --org X
PATTERN='cannot make the directory' check_status "a --dir under a missing parent exits 4" 4 \
	ct issuer init --dir "$ISS/missing/ra" --org X
# The printed lines, added to the configuration, are read without complaint
# by the module (C_Initialize) and by the tool.
# (The first issuer lost its certificate above: the module loads
# issuer_cert at C_Initialize, so the lines of the second one are used.)
{ cat "$IT_TMP/careid.conf"; printf 'issuer_cert = %s\nissuer_key = %s\nissuer_org = J\n' \
	"$ISS/j/issuer.pem" "$ISS/j/issuer.key"; } >"$IT_TMP/issuer.conf"
it_check "the module and the tool read the issuer lines without a warning" bash -c '
	CAREID_CONF=$1 CAREID_LOG=info "$2" --module "$3" status >"$4" 2>&1; rc=$?
	cat "$4"; [[ $rc -eq 0 ]] && ! grep -q "unknown key" "$4" && grep -q "uuid:" "$4"
	' _ "$IT_TMP/issuer.conf" "$TOOL" "$CAREID_MODULE" "$IT_TMP/issuer.status"
it_check "the same file with a misspelt issuer key draws the warning (the check can fail)" bash -c '
	sed "s/^issuer_org/issuer_orgs/" "$1" >"$1.bad"
	CAREID_CONF=$1.bad CAREID_LOG=info "$2" --module "$3" status 2>&1 | grep -q "unknown key .issuer_orgs."
	' _ "$IT_TMP/issuer.conf" "$TOOL" "$CAREID_MODULE"
printf 'issuer_key = relative.key\n' >>"$IT_TMP/issuer.conf"
PATTERN='issuer_key must be an absolute path or a pkcs11: URI' check_status \
	"a relative issuer_key in the configuration is refused by the module" 4 \
	env CAREID_CONF="$IT_TMP/issuer.conf" "$TOOL" --module "$CAREID_MODULE" status

it_summary
