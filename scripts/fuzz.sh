#!/usr/bin/env bash
# libFuzzer harnesses for careid's own parsers (tests/fuzz, docs/fuzzing.md).
#
#   scripts/fuzz.sh               build build-fuzz/ (clang, ASan + UBSan,
#                                 libFuzzer) and run every target for
#                                 CAREID_FUZZ_TIME seconds (default 15)
#   scripts/fuzz.sh --long        every target for CAREID_FUZZ_RUNS
#                                 executions (default 10000000)
#   scripts/fuzz.sh --no-build    run what build-fuzz/ holds
#   scripts/fuzz.sh NAME...       only these targets (tlv apdu piv x509
#                                 compressed config store)
#
# Each target starts from its seed corpus (tests/fuzz/corpus/NAME, never
# written to) plus a working corpus in build-fuzz/fuzz-corpus/NAME that
# keeps what earlier runs found.  A crash, a leak, undefined behaviour, a
# broken harness invariant or an input that takes over 10 s fails the
# target; the input is kept as build-fuzz/fuzz-artifacts/NAME-crash-...
# (reproduce: build-fuzz/tests/fuzz/fuzz_NAME FILE).
#
# CAREID_FUZZ_BUILD names another build directory than build-fuzz/.
#
# Prints a line per target with its executions and result, then
# "N passed, N failed"; exits non-zero when a target failed, 77 (SKIP)
# when clang or its libFuzzer runtime is missing.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${CAREID_FUZZ_BUILD:-$REPO/build-fuzz}
ALL_TARGETS=(tlv apdu piv x509 compressed config store)
FUZZ_TIME=${CAREID_FUZZ_TIME:-15}
FUZZ_RUNS=${CAREID_FUZZ_RUNS:-10000000}
LONG=0
BUILD_IT=1
TARGETS=()
PASSED=0
FAILED=0

usage() {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

pass() {
	PASSED=$((PASSED + 1))
	printf 'PASS: %s\n' "$1"
}

# fail NAME [LOGFILE]
fail() {
	FAILED=$((FAILED + 1))
	printf 'FAIL: %s\n' "$1"
	if [[ -n "${2:-}" && -s "$2" ]]; then
		grep -v '^#[0-9]' "$2" | tail -n 25 | sed 's/^/      | /'
	fi
}

summary() {
	echo "$PASSED passed, $FAILED failed"
	[[ $FAILED -eq 0 ]]
}

skip() {
	echo "SKIP: $1"
	exit 77
}

# The sanitizers and libFuzzer's own runtime come with clang; Debian ships
# them in libclang-rt-dev / libclang-common-*-dev, which clang depends on.
check_clang() {
	local probe
	command -v clang >/dev/null 2>&1 || skip "clang is not installed (scripts/install-deps.sh)"
	probe=$(mktemp -d) || return 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
		>"$probe/probe.c"
	if ! clang -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" >/dev/null 2>&1; then
		rm -rf "$probe"
		skip "clang cannot link -fsanitize=fuzzer,address,undefined (its runtime libraries are missing)"
	fi
	rm -rf "$probe"
}

build() {
	local log="$BUILD/fuzz-build.log" t targets=()
	# The core library is compiled for coverage (fuzzer-no-link) so that
	# libFuzzer sees careid's branches; undefined behaviour aborts rather
	# than printing and going on, so it fails the run.
	local opts=(-Dfuzzing=true "-Db_sanitize=address,undefined" -Db_lundef=false
		"-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all"
		-Dbuildtype=debugoptimized)
	mkdir -p "$BUILD"
	for t in "${TARGETS[@]}"; do
		targets+=("tests/fuzz/fuzz_$t")
	done
	{
		if [[ -f "$BUILD/build.ninja" ]]; then
			meson configure "$BUILD" "${opts[@]}"
		else
			CC=clang meson setup "$BUILD" "$REPO" "${opts[@]}"
		fi && ninja -C "$BUILD" "${targets[@]}"
	} >"$log" 2>&1
}

# run_target NAME: one target, its line, its tally.
run_target() {
	local name=$1 exe="$BUILD/tests/fuzz/fuzz_$1" work="$BUILD/fuzz-corpus/$1"
	local seeds="$REPO/tests/fuzz/corpus/$1" log="$BUILD/fuzz-$1.log"
	local artifacts="$BUILD/fuzz-artifacts" limit status=0 runs secs crash

	if [[ ! -x "$exe" ]]; then
		fail "fuzz_$name: not built ($exe)"
		return
	fi
	if [[ ! -d "$seeds" ]] || [[ -z "$(ls -A "$seeds")" ]]; then
		fail "fuzz_$name: no seed corpus in ${seeds#"$REPO"/}"
		return
	fi
	mkdir -p "$work" "$artifacts"
	if ((LONG)); then
		limit=(-runs="$FUZZ_RUNS")
	else
		limit=(-max_total_time="$FUZZ_TIME")
	fi
	# Seeds go second: libFuzzer adds what it finds to the first directory
	# only, so the repository's corpus stays as committed.
	# The braces' redirection also takes bash's own "Aborted" line.
	{
		ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
			"$exe" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$artifacts/$name-" "$work" "$seeds" >"$log" 2>&1
	} 2>/dev/null || status=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	secs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -n 1)
	if [[ -z "$runs" ]]; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	fi
	if [[ -z "$runs" ]]; then
		runs=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
	fi
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	if ((status != 0)) || [[ -n "$crash" ]]; then
		# What went wrong and where, rather than the log's tail (the
		# shadow-memory legend, the input's bytes).
		grep -E -A 14 '==[0-9]+==ERROR|runtime error:|invariant broken|libFuzzer: (deadly|timeout|out-of-memory)' \
			"$log" | head -n 24 >"$log.excerpt"
		[[ -s "$log.excerpt" ]] || grep -v '^#[0-9]' "$log" | tail -n 24 >"$log.excerpt"
		fail "fuzz_$name: failed after ${runs:-?} executions (exit $status)${crash:+; input kept as ${crash#"$REPO"/}}" "$log.excerpt"
		echo "      (whole log: ${log#"$REPO"/})"
		return
	fi
	if ((LONG)) && [[ "${runs:-0}" -lt "$FUZZ_RUNS" ]]; then
		fail "fuzz_$name: only ${runs:-0} of $FUZZ_RUNS executions" "$log"
		return
	fi
	pass "fuzz_$name: ${runs:-?} executions in ${secs:-?} s, no crash ($(find "$work" -type f | wc -l) inputs in the working corpus)"
}

main() {
	local arg t
	for arg in "$@"; do
		case $arg in
		--long) LONG=1 ;;
		--no-build) BUILD_IT=0 ;;
		-h | --help) usage; exit 0 ;;
		-*) echo "unknown option: $arg" >&2; usage >&2; exit 2 ;;
		*)
			if [[ " ${ALL_TARGETS[*]} " != *" $arg "* ]]; then
				echo "unknown target: $arg (targets: ${ALL_TARGETS[*]})" >&2
				exit 2
			fi
			TARGETS+=("$arg")
			;;
		esac
	done
	if ((${#TARGETS[@]} == 0)); then
		TARGETS=("${ALL_TARGETS[@]}")
	fi

	check_clang
	if ((BUILD_IT)); then
		if build; then
			pass "${BUILD#"$REPO"/}: ${#TARGETS[@]} targets built with clang, ASan, UBSan and libFuzzer"
		else
			fail "${BUILD#"$REPO"/}: build failed (see ${BUILD#"$REPO"/}/fuzz-build.log)" "$BUILD/fuzz-build.log"
			summary
			exit 1
		fi
	fi
	for t in "${TARGETS[@]}"; do
		run_target "$t"
	done
	summary
}

main "$@"
