#!/usr/bin/env bash
# Firefox (firefox-esr, headless) and a card: the virtual Care Identity card
# (careid-vcard) in a private pcscd (tests/card/rig.sh), careid added to a
# fresh profile with modutil.  Firefox logs in with the card's passcode and
# authenticates to a TLS server that requires a client certificate from the
# card's CA; the server sees the card's CN (its UUID).  A wrong passcode
# costs exactly one try on the card.  The card pulled while Firefox runs
# ends the login (the token is gone and the next connection is refused);
# put back, Firefox asks for the passcode again and the login works.
#
#   CAREID_MODULE=build/src/careid-pkcs11.so \
#   CAREID_VCARD=build/src/vcard/careid-vcard bash tests/browser/firefox_card.sh
#
# Needs root (the rig's namespaces).  SKIP (77) when firefox-esr is not
# installed or the rig cannot run here.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/common.sh
source "$here/../interop/common.sh"
# shellcheck source=tests/browser/lib.sh
source "$here/lib.sh"

ff_need_firefox

# Into the rig first (it re-runs this script inside its namespaces).
if [[ -z "${CAREID_RIG_DIR:-}" || -z "${CAREID_FF_IN_RIG:-}" ]]; then
	# By default the card built next to the module.
	if [[ -z "${CAREID_VCARD:-}" && -n "${CAREID_MODULE:-}" ]]; then
		CAREID_VCARD=$(dirname "$CAREID_MODULE")/vcard/careid-vcard
	fi
	export CAREID_VCARD
	if [[ ! -x "${CAREID_VCARD:-}" ]]; then
		echo "FAIL: careid-vcard not found (set CAREID_VCARD)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	export CAREID_FF_IN_RIG=1
	exec bash "$here/../card/rig.sh" -- bash "$0" "$@"
fi

it_need pkcs11-tool
it_setup
FF_DIR=$IT_TMP
trap 'ff_stop_server; it_cleanup' EXIT

# Only the card: no soft token shows up in this run.
cat >"$CAREID_CONF" <<-EOF
	token_dir = $IT_TMP/tokens
	card_readers = yes
	soft_tokens = no
EOF

CARD_PIN="123456"    # a fresh virtual card's passcode (docs/vcard.md)
WRONG_PIN="999999"
UUID=$(awk '$1 == "uuid" { print $2 }' "$CAREID_STATE")
PROFILE=$IT_TMP/profile
CA=$IT_TMP/ca
mkdir -p "$CA"

# The card's CA certificate is object 5FFF21 of the card (raw DER).
card_ca() {
	it_hex2bin "$(awk '$1 == "obj" && $2 == "5fff21" { print $3 }' "$CAREID_STATE")" >"$CA/card-ca.der" &&
		openssl x509 -inform DER -in "$CA/card-ca.der" -out "$CA/card-ca.crt" &&
		openssl x509 -in "$CA/card-ca.crt" -noout -subject
}
# The card's tries as its state file keeps them ("pin TRIES ...").
card_tries() {
	local t
	t=$(awk '$1 == "pin" { print $2 }' "$CAREID_STATE")
	echo "tries left: $t"
	[[ $t == "$1" ]]
}
# In a file of its own, for the plan's shell steps.
cat >"$IT_TMP/card-tries.sh" <<-EOF
	t=\$(awk '\$1 == "pin" { print \$2 }' "$CAREID_STATE")
	echo "tries left: \$t"
	[ "\$t" = "\$1" ]
EOF
cat >"$IT_TMP/card.sh" <<-EOF
	. "$here/../card/lib.sh"
	"\$@"
EOF

it_check "card $UUID in the rig's reader; its CA certificate (object 5FFF21)" card_ca ||
	{ it_summary; exit 1; }
it_check "careid lists the card's token $UUID" \
	grep -q "token label *: *$UUID" <(p11 -L 2>&1)
it_check "test CA and server certificate" ff_make_ca "$CA" || { it_summary; exit 1; }
it_check "fresh Firefox profile trusting the test CA" ff_profile "$PROFILE" "$CA/ca.crt" ||
	{ it_summary; exit 1; }
it_check "modutil -add careid -libfile $(basename "$CAREID_MODULE")" \
	ff_modutil_add "$PROFILE" "$CAREID_MODULE"
it_check "TLS server on 127.0.0.1 requiring a client certificate from the card's CA" \
	ff_start_server "$CA" "$CA/card-ca.crt" || { it_summary; exit 1; }
URL="https://127.0.0.1:$FF_PORT"
it_check "before Firefox: the card has three tries" card_tries 3

cat >"$IT_TMP/plan.json" <<-EOF
	[
	 {"do": "present", "token": "$UUID", "expect": true, "wait": 15, "fatal": true,
	  "module": "careid", "name": "Firefox sees the card's token $UUID"},
	 {"do": "prompt", "answers": ["$WRONG_PIN"]},
	 {"do": "login", "token": "$UUID", "expect": "refused", "prompts": 2,
	  "name": "a wrong passcode is refused (then the prompt is cancelled)"},
	 {"do": "shell", "cmd": "bash $IT_TMP/card-tries.sh 2",
	  "name": "the wrong passcode cost exactly one try on the card (2 left)"},
	 {"do": "prompt", "answers": ["$CARD_PIN"]},
	 {"do": "login", "token": "$UUID", "expect": "ok", "prompts": 1,
	  "name": "the card's passcode logs in (stand-in prompt answered once)"},
	 {"do": "shell", "cmd": "bash $IT_TMP/card-tries.sh 3",
	  "name": "the right passcode restored the card's three tries"},
	 {"do": "visit", "url": "$URL/card", "expect": "CN=$UUID",
	  "name": "Firefox shows the page: the server saw the card's CN=$UUID"},
	 {"do": "shell", "cmd": "bash $IT_TMP/card.sh card_remove",
	  "name": "the card is pulled out of the reader while Firefox runs"},
	 {"do": "present", "token": "$UUID", "expect": false, "wait": 15,
	  "name": "Firefox sees the token gone"},
	 {"do": "logged_in", "token": "$UUID", "expect": false, "wait": 15,
	  "name": "the login ended with the card (the token is no longer logged in)"},
	 {"do": "prompt", "answers": []},
	 {"do": "visit", "url": "$URL/pulled", "expect_fail": true, "expect_not": "CN=",
	  "name": "without the card the next connection is refused"},
	 {"do": "shell", "cmd": "bash $IT_TMP/card.sh card_insert",
	  "name": "the card is put back"},
	 {"do": "present", "token": "$UUID", "expect": true, "wait": 15,
	  "name": "Firefox sees the card's token again"},
	 {"do": "prompt", "answers": ["$CARD_PIN"]},
	 {"do": "visit", "url": "$URL/back", "expect": "CN=$UUID", "prompts": 1,
	  "name": "put back: Firefox asks for the passcode once and the server sees CN=$UUID again"}
	]
EOF
ff_run firefox-card "$PROFILE" "$IT_TMP/plan.json" 150
it_check "the server saw the card's certificate twice, both times CN=$UUID" \
	test "$(grep -c "client CN=$UUID\$" "$FF_DIR/server.log")" -ge 2
it_check "the card still has three tries" card_tries 3
it_check "no Firefox process is left on the profile" ff_no_stray "$PROFILE"

it_summary
