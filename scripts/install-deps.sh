#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build, test and demonstrate
# careid.  Does nothing (and needs no network) when all are present.
set -euo pipefail

PACKAGES=(
	build-essential meson ninja-build pkg-config
	libssl-dev openssl libsqlite3-dev sqlite3 libcmocka-dev
	libpcsclite-dev pcscd libp11-kit-dev p11-kit p11-kit-modules zlib1g-dev
	opensc softhsm2 libnss3-tools gnutls-bin libengine-pkcs11-openssl
	vsmartcard-vpcd ykcs11 valgrind ca-certificates git
	firefox-esr python3 clang
	libjansson-dev help2man faketime scdoc
)

missing_packages() {
	local pkg status
	for pkg in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		if [[ "$status" != "installed" ]]; then
			printf '%s\n' "$pkg"
		fi
	done
}

main() {
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "install-deps: dpkg-query not found; this script targets Debian 12" >&2
		exit 1
	fi

	local missing
	mapfile -t missing < <(missing_packages)
	if ((${#missing[@]} == 0)); then
		echo "install-deps: all ${#PACKAGES[@]} packages already installed"
		return 0
	fi

	echo "install-deps: missing: ${missing[*]}"
	local sudo=()
	if ((EUID != 0)); then
		if command -v sudo >/dev/null 2>&1; then
			sudo=(sudo)
		else
			echo "install-deps: run as root (or install sudo) to install packages" >&2
			exit 1
		fi
	fi

	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update
	"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
	echo "install-deps: done"
}

main "$@"
