#!/usr/bin/env bash
# OpenSC's pkcs11-tool drives the built module through the life of a card:
# token and passcode set-up, key generation, certificate and data objects,
# signatures checked by openssl, passcode change, lockout after three wrong
# passcodes, unblock by the security officer, and pkcs11-tool's own --test.
#
#   CAREID_MODULE=build/src/careid-pkcs11.so bash tests/interop/pkcs11_tool.sh
set -uo pipefail

# shellcheck source=tests/interop/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

LABEL="careid interop"
SO_PIN="87654321"
USER_PIN="123456"
CHANGED_PIN="246810"
UNBLOCKED_PIN="13579246"
WRONG_PIN="999999"

# The "-L" paragraph of the slot holding our token.
token_block() {
	p11 -L 2>/dev/null | awk -v want="$LABEL" '
		function flush() { if (found) printf "%s", blk; blk = ""; found = 0 }
		/^Slot / { flush() }
		{ blk = blk $0 "\n" }
		/token label *:/ { v = $0; sub(/^[^:]*: */, "", v); sub(/ *$/, "", v); if (v == want) found = 1 }
		END { flush() }'
}

token_flags() {
	token_block | grep -m1 'token flags' || true
}

# check_flags NAME PRESENT_RE [ABSENT_RE]
check_flags() {
	local name=$1 present=$2 absent=${3:-} flags
	flags=$(token_flags)
	if [[ -z "$flags" ]]; then
		it_fail "$name (token not listed)"
	elif ! grep -Eq -- "$present" <<<"$flags"; then
		it_fail "$name (want /$present/ in: ${flags#*: })"
	elif [[ -n "$absent" ]] && grep -Eq -- "$absent" <<<"$flags"; then
		it_fail "$name (unwanted /$absent/ in: ${flags#*: })"
	else
		it_pass "$name"
	fi
}

same_cert_back() {
	tok --read-object --type cert --id 01 -o "$IT_TMP/auth-back.der" &&
		cmp "$IT_TMP/auth-back.der" "$IT_TMP/auth.der"
}

# sign_verify NAME ID MECH VERIFY_KIND [extra pkcs11-tool args]
# VERIFY_KIND: dgst:<alg> | pss:<alg> | raw (pkeyutl, no digest) |
# raw:<alg>, pssraw:<alg> (the input is the message's <alg> digest)
sign_verify() {
	local name=$1 id=$2 mech=$3 kind=$4 input sig pub
	shift 4
	sig="$IT_TMP/sig-$id-$mech.bin"
	pub="$IT_TMP/pub-$id.pem"
	input="$IT_TMP/message.txt"
	case $kind in
	raw) input="$IT_TMP/digest.bin" ;;
	raw:* | pssraw:*)
		input="$IT_TMP/digest-${kind#*:}.bin"
		openssl dgst "-${kind#*:}" -binary "$IT_TMP/message.txt" >"$input"
		;;
	esac
	if ! tok --login --pin "$CHANGED_PIN" --sign -m "$mech" --id "$id" \
		-i "$input" -o "$sig" "$@" >"$IT_LOG" 2>&1; then
		it_fail "$name: pkcs11-tool --sign -m $mech" "$IT_LOG"
		return
	fi
	case $kind in
	dgst:*)
		it_check "$name: openssl verifies the signature" \
			openssl dgst "-${kind#dgst:}" -verify "$pub" -signature "$sig" "$input"
		;;
	pss:*)
		it_check "$name: openssl verifies the signature" \
			openssl dgst "-${kind#pss:}" -sigopt rsa_padding_mode:pss \
			-sigopt rsa_pss_saltlen:auto -verify "$pub" -signature "$sig" "$input"
		;;
	raw | raw:*)
		it_check "$name: openssl verifies the signature" \
			openssl pkeyutl -verify -pubin -inkey "$pub" -sigfile "$sig" -in "$input"
		;;
	pssraw:*)
		it_check "$name: openssl verifies the signature" \
			openssl pkeyutl -verify -pubin -inkey "$pub" -sigfile "$sig" -in "$input" \
			-pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:auto \
			-pkeyopt "digest:${kind#*:}"
		;;
	esac
}

# rpc_sign_verify: sign_verify with a hash-and-sign mechanism; through a
# route that cannot carry it (p11-kit's RPC), the same signature made the
# way a client there must: the digest computed here, signed with CKM_ECDSA
# or CKM_RSA_PKCS_PSS, verified against the same message.
rpc_sign_verify() {
	local name=$1 id=$2 mech=$3 kind=$4 alg
	shift 4
	if it_rpc_carries "$mech"; then
		sign_verify "$name" "$id" "$mech" "$kind" "$@"
		return
	fi
	alg=${kind#*:}
	case $mech in
	*-RSA-PKCS-PSS)
		sign_verify "$name, as RSA-PKCS-PSS over a ${alg^^} digest made here" "$id" \
			RSA-PKCS-PSS "pssraw:$alg" --hash-algorithm "${alg^^}" --mgf "MGF1-${alg^^}" "$@"
		;;
	*)
		sign_verify "$name, as ECDSA over a ${alg^^} digest made here" "$id" ECDSA "raw:$alg" "$@"
		;;
	esac
}

main() {
	it_need pkcs11-tool openssl
	it_setup
	echo "module: $CAREID_MODULE"

	# --- module and free slot -------------------------------------------
	it_check_output "--show-info reports a Cryptoki version" \
		'Cryptoki version [0-9]+\.[0-9]+' p11 --show-info
	grep -E 'Cryptoki version|Manufacturer|Library' "$IT_LOG" | sed 's/^/      /'

	local slot
	slot=$(free_slot)
	if [[ -n "$slot" ]]; then
		it_pass "-L lists a free slot with an uninitialised token ($slot)"
	else
		it_fail "-L lists a free slot with an uninitialised token"
		p11 -L 2>&1 | sed 's/^/      | /'
		it_summary
		exit 1
	fi

	# --- token and passcodes --------------------------------------------
	it_check "--init-token --label --so-pin" \
		p11 --slot "$slot" --init-token --label "$LABEL" --so-pin "$SO_PIN"
	if [[ -n "$(token_block)" ]]; then
		it_pass "-L shows the token by its label"
	else
		it_fail "-L shows the token by its label"
	fi
	check_flags "token flags: initialised, passcode not yet set" \
		'token initialized' 'PIN initialized'

	it_check "--init-pin as SO (--login --login-type so)" \
		tok --login --login-type so --so-pin "$SO_PIN" --init-pin --new-pin "$USER_PIN"
	check_flags "token flags: login required, passcode set" \
		'login required.*PIN initialized|PIN initialized.*login required'

	it_check "user login (-l --pin) with the new passcode" \
		tok --login --pin "$USER_PIN" -O

	# --- keys ------------------------------------------------------------
	it_check "--keypairgen rsa:2048 (id 01)" \
		tok --login --pin "$USER_PIN" --keypairgen --key-type rsa:2048 --id 01 --label "rsa2048"
	it_check "--keypairgen EC:prime256v1 (id 02)" \
		tok --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 02 --label "p256"
	it_check "--keypairgen EC:secp384r1 (id 03)" \
		tok --login --pin "$USER_PIN" --keypairgen --key-type EC:secp384r1 --id 03 --label "p384"

	local id
	for id in 01 02 03; do
		it_check "--read-object --type pubkey --id $id gives a public key openssl reads" \
			it_pubkey_pem "$LABEL" "$id" "$IT_TMP/pub-$id.pem"
	done

	# --- certificate and data objects -------------------------------------
	local uuid
	uuid=$(printf '%06d%06d' $((RANDOM % 1000000)) $((RANDOM % 1000000)))
	if it_make_ca "$IT_TMP" && it_issue_cert "$IT_TMP" "$IT_TMP/pub-01.pem" \
		"/O=careid test/OU=people/CN=$uuid" "$IT_TMP/auth.der"; then
		it_pass "openssl issues a certificate for the token's RSA key"
	else
		it_fail "openssl issues a certificate for the token's RSA key"
	fi
	it_check "--write-object --type cert --id 01" \
		tok --login --pin "$USER_PIN" --write-object "$IT_TMP/auth.der" --type cert \
		--id 01 --label "Authentication"

	printf 'careid interop data object\n' >"$IT_TMP/data.txt"
	it_check "--write-object --type data" \
		tok --login --pin "$USER_PIN" --write-object "$IT_TMP/data.txt" --type data \
		--label "notes" --application-label "careid-interop"

	it_check_output "-O lists the certificate" 'Certificate Object' tok --login --pin "$USER_PIN" -O
	local listing="$IT_TMP/objects.txt"
	cp "$IT_LOG" "$listing"
	local what pattern
	for what in "data object:Data object" "RSA private key:Private Key Object; RSA" \
		"RSA public key:Public Key Object; RSA" "EC private keys:Private Key Object; EC" \
		"EC public keys:Public Key Object; EC" "certificate subject with the UUID:$uuid"; do
		pattern=${what#*:}
		if grep -q -- "$pattern" "$listing"; then
			it_pass "-O lists the ${what%%:*}"
		else
			it_fail "-O lists the ${what%%:*}" "$listing"
		fi
	done
	it_check "--read-object --type cert returns the same certificate" same_cert_back

	# --- passcode change ------------------------------------------------
	it_check "--change-pin (user, knowing the current passcode)" \
		tok --login --pin "$USER_PIN" --change-pin --new-pin "$CHANGED_PIN"
	it_check_fails "a 5-digit new passcode is refused (CKR_PIN_LEN_RANGE)" 'CKR_PIN_LEN_RANGE' \
		tok --login --pin "$CHANGED_PIN" --change-pin --new-pin 13579
	it_check_fails "a 9-digit new passcode is refused (CKR_PIN_LEN_RANGE)" 'CKR_PIN_LEN_RANGE' \
		tok --login --pin "$CHANGED_PIN" --change-pin --new-pin 135792468
	it_check_fails "a new passcode with a letter is refused (CKR_PIN_INVALID)" 'CKR_PIN_INVALID' \
		tok --login --pin "$CHANGED_PIN" --change-pin --new-pin 13579a
	it_check_fails "a new passcode equal to the current one is refused" 'CKR_PIN_' \
		tok --login --pin "$CHANGED_PIN" --change-pin --new-pin "$CHANGED_PIN"
	it_check_fails "the old passcode no longer logs in" 'CKR_PIN_INCORRECT' \
		tok --login --pin "$USER_PIN" -O
	it_check "the new passcode logs in (and resets the try counter)" \
		tok --login --pin "$CHANGED_PIN" -O

	# --- signatures -----------------------------------------------------
	printf 'Care Identity interop message %s\n' "$uuid" >"$IT_TMP/message.txt"
	openssl dgst -sha256 -binary "$IT_TMP/message.txt" >"$IT_TMP/digest.bin"
	sign_verify "RSA SHA256-RSA-PKCS" 01 SHA256-RSA-PKCS dgst:sha256
	sign_verify "RSA SHA384-RSA-PKCS" 01 SHA384-RSA-PKCS dgst:sha384
	rpc_sign_verify "RSA SHA256-RSA-PKCS-PSS" 01 SHA256-RSA-PKCS-PSS pss:sha256
	sign_verify "RSA RSA-PKCS (raw)" 01 RSA-PKCS raw
	rpc_sign_verify "P-256 ECDSA-SHA256" 02 ECDSA-SHA256 dgst:sha256 --signature-format openssl
	sign_verify "P-256 ECDSA over a digest" 02 ECDSA raw --signature-format openssl
	rpc_sign_verify "P-384 ECDSA-SHA384" 03 ECDSA-SHA384 dgst:sha384 --signature-format openssl
	if openssl x509 -inform DER -in "$IT_TMP/auth.der" -noout -pubkey >"$IT_TMP/cert-pub.pem" 2>/dev/null &&
		cmp -s "$IT_TMP/cert-pub.pem" "$IT_TMP/pub-01.pem"; then
		it_pass "certificate public key equals the token's RSA public key"
	else
		it_fail "certificate public key equals the token's RSA public key"
	fi

	# --- lockout after three wrong passcodes ----------------------------
	it_check_fails "a malformed passcode (5 digits) is refused at login" 'CKR_PIN_' \
		tok --login --pin 12345 -O
	check_flags "token flags unchanged: the malformed passcode cost no try" 'PIN initialized' \
		'user PIN count low|final user PIN try|user PIN locked'
	it_check_fails "wrong passcode 1 is refused (CKR_PIN_INCORRECT)" 'CKR_PIN_INCORRECT' \
		tok --login --pin "$WRONG_PIN" -O
	check_flags "token flags after 1 failure: user PIN count low" 'user PIN count low' 'user PIN locked'
	it_check_fails "wrong passcode 2 is refused (CKR_PIN_INCORRECT)" 'CKR_PIN_INCORRECT' \
		tok --login --pin "$WRONG_PIN" -O
	check_flags "token flags after 2 failures: final user PIN try" 'final user PIN try' 'user PIN locked'
	it_check_fails "wrong passcode 3 is refused" 'CKR_PIN_INCORRECT|CKR_PIN_LOCKED' \
		tok --login --pin "$WRONG_PIN" -O
	check_flags "token flags after 3 failures: user PIN locked" 'user PIN locked'
	it_check_fails "the right passcode is now refused with CKR_PIN_LOCKED" 'CKR_PIN_LOCKED' \
		tok --login --pin "$CHANGED_PIN" -O
	it_check_fails "signing is refused while locked" 'CKR_PIN_LOCKED' \
		tok --login --pin "$CHANGED_PIN" --sign -m SHA256-RSA-PKCS --id 01 \
		-i "$IT_TMP/message.txt" -o "$IT_TMP/locked.sig"

	# --- unblock by the security officer (C_Login SO + C_InitPIN) --------
	it_check "SO unblocks with a new passcode (--login-type so --init-pin --new-pin)" \
		tok --login --login-type so --so-pin "$SO_PIN" --init-pin --new-pin "$UNBLOCKED_PIN"
	check_flags "token flags after unblock: not locked, no low count" 'PIN initialized' \
		'user PIN locked|user PIN count low|final user PIN try'
	it_check "the user logs in with the new passcode" \
		tok --login --pin "$UNBLOCKED_PIN" -O
	it_check "keys survived the unblock (sign with id 01)" \
		tok --login --pin "$UNBLOCKED_PIN" --sign -m SHA256-RSA-PKCS --id 01 \
		-i "$IT_TMP/message.txt" -o "$IT_TMP/after-unblock.sig"
	it_check "the signature after unblock verifies" \
		openssl dgst -sha256 -verify "$IT_TMP/pub-01.pem" \
		-signature "$IT_TMP/after-unblock.sig" "$IT_TMP/message.txt"

	# --- pkcs11-tool's own self test --------------------------------------
	it_check "pkcs11-tool --test --login" tok --test --login --pin "$UNBLOCKED_PIN"

	it_summary
}

main "$@"
