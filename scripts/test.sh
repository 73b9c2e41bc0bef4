#!/usr/bin/env bash
# The careid test command.  From a fresh Debian 12 machine (as root):
#
#   scripts/test.sh               all passes below
#   scripts/test.sh --no-asan     skip the sanitizer pass
#   scripts/test.sh --no-valgrind skip the valgrind pass
#   scripts/test.sh --no-fuzz     skip the fuzzing pass
#
# Passes:
#   1. build/       default build (debugoptimized); every suite:
#                   unit, api, mock (every backend call failing in
#                   every way, through a test-only module), guest (hosts
#                   that bring their own SQLite, route OpenSSL back into
#                   careid, watch exit handlers; the symbol table), interop (pkcs11-tool, OpenSSL
#                   engine and provider, GnuTLS p11tool, NSS driving the
#                   built module), remote (the same through p11-kit's
#                   RPC), browser (headless Firefox, TLS client login) and
#                   card (a private pcscd with the virtual card: careid's
#                   module, OpenSC, ykcs11, protocol fuzzing, APDU counts;
#                   these need root and report SKIP without it).
#   2. build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer build.
#                   unit, api, guest and mock run as they are (their
#                   executables carry the sanitizers).  The interop scripts
#                   run programs that
#                   are not built with ASan (pkcs11-tool, openssl) loading
#                   the ASan-built module, so they run with the sanitizer
#                   runtimes in LD_PRELOAD and leak detection off (the
#                   clients' own leaks are not ours to report).  p11tool is
#                   left out there: it hangs at exit under a preloaded
#                   libasan, with any module.  The careid card test
#                   and the card fuzz pass run there too.
#   3. valgrind     the unit suite (but test_crypto*, slow there and
#                   covered by pass 2) and two API tests of pass 1 under
#                   valgrind (memcheck; definite leaks are errors).
#   4. fuzzing      scripts/fuzz.sh: libFuzzer on careid's own parsers,
#                   a short run per target (docs/fuzzing.md has the long one).
#
# Ends with a plain "N passed, N failed" line over everything that ran and
# exits non-zero if anything failed.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_ASAN=1
RUN_VALGRIND=1
RUN_FUZZ=1
DEFAULT_BUILD_OK=0
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
PASS_RESULTS=()

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

banner() {
	printf '\n======== %s ========\n' "$*"
}

# tally LABEL LOGFILE STATUS: adds meson's "Ok:/Fail:..." summary to the totals.
tally() {
	local label=$1 log=$2 status=$3 ok fail skip
	ok=$(awk '/^(Ok|Expected Fail):/ { n += $NF } END { print n + 0 }' "$log")
	fail=$(awk '/^(Fail|Unexpected Pass|Timeout):/ { n += $NF } END { print n + 0 }' "$log")
	skip=$(awk '/^Skipped:/ { n += $NF } END { print n + 0 }' "$log")
	if ! grep -q '^Ok:' "$log"; then
		# No summary at all: the build or meson itself failed.
		fail=$((fail + 1))
	elif [[ $status -ne 0 && $fail -eq 0 ]]; then
		fail=1
	fi
	TOTAL_PASSED=$((TOTAL_PASSED + ok))
	TOTAL_FAILED=$((TOTAL_FAILED + fail))
	TOTAL_SKIPPED=$((TOTAL_SKIPPED + skip))
	PASS_RESULTS+=("$(printf '%-32s %3d passed, %d failed, %d skipped' "$label" "$ok" "$fail" "$skip")")
}

# run_logged LOGFILE CMD...: shows the output and keeps a copy; returns CMD's status.
run_logged() {
	local log=$1 status=0
	shift
	"$@" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
	return "$status"
}

# setup_build DIR [meson options...]
setup_build() {
	local dir=$1
	shift
	if [[ -f "$dir/build.ninja" ]]; then
		meson configure "$dir" "$@" >/dev/null || return 1
	else
		meson setup "$dir" "$REPO" "$@" || return 1
	fi
	ninja -C "$dir"
}

# meson_pass LABEL BUILDDIR [meson test args...]
meson_pass() {
	local label=$1 dir=$2 log status=0
	shift 2
	log="$dir/careid-test-$(tr -c 'a-z0-9' '-' <<<"$label").log"
	run_logged "$log" meson test -C "$dir" --print-errorlogs "$@" || status=$?
	tally "$label" "$log" "$status"
}

build_or_fail() {
	local label=$1 dir=$2 log
	shift 2
	mkdir -p "$dir"
	log="$dir/careid-build.log"
	if run_logged "$log" setup_build "$dir" "$@"; then
		return 0
	fi
	TOTAL_FAILED=$((TOTAL_FAILED + 1))
	PASS_RESULTS+=("$(printf '%-32s build failed (see %s)' "$label" "${log#"$REPO"/}")")
	return 1
}

pass_default() {
	banner "pass 1: build/ (all suites)"
	if build_or_fail "build/" "$REPO/build"; then
		DEFAULT_BUILD_OK=1
		meson_pass "build/ all suites" "$REPO/build"
	fi
}

pass_asan() {
	local dir="$REPO/build-asan" preload lib names=()
	banner "pass 2: build-asan/ (AddressSanitizer + UBSan)"
	build_or_fail "build-asan/" "$dir" -Db_sanitize=address,undefined -Db_lundef=false || return 0

	meson_pass "build-asan/ unit+api+guest+mock" "$dir" --suite unit --suite api --suite guest --suite mock

	preload=""
	for lib in libasan.so libubsan.so; do
		lib=$(cc -print-file-name="$lib")
		[[ -f "$lib" ]] && preload+="${preload:+ }$lib"
	done
	# Interop tests but p11tool: GnuTLS's p11tool (through p11-kit's exit
	# handler) deadlocks at exit whenever libasan is preloaded, whatever
	# module it loads, so it runs in pass 1 only.  Two card tests join
	# them: careid's (its program is built with the sanitizers, the
	# clients it runs beside it are not) and the fuzz pass, whose target,
	# the virtual card, is then a sanitized build.
	mapfile -t names < <(meson test -C "$dir" --list 2>/dev/null |
		awk -F' / ' '($1 ~ /interop/ && $NF != "p11tool") || $NF == "card_careid" || $NF == "card_fuzz" { print $NF }')
	if ((${#names[@]} == 0)); then
		return 0
	fi
	# --wrap's env runs after meson's own test environment is applied, so
	# these settings win over the ASAN_OPTIONS given in tests/meson.build.
	meson_pass "build-asan/ interop+card (preload)" "$dir" --timeout-multiplier 0.5 \
		--wrap="env LD_PRELOAD='$preload' ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" \
		"${names[@]}"
}

pass_valgrind() {
	local dir="$REPO/build" names=()
	banner "pass 3: valgrind (unit tests and two API tests from build/)"
	if ((!DEFAULT_BUILD_OK)); then
		PASS_RESULTS+=("$(printf '%-32s skipped (build/ did not build)' "valgrind")")
		return 0
	fi
	if ! command -v valgrind >/dev/null 2>&1; then
		PASS_RESULTS+=("$(printf '%-32s skipped (valgrind not installed)' "valgrind")")
		return 0
	fi
	# Unit tests plus two API tests that exist in this tree.  The
	# test_crypto* programs are left to the ASan pass: their key generation
	# takes minutes under valgrind.
	mapfile -t names < <(meson test -C "$dir" --list 2>/dev/null |
		awk -F' / ' '
			$1 ~ /unit/ && $NF !~ /^test_crypto/ { print $NF }
			$1 ~ /api/ && ($NF == "test_module" || $NF == "test_sign") { print $NF }')
	if ((${#names[@]} == 0)); then
		PASS_RESULTS+=("$(printf '%-32s skipped (no unit/API tests yet)' "valgrind")")
		return 0
	fi
	meson_pass "valgrind (${#names[@]} tests)" "$dir" --no-rebuild --timeout-multiplier 4 \
		--wrap='valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --track-origins=no' \
		"${names[@]}"
}

# The fuzzing pass: scripts/fuzz.sh ends with "N passed, N failed" and
# exits 77 when clang's libFuzzer is not there.
pass_fuzz() {
	local log="$REPO/build-fuzz-test.log" status=0 line ok fail
	banner "pass 4: fuzzing (scripts/fuzz.sh, short run)"
	run_logged "$log" "$REPO/scripts/fuzz.sh" || status=$?
	if ((status == 77)); then
		PASS_RESULTS+=("$(printf '%-32s skipped (%s)' "fuzzing" "$(grep -m1 '^SKIP' "$log" || echo 'no fuzzer')")")
		return 0
	fi
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	ok=$(awk '{ print $1 }' <<<"${line:-0 passed}")
	fail=$(awk '{ print $3 }' <<<"${line:-0 passed, 1 failed}")
	if [[ -z "$line" || ($status -ne 0 && $fail -eq 0) ]]; then
		fail=$((fail + 1))
	fi
	TOTAL_PASSED=$((TOTAL_PASSED + ok))
	TOTAL_FAILED=$((TOTAL_FAILED + fail))
	PASS_RESULTS+=("$(printf '%-32s %3d passed, %d failed' "fuzzing" "$ok" "$fail")")
}

main() {
	local arg
	for arg in "$@"; do
		case $arg in
		--no-asan) RUN_ASAN=0 ;;
		--no-valgrind) RUN_VALGRIND=0 ;;
		--no-fuzz) RUN_FUZZ=0 ;;
		-h | --help) usage; exit 0 ;;
		*) echo "unknown option: $arg" >&2; usage >&2; exit 2 ;;
		esac
	done

	cd "$REPO"
	local start=$SECONDS
	banner "dependencies"
	"$REPO/scripts/install-deps.sh"

	pass_default
	if ((RUN_ASAN)); then
		pass_asan
	fi
	if ((RUN_VALGRIND)); then
		pass_valgrind
	fi
	if ((RUN_FUZZ)); then
		pass_fuzz
	fi

	banner "summary ($((SECONDS - start)) s)"
	local line
	for line in "${PASS_RESULTS[@]}"; do
		echo "$line"
	done
	if ((TOTAL_SKIPPED > 0)); then
		echo "($TOTAL_SKIPPED skipped, not counted)"
	fi
	echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
	[[ $TOTAL_FAILED -eq 0 ]]
}

main "$@"
