#!/usr/bin/env bash
# Every interoperability script twice: loading careid directly, then through
# p11-kit's RPC (CAREID_REMOTE=1, see common.sh), and the counts side by
# side.  A script passes here when both routes pass all their checks and
# the RPC route runs as many checks as the direct one (where the RPC
# cannot carry a mechanism, the script does what a remote client does
# instead; nothing is left out).
#
#   CAREID_MODULE=build/src/careid-pkcs11.so bash tests/interop/remote.sh [SCRIPT...]
#
# SCRIPT is a name such as pkcs11_tool (default: every script of the
# suite present).  CAREID_INTEROP_LOGS=DIR keeps each run's output there.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/common.sh
source "$here/common.sh"

# counts LOG: "PASSED FAILED" from a script's closing line.
counts() {
	sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p' "$1" | tail -n 1
}

main() {
	local scripts=("$@") name log_dir rc_local rc_rpc local_counts rpc_counts
	local lp lf rp rf
	if ((${#scripts[@]} == 0)); then
		for name in pkcs11_tool openssl_engine openssl_provider p11tool nss; do
			[[ -f "$here/$name.sh" ]] && scripts+=("$name")
		done
	fi
	if [[ -z "${CAREID_MODULE:-}" ]]; then
		CAREID_MODULE="$(cd "$here/../.." && pwd)/build/src/careid-pkcs11.so"
	fi
	export CAREID_MODULE
	log_dir=${CAREID_INTEROP_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/careid-remote.XXXXXX")}
	mkdir -p "$log_dir"

	for name in "${scripts[@]}"; do
		CAREID_REMOTE=0 bash "$here/$name.sh" >"$log_dir/$name-local.log" 2>&1
		rc_local=$?
		CAREID_REMOTE=1 bash "$here/$name.sh" >"$log_dir/$name-rpc.log" 2>&1
		rc_rpc=$?
		if ((rc_local == 77 || rc_rpc == 77)); then
			printf '%s\n' "$(grep -h -m1 '^SKIP:' "$log_dir/$name-local.log" "$log_dir/$name-rpc.log" |
				head -n 1 | sed "s/^SKIP: /SKIP: $name: /")"
			continue
		fi
		local_counts=$(counts "$log_dir/$name-local.log")
		rpc_counts=$(counts "$log_dir/$name-rpc.log")
		read -r lp lf <<<"${local_counts:-0 1}"
		read -r rp rf <<<"${rpc_counts:-0 1}"
		if ((rc_local == 0 && lf == 0)); then
			it_pass "$name, loading careid: $lp passed, $lf failed"
		else
			it_fail "$name, loading careid: $lp passed, $lf failed (exit $rc_local)" "$log_dir/$name-local.log"
		fi
		if ((rc_rpc == 0 && rf == 0 && rp == lp)); then
			it_pass "$name, through p11-kit's RPC: $rp passed, $rf failed"
		else
			it_fail "$name, through p11-kit's RPC: $rp passed, $rf failed (exit $rc_rpc; $lp checks directly)" \
				"$log_dir/$name-rpc.log"
		fi
		grep -h '^NOTE:' "$log_dir/$name-rpc.log" | sed 's/^/      /'
	done
	if [[ -z "${CAREID_INTEROP_LOGS:-}" ]]; then
		rm -rf -- "$log_dir"
	fi
	if ((IT_PASSED + IT_FAILED == 0)); then
		echo "SKIP: no interoperability script could run here"
		exit 77
	fi
	it_summary
}

main "$@"
