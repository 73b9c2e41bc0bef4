#!/bin/bash
# The Care Identity procedures on the virtual card in the private PC/SC
# rig (tests/card/rig.sh), as on a soft token (P16): careid-tool issue onto
# the card with the card's management key and PUK from card_admin_file
# (once given, once derived from a master key and the card's serial), the
# record in the card's data object, the alert at 89 days and not at 100,
# a temporary card refused after its 72 hours and locked on return by
# three wrong PINs, a contractor's three months, self-renewal refused
# early, done twice in the window, the third refused and in person
# starting the count again, expired certificates repaired, a cancelled
# card; a cloned card in a second reader reported (P13); and the host's
# audit trail of all of it (P14), checked, and an edited record found.
#
# Run: CAREID_MODULE=build/src/careid-pkcs11.so CAREID_VCARD=build/src/vcard/careid-vcard \
#      CAREID_TOOL=build/src/tool/careid-tool tests/tool/lifecycle_card.sh
# (as root; prints SKIP and exits 77 otherwise).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../card/lib.sh
. "$here/../card/lib.sh"
if [ -z "${CAREID_RIG_DIR:-}" ] || [ -z "${CAREID_IN_RIG:-}" ]; then
	export CAREID_IN_RIG=1
	exec "$here/../card/rig.sh" -- bash "$here/$(basename "$0")" "$@"
fi

card_need python3 faketime pkcs11-tool
TOOL=${CAREID_TOOL:-}
[ -n "$TOOL" ] || { echo "SKIP: CAREID_TOOL does not name careid-tool"; exit 77; }
case "$TOOL" in /*) ;; *) TOOL=$PWD/$TOOL ;; esac
work=$CAREID_RIG_DIR/lifecycle
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/log
printf 'card_readers = yes\nsoft_tokens = no\ncard_admin_file = %s/admin\ncard_audit_dir = %s/trails\n' "$work" "$work" \
	>careid.conf
export CAREID_CONF=$work/careid.conf
uuid=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
ct() { "$TOOL" --module "$M" "$@"; }
printf '135790\n' >pin
# The rig's fresh card: the well-known 3DES management key, PUK 12345678.
( umask 077; printf 'mgmt_key = 010203040506070801020304050607080102030405060708\npuk = 12345678\n' >admin )

# status_is WANT CMD...: CMD exits with status WANT (output to the log).
status_is() {
	local want=$1 got
	shift
	"$@" >>"$CAREID_TEST_LOG" 2>&1
	got=$?
	echo "exit $got (expected $want)" >>"$CAREID_TEST_LOG"
	[ "$got" = "$want" ]
}
# json NAME EXPR CMD...: CMD's stdout as d satisfies EXPR.
json() {
	local what=$1 expr=$2
	shift 2
	if "$@" >out.json 2>>"$CAREID_TEST_LOG" &&
		python3 -c 'import json, sys; d = json.load(open("out.json")); sys.exit(0 if eval(sys.argv[1]) else 1)' "$expr" \
			>>"$CAREID_TEST_LOG" 2>&1; then
		ok "$what"
	else
		cat out.json >>"$CAREID_TEST_LOG"
		not_ok "$what"
	fi
}
login() { pkcs11-tool --module "$M" --login --pin "$(cat pin)" -O; }

check "issuer init" status_is 0 bash -c 'ct() { "$1" --module "$2" "${@:3}"; }; ct "$1" "$2" issuer init --dir "$3/ra" --org "Example Care" >>careid.conf' _ "$TOOL" "$M" "$work"
U=200000000001
json "issue onto the card: two certificates" \
	"d['uuid'] == '$U' and d['kind'] == 'standard' and len(d['certificates']) == 2" \
	ct --json --token "$uuid" issue --uuid "$U" --new-passcode-file pin
json "status: the card now shows the new UUID, its record and two certificates" \
	"d['uuid'] == '$U' and d['backend'] == 'card' and d['kind'] == 'standard' and d['state'] == 'active' and sorted(c['id'] for c in d['certificates']) == ['01', '02'] and all(c['subject'] == 'CN=$U,OU=people,O=Example Care' and 729 <= c['days_left'] <= 731 for c in d['certificates'])" \
	ct --json status
check "the holder logs in to the card with the new PIN" status_is 0 login

# P13: a copy of the card's memory, as a second card in the rig's second
# reader, is a clone: audit duplicates names the UUID on both readers.
reader1_present() { opensc-tool -l 2>/dev/null | grep -Eq '^1[[:space:]]+Yes'; }
cp "$CAREID_STATE" "$work/clone.state"
"$CAREID_VCARD" --state "$work/clone.state" --port "$((CAREID_RIG_PORT + 1))" --pidfile "$work/clone.pid" \
	>>"$CAREID_TEST_LOG" 2>&1 &
for _ in $(seq 150); do reader1_present && break; sleep 0.1; done
json "a cloned card in a second reader is reported (P13, exit 1)" \
	"[e['uuid'] for e in d] == ['$U'] and len(d[0]['tokens']) == 2 and len(set(t['where'] for t in d[0]['tokens'])) == 2" \
	bash -c '"$1" --module "$2" --json audit duplicates; [ $? -eq 1 ]' _ "$TOOL" "$M"
kill "$(cat "$work/clone.pid")" 2>/dev/null
for _ in $(seq 150); do reader1_present || break; sleep 0.1; done
check "...and with the clone gone, none (exit 0)" status_is 0 ct audit duplicates
end=$(ct --json status | python3 -c 'import json,sys,datetime; d=json.load(sys.stdin); print(int(datetime.datetime.strptime(d["certificates"][0]["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))')
now=$(date +%s)
check "the alert at 89 days on the card" bash -c \
	'CAREID_LOG=warn faketime -f "+$1s" pkcs11-tool --module "$2" --login --pin 135790 -O 2>&1 | grep -q "certificates end in 89 days"' \
	_ "$((end - 89 * 86400 - 3600 - now))" "$M"
check "...and again at the next login (P7: every time)" bash -c \
	'CAREID_LOG=warn faketime -f "+$1s" pkcs11-tool --module "$2" --login --pin 135790 -O 2>&1 | grep -q "certificates end in 89 days"' \
	_ "$((end - 89 * 86400 - 3600 - now))" "$M"
check "no alert at 100 days" bash -c \
	'! CAREID_LOG=warn faketime -f "+$1s" pkcs11-tool --module "$2" --login --pin 135790 -O 2>&1 | grep -q "certificates end in"' \
	_ "$((end - 100 * 86400 - now))" "$M"

# A temporary card, the keys derived from a master key and the serial.
( umask 077; printf 'master_key = %s\n' "$(printf '%064d' 7)" >admin )
check "a master key whose derived management key is not the card's: refused (exit 3)" status_is 3 \
	ct --token "$U" issue --uuid 200000000002 --kind temporary --hours 72 --new-passcode-file pin
( umask 077; printf 'mgmt_key = 010203040506070801020304050607080102030405060708\npuk = 12345678\n' >admin )
check "a 73-hour temporary card is refused (exit 1)" status_is 1 \
	ct --token "$U" issue --uuid 200000000002 --kind temporary --hours 73 --new-passcode-file pin
json "a 72-hour temporary card onto the same card" "d['kind'] == 'temporary' and d['access_end'] is not None" \
	ct --json --token "$U" issue --uuid 200000000002 --kind temporary --hours 72 --new-passcode-file pin
check "the temporary card works 71 hours later" status_is 0 faketime -f '+71h' \
	pkcs11-tool --module "$M" --login --pin 135790 -O
check "73 hours later the right PIN is refused (P11)" bash -c \
	'CAREID_LOG=warn faketime -f "+73h" pkcs11-tool --module "$1" --login --pin 135790 -O 2>&1 | grep -q "refused by P11"' _ "$M"
json "...status: access-ended, no try spent" "d['state'] == 'access-ended' and d['user_tries_left'] == 3" \
	faketime -f '+73h' "$TOOL" --module "$M" --json status
for _ in 1 2 3; do
	faketime -f '+74h' pkcs11-tool --module "$M" --login --pin 000000 -O >>"$CAREID_TEST_LOG" 2>&1
done
json "the returned temporary card is locked by three wrong PINs" "d['user_tries_left'] == 0" \
	faketime -f '+74h' "$TOOL" --module "$M" --json status
json "a contractor card onto the same card (the PUK unblocks it)" "d['kind'] == 'contractor'" \
	ct --json --token 200000000002 issue --uuid 200000000004 --kind contractor --new-passcode-file pin
check "the contractor's card works 89 days later" status_is 0 faketime -f '+89d' \
	pkcs11-tool --module "$M" --login --pin 135790 -O
check "after three months and a day it is refused (P12)" bash -c \
	'CAREID_LOG=warn faketime -f "+93d" pkcs11-tool --module "$1" --login --pin 135790 -O 2>&1 | grep -q "refused by P12"' _ "$M"
# The standard card again, renewed and cancelled.
json "issue the standard card again" "d['kind'] == 'standard'" \
	ct --json --token 200000000004 issue --uuid "$U" --new-passcode-file pin
end=$(ct --json status | python3 -c 'import json,sys,datetime; d=json.load(sys.stdin); print(int(datetime.datetime.strptime(d["certificates"][0]["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))')
check "self-renewal of the card two years early is refused (P7)" bash -c \
	'"$1" --module "$2" renew --passcode-file pin 2>&1 | grep -q "P7"; [ "${PIPESTATUS[0]}" = 1 ]' _ "$TOOL" "$M"
win="+$((end - 30 * 86400 - $(date +%s)))s"
check "renewed in the window, with the RA's keys" status_is 0 \
	faketime -f "$win" "$TOOL" --module "$M" renew --passcode-file pin
json "...new certificates two years on, one self-renewal used" \
	"d['self_renewals_used'] == 1 and all(c['days_left'] >= 729 for c in d['certificates'])" \
	faketime -f "$win" "$TOOL" --module "$M" --json status
check "...and the card signs with the new key 01" status_is 0 bash -c \
	'echo data >d && faketime -f "$1" pkcs11-tool --module "$2" --login --pin 135790 --sign --id 01 -m ECDSA-SHA256 -i d -o s' \
	_ "$win" "$M"
# end_at OFFSET: the certificates' end (epoch) as status shows it then.
end_at() {
	faketime -f "$1" "$TOOL" --module "$M" --json status |
		python3 -c 'import json,sys,datetime; d=json.load(sys.stdin); print(int(datetime.datetime.strptime(d["certificates"][0]["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))'
}
e2=$(end_at "$win")
win="+$((e2 - 30 * 86400 - $(date +%s)))s"
check "the second self-renewal of the card" status_is 0 faketime -f "$win" "$TOOL" --module "$M" renew --passcode-file pin
e3=$(end_at "$win")
win="+$((e3 - 30 * 86400 - $(date +%s)))s"
check "the third self-renewal of the card is refused (P8)" bash -c \
	'faketime -f "$1" "$2" --module "$3" renew --passcode-file pin 2>&1 | grep -q "P8"' _ "$win" "$TOOL" "$M"
check "renewed in person" status_is 0 faketime -f "$win" "$TOOL" --module "$M" renew --in-person --passcode-file pin
json "...the count starts again" "d['self_renewals_used'] == 0" faketime -f "$win" "$TOOL" --module "$M" --json status
end=$(end_at "$win")
late="+$((end + 86400 - $(date +%s)))s"
check "expired certificates: self-renewal of the card refused (P9)" bash -c \
	'faketime -f "$1" "$2" --module "$3" renew --passcode-file pin 2>&1 | grep -q "P9"' _ "$late" "$TOOL" "$M"
printf '975310\n' >pin-new
check "the card repaired, a new PIN at the desk" status_is 0 \
	faketime -f "$late" "$TOOL" --module "$M" repair --new-passcode-file pin-new
json "...active again, new certificates, the count started again" \
	"d['state'] == 'active' and d['self_renewals_used'] == 0 and all(c['days_left'] >= 729 for c in d['certificates'])" \
	faketime -f "$late" "$TOOL" --module "$M" --json status
check "...the old PIN no longer opens it" status_is 1 faketime -f "$late" pkcs11-tool --module "$M" --login --pin 135790 -O
check "...the new PIN signs with the new key 02" status_is 0 bash -c \
	'echo data >d && faketime -f "$1" pkcs11-tool --module "$2" --login --pin 975310 --sign --id 02 -m ECDSA-SHA256 -i d -o s' \
	_ "$late" "$M"
chmod 0644 admin
check "a card_admin_file others can read is refused" status_is 4 ct cancel
chmod 0600 admin
check "the sponsor cancels the card" status_is 0 ct cancel
json "...status: cancelled, no certificates left" "d['state'] == 'cancelled' and d['certificates'] == []" ct --json status
check "...the holder's PIN opens nothing (it was replaced before the keys were overwritten)" bash -c \
	'! pkcs11-tool --module "$1" --login --pin 975310 -O' _ "$M"
check "...cancelling twice is refused (exit 1)" status_is 1 ct cancel

# P14 on a card: the host kept the trail of all of the above.
json "the host's trail of the card is intact" \
	"d['kept_by'] == 'host' and d['intact'] and d['records'] >= 20" ct --json audit verify
json "...it holds the logins, the lockout, the records written, the alert and the refusals (P11, P12)" \
	"all(any(r['event'] == e and w in r['detail'] for r in d) for e, w in [('login-ok', 'who=card-admin'), ('login-ok', 'who=user'), ('login-failed', 'tries_left=0'), ('locked', 'who=user'), ('record-written', 'bytes='), ('expiry-alert', ''), ('login-refused', 'P11'), ('login-refused', 'P12'), ('issued', 'kind=temporary'), ('issued', 'kind=contractor'), ('renewed', 'self_renewals=2'), ('renewed-in-person', 'self_renewals=0'), ('cancelled', 'uuid=')]) and [r['seq'] for r in d] == list(range(1, len(d) + 1))" \
	ct --json audit show
check "...and no passcode or PUK" bash -c '! cut -f3,4 "$1"/*.trail | grep -qE "135790|975310|12345678"' _ "$work/trails"
# edited_found TRAIL: record 3's detail changed, verify exits 1 naming it.
edited_found() {
	local out rc
	awk -F '\t' -v OFS='\t' 'NR == 3 { $4 = $4 "x" } { print }' "$1" >"$1.new" && mv "$1.new" "$1" || return 1
	out=$(ct audit verify 2>&1)
	rc=$?
	printf '%s\n' "$out" >>"$CAREID_TEST_LOG"
	[ "$rc" = 1 ] && grep -q "record 3 was altered" <<<"$out"
}
check "...an edited record is found (exit 1, naming it)" edited_found "$(ls "$work"/trails/*.trail | head -1)"
finish
