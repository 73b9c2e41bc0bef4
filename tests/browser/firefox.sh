#!/usr/bin/env bash
# Firefox (Debian's firefox-esr, headless) logs in to a careid soft token
# and authenticates with its certificate to a TLS server that requires and
# verifies a client certificate (tests/browser/cn_server.py); the page shows
# the CN the server saw.  A fresh profile, careid added with modutil, the
# test CA trusted, the passcode typed by a stand-in for Firefox's prompt
# (tests/browser/ffdrive.py).  A wrong passcode is refused and costs exactly
# one try; the right one then works and restores the tries.
#
#   CAREID_MODULE=build/src/careid-pkcs11.so bash tests/browser/firefox.sh
#
# With --p11-kit, careid is reached through p11-kit-proxy.so instead: careid
# is registered with p11-kit by a module file of the test's own (see below
# for how p11-kit is made to read it without touching /etc or /usr/share),
# and the profile loads only the proxy.  SKIP (77) only when firefox-esr is
# not installed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/common.sh
source "$here/../interop/common.sh"
# shellcheck source=tests/browser/lib.sh
source "$here/lib.sh"

ROUTE=modutil
[[ "${1:-}" == --p11-kit ]] && ROUTE=p11-kit

ff_need_firefox
it_need pkcs11-tool
it_setup
FF_DIR=$IT_TMP
trap 'ff_stop_server; it_cleanup' EXIT

LABEL=$(printf '%d%011d' $((RANDOM % 9 + 1)) $(((RANDOM * 32768 + RANDOM) % 100000000000)))
SO_PIN="87654321"
USER_PIN="123456"
WRONG_PIN="999999"
PROFILE=$IT_TMP/profile
CA=$IT_TMP/ca

# The token's tries, read through careid's token flags (pkcs11-tool -L);
# a script of its own, so that the plan's shell steps run it while Firefox
# holds the token.
cat >"$IT_TMP/tries.sh" <<'EOF'
# bash tries.sh all|one MODULE LABEL
flags=$(pkcs11-tool --module "$2" -L 2>/dev/null | awk -v want="$3" '
	/^Slot / { mine = 0 }
	/token label/ { mine = ($NF == want) }
	mine && /token flags/ { sub(/.*token flags *: */, ""); print; exit }')
echo "flags: $flags"
[ -n "$flags" ] || exit 1
case $1 in
# All three tries left: no count flag at all.
all) case $flags in *"count low"* | *"final try"* | *locked*) exit 1 ;; esac ;;
# One spent: "user PIN count low" (2 left), not yet "final try".
one) case $flags in *"final try"* | *locked*) exit 1 ;; *"user PIN count low"*) ;; *) exit 1 ;; esac ;;
*) exit 2 ;;
esac
EOF
tries() {
	bash "$IT_TMP/tries.sh" "$1" "$CAREID_MODULE" "$LABEL"
}

it_check "test CA and server certificate" ff_make_ca "$CA" || { it_summary; exit 1; }
it_check "soft token $LABEL: RSA-2048 key and certificate O=careid test, OU=people, CN=$LABEL (id 01)" \
	ff_soft_token "$LABEL" "$SO_PIN" "$USER_PIN" "$CA" || { it_summary; exit 1; }
it_check "fresh Firefox profile trusting the test CA (certutil -A -t CT,C,C)" \
	ff_profile "$PROFILE" "$CA/ca.crt" || { it_summary; exit 1; }

if [[ $ROUTE == modutil ]]; then
	it_check "modutil -add careid -libfile $(basename "$CAREID_MODULE")" \
		ff_modutil_add "$PROFILE" "$CAREID_MODULE"
	ROUTE_NAME="careid added to the profile with modutil"
	MODNAME=careid
else
	proxy=""
	for p in /usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-proxy.so \
		/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so; do
		[[ -e "$p" ]] && { proxy=$p; break; }
	done
	if [[ -z "$proxy" ]]; then
		it_fail "p11-kit-proxy.so not found (package p11-kit-modules)"
		it_summary
		exit 1
	fi
	# careid registered with p11-kit by a module file of this test's own.
	# p11-kit reads a user's module files from $XDG_CONFIG_HOME/pkcs11/modules
	# (~/.config/pkcs11/modules), but Debian's p11-kit 0.24 skips the user
	# configuration in a program running as root.  As root the test gives
	# p11-kit a private view instead: its package module directory,
	# /usr/share/p11-kit/modules, replaced by the test's directory in a
	# mount namespace of the test's own; nothing on the host changes.
	mkdir -p "$IT_TMP/p11-kit/modules"
	printf 'module: %s\ncritical: yes\n' "$CAREID_MODULE" \
		>"$IT_TMP/p11-kit/modules/careid-test.module"
	if [[ $(id -u) == 0 ]]; then
		# shellcheck disable=SC2016  # expanded by the inner sh
		FF_WRAP=(unshare -m sh -c 'mount --bind "$0" /usr/share/p11-kit/modules && exec "$@"'
			"$IT_TMP/p11-kit/modules")
		P11KIT_VIEW="a private mount namespace over /usr/share/p11-kit/modules (root)"
	else
		export XDG_CONFIG_HOME=$IT_TMP/config
		mkdir -p "$XDG_CONFIG_HOME/pkcs11"
		ln -s "$IT_TMP/p11-kit/modules" "$XDG_CONFIG_HOME/pkcs11/modules"
		P11KIT_VIEW="XDG_CONFIG_HOME/pkcs11/modules"
	fi
	it_check_output "p11-kit list-modules shows careid from the test's module file ($P11KIT_VIEW)" \
		"careid-test: .*careid-pkcs11" ${FF_WRAP[@]+"${FF_WRAP[@]}"} p11-kit list-modules
	it_check "modutil -add p11-kit-proxy -libfile $proxy" \
		ff_modutil_add "$PROFILE" "$proxy" p11-kit-proxy
	ROUTE_NAME="careid through p11-kit-proxy.so"
	MODNAME=p11-kit-proxy
fi
it_check "TLS server on 127.0.0.1 requiring a client certificate from the test CA" \
	ff_start_server "$CA" "$CA/ca.crt" || { it_summary; exit 1; }
URL="https://127.0.0.1:$FF_PORT"

# A client without a certificate is turned away: the server really checks.
it_check_fails "the server refuses a client without a certificate" '^refused: ' \
	ff_probe_without_cert "$CA/ca.crt"
it_check "the server logged why: no client certificate" \
	ff_server_log_has 'handshake refused: .*CERTIFICATE'

it_check "before Firefox: the token has all its tries" tries all

cat >"$IT_TMP/plan.json" <<-EOF
	[
	 {"do": "present", "token": "$LABEL", "expect": true, "wait": 10, "fatal": true,
	  "module": "$MODNAME", "name": "$ROUTE_NAME: Firefox sees token $LABEL in module $MODNAME"},
	 {"do": "prompt", "answers": ["$WRONG_PIN"]},
	 {"do": "login", "token": "$LABEL", "expect": "refused", "prompts": 2,
	  "name": "a wrong passcode is refused (then the prompt is cancelled)"},
	 {"do": "shell", "cmd": "bash $IT_TMP/tries.sh one $CAREID_MODULE $LABEL",
	  "name": "the wrong passcode cost exactly one try (token flags: user PIN count low, not final try)"},
	 {"do": "prompt", "answers": ["$USER_PIN"]},
	 {"do": "login", "token": "$LABEL", "expect": "ok", "prompts": 1,
	  "name": "the right passcode logs in (stand-in prompt answered once)"},
	 {"do": "shell", "cmd": "bash $IT_TMP/tries.sh all $CAREID_MODULE $LABEL",
	  "name": "the right passcode restored all tries"},
	 {"do": "visit", "url": "$URL/first", "expect": "CN=$LABEL",
	  "name": "Firefox shows the page: the server saw CN=$LABEL"},
	 {"do": "visit", "url": "$URL/second", "expect": "CN=$LABEL",
	  "name": "a second full handshake signs on the token again"},
	 {"do": "logout", "token": "$LABEL", "name": "Firefox logs out of the token"},
	 {"do": "prompt", "answers": []},
	 {"do": "visit", "url": "$URL/cancelled", "expect_fail": true, "expect_not": "CN=",
	  "name": "logged out and the passcode prompt cancelled: no login, the server turns Firefox away"},
	 {"do": "prompt", "answers": ["$USER_PIN"]},
	 {"do": "visit", "url": "$URL/third", "expect": "CN=$LABEL", "prompts": 1,
	  "name": "logged out, the TLS handshake asks for the passcode (stand-in answers once) and logs in"},
	 {"do": "logged_in", "token": "$LABEL", "expect": true,
	  "name": "the handshake's login left the token logged in"}
	]
EOF
ff_run "firefox-$ROUTE" "$PROFILE" "$IT_TMP/plan.json" 150
it_check "the server logged two client-certificate requests with CN=$LABEL" \
	test "$(grep -c "client CN=$LABEL\$" "$FF_DIR/server.log")" -ge 2
it_check "no Firefox process is left on the profile" ff_no_stray "$PROFILE"

it_summary
