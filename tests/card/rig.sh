#!/bin/bash
# PC/SC test rig: a private pcscd with a vpcd virtual reader, the virtual
# Care Identity card (careid-vcard) in it, and a command run against them.
#
#   tests/card/rig.sh [options] -- command [args...]
#
# Options:
#   --state FILE        card state file (default: a fresh card in the rig dir)
#   --vcard PATH        careid-vcard binary (default: $CAREID_VCARD)
#   --reader-name NAME  reader FRIENDLYNAME (default "careid test reader")
#   --port N            vpcd port of reader 0 (default 40001; reader 1 is N+1)
#   --apdu-log FILE     passed to careid-vcard
#   --vcard-arg ARG     one more careid-vcard argument (repeatable)
#   --pcscd-debug       run pcscd with -a -d (log in the rig dir)
#   --keep              keep the rig dir (logs) after exit
#
# Everything runs as root inside new mount, network and PID namespaces: the
# system's pcscd, its socket and its ports are never touched, and when the
# rig ends every process in it ends too.  The command sees:
#   CAREID_RIG_DIR, CAREID_STATE, CAREID_READER, CAREID_VCARD,
#   CAREID_VCARD_PIDFILE, CAREID_COUNT_FILE, CAREID_APDU_LOG
# and can source tests/card/lib.sh for card_remove / card_insert /
# card_restart / card_stop / card_start / card_wait_present / card_wait_absent,
# and pcscd_swap_reader / pcscd_restore_reader (a new reader, by restarting pcscd).
# Exit status: the command's, 77 when the rig cannot run here (not root, no
# namespaces, missing packages), 99 when the rig itself fails.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "rig: $*" >&2; exit 99; }

if [ "${1:-}" = "--inside" ]; then
	shift
	inside=1
else
	inside=0
fi

# ---------------------------------------------------------------- outside
if [ "$inside" = 0 ]; then
	state='' vcard=${CAREID_VCARD:-} reader="careid test reader" port=40001
	apdu_log='' keep=0 debug=0 vargs=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--state) state=$2; shift 2 ;;
		--vcard) vcard=$2; shift 2 ;;
		--reader-name) reader=$2; shift 2 ;;
		--port) port=$2; shift 2 ;;
		--apdu-log) apdu_log=$2; shift 2 ;;
		--vcard-arg) vargs+=("$2"); shift 2 ;;
		--pcscd-debug) debug=1; shift ;;
		--keep) keep=1; shift ;;
		--) shift; break ;;
		*) fail "unknown option $1 (see the header of $0)" ;;
		esac
	done
	[ $# -gt 0 ] || fail "no command given: rig.sh [options] -- command args..."

	[ "$(id -u)" = 0 ] || skip "the PC/SC rig needs root (private pcscd in a mount namespace)"
	command -v unshare >/dev/null || skip "unshare not found"
	command -v pcscd >/dev/null || skip "pcscd not installed"
	command -v opensc-tool >/dev/null || skip "opensc-tool not installed"
	driver=
	for d in /usr/lib/pcsc/drivers/serial/libifdvpcd.so \
	         /usr/lib/pcsc/drivers/serial/libifdvpcd.so.*; do
		[ -e "$d" ] && { driver=$d; break; }
	done
	[ -n "$driver" ] || skip "vpcd reader driver (package vsmartcard-vpcd) not installed"
	[ -n "$vcard" ] || fail "no careid-vcard: pass --vcard PATH or set CAREID_VCARD"
	[ -x "$vcard" ] || fail "careid-vcard not executable: $vcard"
	vcard=$(cd "$(dirname "$vcard")" && pwd)/$(basename "$vcard")

	# The strongest isolation this kernel allows; the PID namespace makes
	# cleanup certain, the network one keeps the vpcd ports private.
	ns=
	for try in "-m -n -p --fork --kill-child --mount-proc" "-m -n" "-m"; do
		# shellcheck disable=SC2086
		if unshare $try true 2>/dev/null; then ns=$try; break; fi
	done
	[ -n "$ns" ] || skip "cannot create a mount namespace here (unshare -m failed)"

	dir=$(mktemp -d /tmp/careid-rig.XXXXXX) || fail "mktemp failed"
	[ -n "$state" ] || state=$dir/card.state
	case "$state" in /*) ;; *) state=$PWD/$state ;; esac
	[ -z "$apdu_log" ] || case "$apdu_log" in /*) ;; *) apdu_log=$PWD/$apdu_log ;; esac

	mkdir -p "$dir/conf"
	hex=$(printf '0x%X' "$port")
	cat > "$dir/conf/careid-vpcd" <<EOF
FRIENDLYNAME "$reader"
DEVICENAME /dev/null:$hex
LIBPATH $driver
CHANNELID $hex
EOF
	# How the card is (re)started, also by card_restart in lib.sh.
	{
		echo '#!/bin/sh'
		printf 'exec %q --port %q --state %q --pidfile %q --count-file %q' \
			"$vcard" "$port" "$state" "$dir/vcard.pid" "$dir/count"
		[ -z "$apdu_log" ] || printf ' --apdu-log %q' "$apdu_log"
		for a in ${vargs[@]+"${vargs[@]}"}; do printf ' %q' "$a"; done
		printf ' "$@" >>%q 2>&1\n' "$dir/vcard.log"
	} > "$dir/start-vcard.sh"
	chmod +x "$dir/start-vcard.sh"

	export CAREID_RIG_DIR=$dir CAREID_STATE=$state CAREID_READER=$reader
	export CAREID_VCARD=$vcard CAREID_VCARD_PIDFILE=$dir/vcard.pid
	export CAREID_COUNT_FILE=$dir/count CAREID_APDU_LOG=$apdu_log
	export CAREID_RIG_PORT=$port CAREID_RIG_DEBUG=$debug
	# Whatever the module keeps by default (soft tokens, the host's card
	# audit trails) stays in the rig, not in the caller's home.
	export XDG_DATA_HOME=$dir/xdg-data
	# shellcheck disable=SC2086
	unshare $ns bash "$here/rig.sh" --inside "$@"
	rc=$?
	if [ "$keep" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ]; }; then
		echo "rig: logs kept in $dir" >&2
	else
		rm -rf "$dir"
	fi
	exit $rc
fi

# ----------------------------------------------------------------- inside
dir=$CAREID_RIG_DIR
pcscd_pid=

# shellcheck disable=SC2317  # invoked by trap
cleanup() {
	local p
	# The card saves its state on SIGTERM; give it time, since the end of
	# this shell kills everything left in the namespace.
	if [ -s "$dir/vcard.pid" ]; then
		p=$(cat "$dir/vcard.pid")
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 50); do
			if [ ! -e "$dir/vcard.pid" ] || ! kill -0 "$p" 2>/dev/null; then
				break
			fi
			sleep 0.1
		done
	fi
	# A test may have replaced the rig's pcscd (lib.sh pcscd_restart): the
	# pid file names whichever one runs now.  It is read before any pcscd
	# is stopped, since pcscd removes the file as it exits, and with
	# stderr redirected first, since the shell reports a failed '<' on
	# the stderr in force when it opens the file.
	p=$(tr -d '\0' 2>/dev/null </run/pcscd/pcscd.pid)
	[ -z "$pcscd_pid" ] || kill -TERM "$pcscd_pid" 2>/dev/null
	[ -z "$p" ] || [ "$p" = "$pcscd_pid" ] || kill -TERM "$p" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 143' TERM INT

ip link set lo up 2>/dev/null

# A tmpfs over /run/pcscd hides any system pcscd socket.  When the host has
# no /run/pcscd, the directory cannot be made without writing to the host's
# /run, so a tmpfs goes over /run itself (private to this namespace).
if [ -d /run/pcscd ]; then
	mount -n -t tmpfs -o mode=0755 careid-rig /run/pcscd || fail "cannot mount tmpfs on /run/pcscd"
else
	mount -n -t tmpfs -o mode=0755 careid-rig /run || fail "cannot mount tmpfs on /run"
	mkdir -p /run/pcscd /run/lock
fi

if [ "$CAREID_RIG_DEBUG" = 1 ]; then
	pcscd -f -a -d -c "$dir/conf" >"$dir/pcscd.log" 2>&1 &
else
	pcscd -f -c "$dir/conf" >"$dir/pcscd.log" 2>&1 &
fi
pcscd_pid=$!

for _ in $(seq 100); do
	[ -S /run/pcscd/pcscd.comm ] && break
	sleep 0.1
done
[ -S /run/pcscd/pcscd.comm ] || fail "private pcscd did not start (see $dir/pcscd.log)"

"$dir/start-vcard.sh" &

# shellcheck source=tests/card/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
card_wait_present 15 || fail "card not seen in the reader (see $dir/vcard.log, $dir/pcscd.log)"

"$@"
exit $?
