#!/usr/bin/env bash
# The Care Identity procedures on soft tokens, end to end, with the clock
# moved by faketime: a demo issuer; careid-tool issue of a standard, a
# temporary and a contractor card; the expiry alert at 89 days and not at
# 100; self-renewal refused early, allowed twice, the third refused, in
# person starting the count again; expired certificates refused for
# self-renewal and repaired; a 73-hour temporary card refused, a 72-hour
# one refused after its end and locked on return by three wrong passcodes;
# a contractor's three months; an edited lifecycle record refused at
# login; a cancelled card.
#
# CAREID_TOOL is the program under test (meson sets it); CAREID_MODULE the
# module.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# at OFFSET CMD...: CMD with the clock moved by OFFSET (faketime -f syntax).
at() { local off=$1; shift; faketime -f "$off" "$@"; }

# login UUID PIN: a holder's login through pkcs11-tool (exit 0 when it worked).
login() {
	pkcs11-tool --module "$CAREID_MODULE" --token-label "$1" --login --pin "$2" -O
}

printf '87654321\n' >"$IT_TMP/so"
printf '123456\n' >"$IT_TMP/pin"

# ---- the issuer ------------------------------------------------------
check_status "issuer init" 0 ct issuer init --dir "$IT_TMP/ra" --org "Example Care"
cat "$IT_LOG" >>"$IT_TMP/careid.conf"

# ---- issue: a standard card ------------------------------------------
U1=100000000001
json_check "issue a standard card: two certificates ending together" \
	"d['uuid'] == '$U1' and d['kind'] == 'standard' and d['access_end'] is None and len(d['certificates']) == 2 and d['certificates'][0]['not_after'] == d['certificates'][1]['not_after']" \
	ct --json issue --uuid "$U1" --so-passcode-file "$IT_TMP/so" --new-passcode-file "$IT_TMP/pin"
json_check "status: standard, active, 0 of 2 self-renewals, window closed" \
	"d['kind'] == 'standard' and d['state'] == 'active' and d['self_renewals_used'] == 0 and d['self_renewals_allowed'] == 2 and d['renewal_window_open'] is False and len(d['certificates']) == 2 and all(c['subject'] == 'CN=$U1,OU=people,O=Example Care' for c in d['certificates'])" \
	ct --json --token "$U1" status
it_check "the holder logs in with the passcode set at issue" login "$U1" 123456
end=$(ct --json --token "$U1" status | python3 -c 'import json,sys,datetime; d=json.load(sys.stdin); print(int(datetime.datetime.strptime(d["certificates"][0]["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))')
now=$(date +%s)
off89=$((end - 89 * 86400 - 3600 - now))
off100=$((end - 100 * 86400 - now))

# ---- P7: the expiry alert ------------------------------------------------
PATTERN='certificates end in 89 days' check_status "the alert at 89 days: a warning line at login" 0 \
	env CAREID_LOG=warn faketime -f "+${off89}s" pkcs11-tool --module "$CAREID_MODULE" --token-label "$U1" \
	--login --pin 123456 -O
PATTERN='expiry-alert +days_left=89' check_status "...and an audit record" 0 ct --token "$U1" audit show
json_check "...and the renewal window open" "d['renewal_window_open'] is True" \
	faketime -f "+${off89}s" "$TOOL" --module "$CAREID_MODULE" --json --token "$U1" status
check_status "no alert at 100 days" 0 \
	env CAREID_LOG=warn faketime -f "+${off100}s" pkcs11-tool --module "$CAREID_MODULE" --token-label "$U1" \
	--login --pin 123456 -O
if grep -q 'certificates end in' "$IT_LOG"; then
	it_fail "...the 100-day login raised no alert" "$IT_LOG"
else
	it_pass "...the 100-day login raised no alert"
fi
json_check "after the end: state expired" "d['state'] == 'expired'" \
	faketime -f '+800d' "$TOOL" --module "$CAREID_MODULE" --json --token "$U1" status

# ---- P7, P8: renewal ---------------------------------------------------------
# end_at OFFSET: the certificates' end (epoch) as status shows it then.
end_at() {
	faketime -f "$1" "$TOOL" --module "$CAREID_MODULE" --json --token "$U1" status |
		python3 -c 'import json,sys,datetime; d=json.load(sys.stdin); print(int(datetime.datetime.strptime(d["certificates"][0]["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))'
}
# in_window END: a faketime offset 30 days before END.
in_window() { echo "+$(($1 - 30 * 86400 - $(date +%s)))s"; }
renew() { faketime -f "$1" "$TOOL" --module "$CAREID_MODULE" --token "$U1" renew --passcode-file "$IT_TMP/pin" "${@:2}"; }

PATTERN='P7: renewal opens 90 days before the certificates end; allowed from' check_status \
	"self-renewal two years early is refused (exit 1), with the date it opens" 1 renew '+0s'
off=$(in_window "$end")
check_status "the first self-renewal inside the window" 0 renew "$off"
e2=$(end_at "$off")
json_check "...new certificates two years on, one self-renewal used" \
	"d['self_renewals_used'] == 1 and len(d['certificates']) == 2 and all(c['days_left'] >= 729 for c in d['certificates'])" \
	faketime -f "$off" "$TOOL" --module "$CAREID_MODULE" --json --token "$U1" status
off=$(in_window "$e2")
check_status "the second self-renewal" 0 renew "$off"
e3=$(end_at "$off")
off=$(in_window "$e3")
PATTERN='P8' check_status "the third self-renewal is refused (exit 1)" 1 renew "$off"
check_status "renewed in person, with the sponsor" 0 renew "$off" --in-person --so-passcode-file "$IT_TMP/so"
json_check "...the count starts again" "d['self_renewals_used'] == 0" \
	faketime -f "$off" "$TOOL" --module "$CAREID_MODULE" --json --token "$U1" status
e4=$(end_at "$off")
it_check "the holder still logs in with the renewed keys" faketime -f "$off" \
	pkcs11-tool --module "$CAREID_MODULE" --token-label "$U1" --login --pin 123456 -O

# ---- P9: repair ------------------------------------------------------------------
late="+$((e4 + 86400 - $(date +%s)))s"
PATTERN='P9' check_status "expired certificates: self-renewal refused (exit 1)" 1 renew "$late"
printf '246810\n' >"$IT_TMP/pin-new"
printf '99999999\n' >"$IT_TMP/so-wrong"
PATTERN='SO' check_status "repair without the sponsor's SO passcode is refused (exit 3)" 3 \
	faketime -f "$late" "$TOOL" --module "$CAREID_MODULE" --token "$U1" repair --so-passcode-file "$IT_TMP/so-wrong" \
	--new-passcode-file "$IT_TMP/pin-new"
check_status "repair by the sponsor, a new passcode typed at the desk" 0 \
	faketime -f "$late" "$TOOL" --module "$CAREID_MODULE" --token "$U1" repair --so-passcode-file "$IT_TMP/so" \
	--new-passcode-file "$IT_TMP/pin-new"
json_check "...active again, two new certificates" \
	"d['state'] == 'active' and d['self_renewals_used'] == 0 and len(d['certificates']) == 2 and all(c['days_left'] >= 729 for c in d['certificates'])" \
	faketime -f "$late" "$TOOL" --module "$CAREID_MODULE" --json --token "$U1" status
it_check "...and the new passcode logs in" faketime -f "$late" \
	pkcs11-tool --module "$CAREID_MODULE" --token-label "$U1" --login --pin 246810 -O
check_status "...and the old one no longer does" 1 faketime -f "$late" \
	pkcs11-tool --module "$CAREID_MODULE" --token-label "$U1" --login --pin 123456 -O
check_status "...the sponsor's wrong SO passcode cancels nothing (exit 3)" 3 \
	ct --token "$U1" cancel --so-passcode-file "$IT_TMP/so-wrong"
json_check "...still active" "d['state'] == 'active'" faketime -f "$late" "$TOOL" --module "$CAREID_MODULE" --json --token "$U1" status
printf 'signed after repair\n' >"$IT_TMP/data"
for id in 01 02; do
	it_check "...and signs with the new key $id" faketime -f "$late" \
		pkcs11-tool --module "$CAREID_MODULE" --token-label "$U1" --login --pin 246810 --sign --id "$id" \
		-m ECDSA-SHA256 -i "$IT_TMP/data" -o "$IT_TMP/sig-$id"
done

# ---- P11: temporary cards -------------------------------------------------
PATTERN='P11' check_status "a 73-hour temporary card is refused (exit 1), nothing made" 1 \
	ct issue --uuid 100000000002 --kind temporary --hours 73 --so-passcode-file "$IT_TMP/so" \
	--new-passcode-file "$IT_TMP/pin"
it_check_fails "...and no token was made for it" 'No slot with token|not found|No matching' \
	pkcs11-tool --module "$CAREID_MODULE" --token-label 100000000002 -O
U2=100000000003
json_check "a 72-hour temporary card is issued with its access end" \
	"d['kind'] == 'temporary' and d['access_end'] is not None" \
	ct --json issue --uuid "$U2" --kind temporary --hours 72 --so-passcode-file "$IT_TMP/so" \
	--new-passcode-file "$IT_TMP/pin"
it_check "the temporary card works 71 hours later" at '+71h' \
	pkcs11-tool --module "$CAREID_MODULE" --token-label "$U2" --login --pin 123456 -O
PATTERN='P11' check_status "73 hours later the right passcode is refused" 1 \
	env CAREID_LOG=warn faketime -f '+73h' pkcs11-tool --module "$CAREID_MODULE" --token-label "$U2" \
	--login --pin 123456 -O
json_check "...status: access-ended, the right passcode cost no try" \
	"d['state'] == 'access-ended' and d['user_tries_left'] == 3" \
	faketime -f '+73h' "$TOOL" --module "$CAREID_MODULE" --json --token "$U2" status
for i in 1 2 3; do
	at '+74h' pkcs11-tool --module "$CAREID_MODULE" --token-label "$U2" --login --pin 000000 -O >/dev/null 2>&1
done
json_check "a returned card is locked by three wrong passcodes" "d['user_tries_left'] == 0" \
	faketime -f '+74h' "$TOOL" --module "$CAREID_MODULE" --json --token "$U2" status

# ---- P12: contractor cards -------------------------------------------------
U3=100000000004
json_check "a contractor without an end date: access for three months" \
	"d['kind'] == 'contractor' and d['access_end'] is not None" \
	ct --json issue --uuid "$U3" --kind contractor --so-passcode-file "$IT_TMP/so" --new-passcode-file "$IT_TMP/pin"
it_check "the contractor logs in 89 days later" at '+89d' \
	pkcs11-tool --module "$CAREID_MODULE" --token-label "$U3" --login --pin 123456 -O
PATTERN='P12' check_status "after three months and a day, refused" 1 \
	env CAREID_LOG=warn faketime -f '+93d' pkcs11-tool --module "$CAREID_MODULE" --token-label "$U3" \
	--login --pin 123456 -O
U4=100000000005
until=$(date -u -d '+10 days' +%Y-%m-%d)
json_check "a contractor until a date: access to the end of that day" \
	"d['access_end'] == '$(date -u -d "$until +1 day" +%Y-%m-%dT00:00:00Z)'" \
	ct --json issue --uuid "$U4" --kind contractor --until "$until" --so-passcode-file "$IT_TMP/so" \
	--new-passcode-file "$IT_TMP/pin"
PATTERN='past' check_status "a contract end in the past is refused (exit 2)" 2 \
	ct issue --uuid 100000000006 --kind contractor --until 2020-01-01 --so-passcode-file "$IT_TMP/so" \
	--new-passcode-file "$IT_TMP/pin"

# ---- an edited record ---------------------------------------------------------
serial=$(ct --json --token "$U3" audit verify | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
db="$IT_TMP/tokens/$serial.token"
# The holder moves the access end by a year in the record's bytes.
it_check "edit the contractor's record with sqlite3" python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
(v,) = c.execute("SELECT value FROM meta WHERE key = 'lifecycle_record'").fetchone()
b = bytearray(v)
i = b.find(bytes([5, 8]))  # the access-end field: tag 5, 8 bytes
assert i > 0
end = int.from_bytes(b[i + 2:i + 10], 'big') + 365 * 86400
b[i + 2:i + 10] = end.to_bytes(8, 'big')
c.execute("UPDATE meta SET value = ? WHERE key = 'lifecycle_record'", (bytes(b),))
c.commit()
PY
PATTERN='not signed by the configured issuer' check_status "the edited record is refused at login" 1 \
	env CAREID_LOG=warn pkcs11-tool --module "$CAREID_MODULE" --token-label "$U3" --login --pin 123456 -O
PATTERN='login-refused' check_status "...and audited" 0 ct --token "$U3" audit show

# ---- P10: cancel ---------------------------------------------------------------
serial1=$(ct --json --token "$U1" audit verify | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
it_check "before the cancel the token holds its two private keys" bash -c \
	'[[ $(sqlite3 "$1" "SELECT count(*) FROM objects WHERE private = 1") == 2 ]]' _ "$IT_TMP/tokens/$serial1.token"
check_status "the sponsor cancels a lost token" 0 ct --token "$U1" cancel --so-passcode-file "$IT_TMP/so"
json_check "...status: cancelled" "d['state'] == 'cancelled'" ct --json --token "$U1" status
PATTERN='P10' check_status "...the holder's right passcode is refused" 1 \
	env CAREID_LOG=warn pkcs11-tool --module "$CAREID_MODULE" --token-label "$U1" --login --pin 246810 -O
PATTERN='locked' check_status "...so is the sponsor (unblock exits 3)" 3 \
	ct --token "$U1" unblock --so-passcode-file "$IT_TMP/so" --new-passcode-file "$IT_TMP/pin"
it_check "...and its keys are gone from the file" bash -c \
	'[[ $(sqlite3 "$1" "SELECT count(*) FROM objects WHERE private = 1 OR sealed IS NOT NULL") == 0 ]]' _ \
	"$IT_TMP/tokens/$serial1.token"
PATTERN='keys-destroyed' check_status "...audited" 0 ct --token "$U1" audit show
json_check "the trail names each procedure: issued, renewed twice, in person twice (renewal, repair), cancelled" \
	"[r['event'] for r in d if r['event'] in ('issued', 'renewed', 'renewed-in-person', 'cancelled', 'record-updated')] == ['issued', 'renewed', 'renewed', 'renewed-in-person', 'renewed-in-person', 'cancelled'] and 'uuid=$U1 kind=standard' in [r for r in d if r['event'] == 'issued'][0]['detail']" \
	ct --json --token "$U1" audit show
PATTERN='cancelled already' check_status "cancelling twice is refused (exit 1)" 1 \
	ct --token "$U1" cancel --so-passcode-file "$IT_TMP/so"

# ---- a token file restored from a copy: the issuer's register -----------------
U9=100000000009
check_status "issue a token whose file the holder will copy" 0 \
	ct issue --uuid "$U9" --so-passcode-file "$IT_TMP/so" --new-passcode-file "$IT_TMP/pin"
serial9=$(ct --json --token "$U9" audit verify | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
f9="$IT_TMP/tokens/$serial9.token"
it_check "...the register holds its record" python3 -c \
	'import json,sys; e = json.load(open(sys.argv[1]))[sys.argv[2]]; sys.exit(0 if e["uuid"] == sys.argv[3] and e["seq"] >= 1 and not e["cancelled"] else 1)' \
	"$IT_TMP/ra/register.json" "$serial9" "$U9"
cp "$f9" "$IT_TMP/copy9.token"
end9=$(faketime -f '+0s' "$TOOL" --module "$CAREID_MODULE" --json --token "$U9" status |
	python3 -c 'import json,sys,datetime; d=json.load(sys.stdin); print(int(datetime.datetime.strptime(d["certificates"][0]["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))')
off9=$(in_window "$end9")
# renew9 OFFSET [OPTIONS]: the holder's renewal of U9 at that faked time.
renew9() { faketime -f "$1" "$TOOL" --module "$CAREID_MODULE" --token "$U9" renew --passcode-file "$IT_TMP/pin" "${@:2}"; }
status9() { faketime -f "$1" "$TOOL" --module "$CAREID_MODULE" --json --token "$U9" status; }
# next9: off9 moves into the window of the certificates U9 has then.
next9() { off9=$(in_window "$(status9 "$off9" | python3 -c 'import json,sys,datetime; d=json.load(sys.stdin); print(int(datetime.datetime.strptime(d["certificates"][0]["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))')"); }
check_status "the first self-renewal" 0 renew9 "$off9"
next9
check_status "...the second" 0 renew9 "$off9"
next9
PATTERN='P8' check_status "...the third is refused" 1 renew9 "$off9"
cp "$IT_TMP/copy9.token" "$f9"
rm -f "$f9-wal" "$f9-shm"
json_check "the copy put back: the token shows no self-renewal used" "d['self_renewals_used'] == 0" status9 "$off9"
PATTERN='restored from an older copy' check_status "...but the issuer's register refuses its self-renewal (P8, exit 1)" 1 \
	renew9 "$off9"
check_status "...repaired in person by the sponsor instead (its certificates have ended by then)" 0 \
	faketime -f "$off9" "$TOOL" --module "$CAREID_MODULE" --token "$U9" repair --so-passcode-file "$IT_TMP/so" \
	--new-passcode-file "$IT_TMP/pin"
next9
check_status "...after which the holder renews alone again, in the next window" 0 renew9 "$off9"
cp "$f9" "$IT_TMP/copy9.token"
check_status "the sponsor cancels the token" 0 ct --token "$U9" cancel --so-passcode-file "$IT_TMP/so"
cp "$IT_TMP/copy9.token" "$f9"
rm -f "$f9-wal" "$f9-shm"
PATTERN='the issuer cancelled token' check_status "a copy from before the cancel is neither renewed (P10, exit 1)" 1 \
	renew9 "$off9" --in-person --so-passcode-file "$IT_TMP/so"
PATTERN='the issuer cancelled token' check_status "...nor repaired" 1 \
	faketime -f "$off9" "$TOOL" --module "$CAREID_MODULE" --token "$U9" repair --so-passcode-file "$IT_TMP/so" \
	--new-passcode-file "$IT_TMP/pin"

# ---- a token made with plain pkcs11-tool, with the issuer configured ----------
slot=$(free_slot)
pkcs11-tool --module "$CAREID_MODULE" --slot "$slot" --init-token --label plain --so-pin 87654321 >/dev/null 2>&1
pkcs11-tool --module "$CAREID_MODULE" --token-label plain --login --login-type so --so-pin 87654321 \
	--init-pin --new-pin 123456 >/dev/null 2>&1
PATTERN='no lifecycle record' check_status "a token without a record is refused when an issuer is configured" 1 \
	env CAREID_LOG=warn pkcs11-tool --module "$CAREID_MODULE" --token-label plain --login --pin 123456 -O
grep -v '^issuer_' "$IT_TMP/careid.conf" >"$IT_TMP/plain.conf"
it_check "...and works as a plain token without one" env CAREID_CONF="$IT_TMP/plain.conf" \
	pkcs11-tool --module "$CAREID_MODULE" --token-label plain --login --pin 123456 -O

it_summary
