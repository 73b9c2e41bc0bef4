/* Host-side RSA padding for keys whose private operation runs elsewhere
 * (a card performs only the raw RSA primitive; the host builds the block
 * to sign and unwraps the block it decrypted).
 *
 * k is always the modulus length in bytes; blocks are exactly k bytes.
 * Hashes are named by their PKCS#11 digest mechanism (CKM_SHA_1,
 * CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512) and MGF1 variants by
 * CKG_MGF1_*; anything else is CKR_MECHANISM_PARAM_INVALID.
 *
 * The two decoders check the whole block without branching on secret
 * data and fail with the single code CKR_ENCRYPTED_DATA_INVALID, so a
 * caller that passes their result on unchanged does not become a padding
 * oracle.  Their output buffer must be able to hold the largest possible
 * message (k - 11, or k - 2*hLen - 2); a smaller one is refused with
 * CKR_BUFFER_TOO_SMALL before the block is examined. */
#ifndef CAREID_CRYPTO_RSA_PAD_H
#define CAREID_CRYPTO_RSA_PAD_H

#include <stddef.h>
#include <stdint.h>

#include "pkcs11.h"

/* DigestInfo for hash (DER prefix + digest).  hlen must be the hash's
 * length (CKR_DATA_LEN_RANGE otherwise).  *outlen receives the length;
 * CKR_BUFFER_TOO_SMALL when cap is short. */
CK_RV cid_rsa_digest_info(CK_MECHANISM_TYPE hash, const uint8_t *h, size_t hlen, uint8_t *out,
                          size_t cap, size_t *outlen);

/* EMSA-PKCS1-v1_5 (block type 1) around t, which is a DigestInfo for the
 * hashing mechanisms or the caller's data for CKM_RSA_PKCS:
 * 00 01 FF..FF 00 t.  CKR_DATA_LEN_RANGE when t is longer than k - 11. */
CK_RV cid_rsa_pkcs1_sign_pad(const uint8_t *t, size_t tlen, uint8_t *em, size_t k);

/* EMSA-PSS encoding of an already computed message hash mhash (its length
 * must match hash) with a fresh random salt of slen bytes, for a modulus
 * of mod_bits bits; em receives k = ceil(mod_bits / 8) bytes.
 * CKR_KEY_SIZE_RANGE when the modulus is too small for hash and salt. */
CK_RV cid_rsa_pss_encode(CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE mgf, size_t slen,
                         const uint8_t *mhash, size_t mhlen, size_t mod_bits, uint8_t *em, size_t k);

/* EME-PKCS1-v1_5 (block type 2) decoding of em (k bytes).  *outlen holds
 * out's capacity on entry and the message length on success. */
CK_RV cid_rsa_pkcs1_decrypt_unpad(const uint8_t *em, size_t k, uint8_t *out, size_t *outlen);

/* EME-OAEP decoding of em (k bytes) with label (may be NULL when llen is
 * 0).  *outlen as above. */
CK_RV cid_rsa_oaep_unpad(CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE mgf, const uint8_t *label,
                         size_t llen, const uint8_t *em, size_t k, uint8_t *out, size_t *outlen);

#endif
