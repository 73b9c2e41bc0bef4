#!/usr/bin/env bash
# Builds careid in release mode (build-release/) and runs careid-bench:
# sign operations per second for careid, SoftHSM2 and OpenSSL itself,
# RSA-2048 and P-256, 1 and 2 threads, with the performance targets;
# then token listing, session, search, two-process and reader-beside-a-
# writer figures against SoftHSM2 (docs/benchmarks.md).
#
#   scripts/bench.sh                 3 seconds per measurement
#   scripts/bench.sh --seconds 10    longer, steadier figures
#   scripts/bench.sh --strict        exit 3 when a target is not met
#   scripts/bench.sh --quick         short run (100 tokens, 1000 objects)
#   scripts/bench.sh --tokens N      most tokens listed (default 1000)
#   scripts/bench.sh --scale-only    scale figures only (--no-scale: sign only)
#
# Figures are only meaningful on an otherwise idle machine.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR="${BUILD_DIR:-$REPO/build-release}"

main() {
	cd "$REPO"
	"$REPO/scripts/install-deps.sh"

	if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
		meson setup "$BUILD_DIR" "$REPO" --buildtype=release
	fi
	ninja -C "$BUILD_DIR"

	local module="$BUILD_DIR/src/careid-pkcs11.so"
	local bench="$BUILD_DIR/tests/bench/careid-bench"
	if [[ ! -x "$bench" ]]; then
		# tests/bench not wired into the meson build: compile it directly.
		echo "bench.sh: $bench not built by meson; compiling tests/bench/bench.c directly"
		bench="$BUILD_DIR/careid-bench"
		cc -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -I"$REPO/pkcs11-spec" \
			"$REPO/tests/bench/bench.c" "$REPO/tests/bench/bench_scale.c" \
			"$REPO/tests/bench/bench_util.c" -o "$bench" -lcrypto -ldl -lpthread -lm
	fi

	local args=("$@") have_seconds=0 arg
	for arg in "${args[@]}"; do
		[[ "$arg" == --seconds || "$arg" == --quick ]] && have_seconds=1
	done
	if ((!have_seconds)); then
		args+=(--seconds 3)
	fi
	"$bench" --module "$module" "${args[@]}"
}

main "$@"
