# shellcheck shell=bash
# Helpers for commands run inside tests/card/rig.sh (source this file).
# They act on the card the rig started: CAREID_RIG_DIR and friends are set
# by the rig.

# Is a card in reader 0 of the private pcscd?
card_present() {
	opensc-tool -l 2>/dev/null | grep -Eq '^0[[:space:]]+Yes'
}

card_wait_present() {
	local t=$(( ${1:-10} * 10 ))
	while [ "$t" -gt 0 ]; do
		card_present && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

card_wait_absent() {
	local t=$(( ${1:-10} * 10 ))
	while [ "$t" -gt 0 ]; do
		card_present || return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

card_pid() {
	cat "$CAREID_RIG_DIR/vcard.pid" 2>/dev/null
}

# Pull the card out of the reader (the process keeps running).
card_remove() {
	kill -USR1 "$(card_pid)" && card_wait_absent 10
}

# Put it back.
card_insert() {
	kill -USR1 "$(card_pid)" && card_wait_present 10
}

# Stop the card process (it saves its state) and wait until the reader is
# empty.
card_stop() {
	local p
	p=$(card_pid)
	if [ -n "$p" ]; then
		kill -TERM "$p"
		while [ -e "$CAREID_RIG_DIR/vcard.pid" ] && kill -0 "$p" 2>/dev/null; do
			sleep 0.05
		done
	fi
	card_wait_absent 10
}

# Start a card process on the rig's state file and wait until it is seen.
card_start() {
	"$CAREID_RIG_DIR/start-vcard.sh" &
	card_wait_present 15
}

# Stop the card process and start a new one on the same state file: what
# survives this is what the chip keeps.
card_restart() {
	card_stop && card_start
}

# Is the card in a reader whose name contains $1?
card_present_in() {
	opensc-tool -l 2>/dev/null | grep -E '[[:space:]]Yes[[:space:]]' | grep -qF "$1"
}

# Restart the rig's pcscd, which reads its reader files only when it
# starts, and wait until the card (it reconnects by itself) is seen in a
# reader whose name contains $1.
pcscd_restart() {
	local pid t=150
	pid=$(tr -d '\0' </run/pcscd/pcscd.pid 2>/dev/null)
	[ -n "$pid" ] || return 1
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	# In the foreground of a background shell, so that the rig's cleanup
	# (which ends whichever pcscd /run/pcscd/pcscd.pid names) stops it.
	if [ "${CAREID_RIG_DEBUG:-0}" = 1 ]; then
		pcscd -f -a -d -c "$CAREID_RIG_DIR/conf" >>"$CAREID_RIG_DIR/pcscd.log" 2>&1 &
	else
		pcscd -f -c "$CAREID_RIG_DIR/conf" >>"$CAREID_RIG_DIR/pcscd.log" 2>&1 &
	fi
	while [ "$t" -gt 0 ]; do
		card_present_in "$1" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

# The card's reader goes away and a reader named $1 appears in its place
# (same vpcd port, so the card moves into it).  One vpcd reader at a
# time: the vpcd driver keeps one state per slot number, which two
# readers in one pcscd would share.
pcscd_swap_reader() {
	local conf=$CAREID_RIG_DIR/conf/careid-vpcd
	[ -e "$CAREID_RIG_DIR/careid-vpcd.orig" ] || cp "$conf" "$CAREID_RIG_DIR/careid-vpcd.orig" || return 1
	sed "s/^FRIENDLYNAME .*/FRIENDLYNAME \"$1\"/" "$CAREID_RIG_DIR/careid-vpcd.orig" >"$conf" || return 1
	pcscd_restart "$1"
}

# Back to the rig's own reader.
pcscd_restore_reader() {
	[ -e "$CAREID_RIG_DIR/careid-vpcd.orig" ] || return 0
	mv "$CAREID_RIG_DIR/careid-vpcd.orig" "$CAREID_RIG_DIR/conf/careid-vpcd" || return 1
	pcscd_restart "$CAREID_READER" && card_wait_present 15
}

# Number of APDUs the running card has served so far.
card_apdu_count() {
	cat "$CAREID_COUNT_FILE" 2>/dev/null || echo 0
}

# ---- test bookkeeping: one line per check, then "N passed, N failed" ----
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }

# check "what" command args...: passes when the command succeeds.
check() {
	local what=$1
	shift
	if "$@" >>"${CAREID_TEST_LOG:-/dev/null}" 2>&1; then ok "$what"; else not_ok "$what"; fi
}

# check_fails "what" command args...: passes when the command fails.
check_fails() {
	local what=$1
	shift
	if "$@" >>"${CAREID_TEST_LOG:-/dev/null}" 2>&1; then not_ok "$what"; else ok "$what"; fi
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}

# Re-runs the calling test inside the rig unless it already is inside.
# Usage at the top of a test: rig_enter "$0" [rig options] -- "$@"
rig_enter() {
	local script=$1
	shift
	[ -n "${CAREID_RIG_DIR:-}" ] && [ -n "${CAREID_IN_RIG:-}" ] && return 0
	local ropts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do ropts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	export CAREID_IN_RIG=1
	exec "$(dirname "$script")/rig.sh" ${ropts[@]+"${ropts[@]}"} -- bash "$script" "$@"
}

# Sends APDUs (hex, as opensc-tool -s takes them) to reader 0 after
# selecting PIV; prints opensc-tool's output.
apdu() {
	local args=(-r 0 -s 00A4040009A00000030800001000)
	for a in "$@"; do args+=(-s "$a"); done
	opensc-tool "${args[@]}" 2>&1
}

# The status word of the last APDU in an apdu() run, as 4 hex digits.
last_sw() {
	apdu "$@" | sed -n 's/.*SW1=0x\([0-9A-Fa-f]*\), SW2=0x\([0-9A-Fa-f]*\).*/\1 \2/p' |
		tail -n 1 | { read -r a b; printf '%02X%02X\n' "0x$a" "0x$b"; }
}

# card_need PROGRAM...: sets M to the absolute path of careid's
# module ($CAREID_MODULE) and checks the programs a card script runs;
# SKIP (exit 77) with the reason when one is missing.
card_need() {
	local prog
	M=${CAREID_MODULE:-}
	if [ -z "$M" ] || [ ! -e "$M" ]; then
		echo "SKIP: CAREID_MODULE does not name the built module"
		exit 77
	fi
	for prog in "$@"; do
		command -v "$prog" >/dev/null || { echo "SKIP: $prog not installed"; exit 77; }
	done
	case "$M" in /*) ;; *) M=$PWD/$M ;; esac
}
