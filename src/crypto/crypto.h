/* Cryptography on OpenSSL 3 (EVP interfaces only).
 *
 * The layer knows nothing about sessions, slots or storage.  Key material
 * travels in and out as PKCS#11 attribute sets, using the standard
 * attribute types:
 *   RSA      CKA_MODULUS, CKA_PUBLIC_EXPONENT; private adds
 *            CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1,
 *            CKA_EXPONENT_2, CKA_COEFFICIENT (big-endian, no leading zeros)
 *   EC       CKA_EC_PARAMS (DER OID of P-256 or P-384), public CKA_EC_POINT
 *            (DER OCTET STRING around the uncompressed point), private
 *            CKA_VALUE (scalar, big-endian, field length)
 *   Ed25519  CKA_EC_PARAMS (DER OID 1.3.101.112 or DER PrintableString
 *            "edwards25519"), public CKA_EC_POINT (DER OCTET STRING of the
 *            32-byte key; a bare 32-byte value is also accepted on input),
 *            private CKA_VALUE (32-byte seed)
 * Functions return PKCS#11 codes so that the front can pass them through. */
#ifndef CAREID_CRYPTO_CRYPTO_H
#define CAREID_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkcs11.h"
#include "common/attrs.h"
#include "common/piece.h"

/* ---- keys ------------------------------------------------------------ */

/* An immutable, reference-counted key, safe to use from several threads at
 * once (the front caches one per key object). */
typedef struct cid_key cid_key;

/* Builds a key from an object's attributes.  cls is CKO_PUBLIC_KEY or
 * CKO_PRIVATE_KEY.  CKR_TEMPLATE_INCOMPLETE when material is missing,
 * CKR_ATTRIBUTE_VALUE_INVALID when malformed, CKR_KEY_TYPE_INCONSISTENT
 * for an unsupported key type or curve. */
CK_RV cid_key_from_attrs(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, const cid_attrs *a, cid_key **out);
cid_key *cid_key_ref(cid_key *k);
void cid_key_unref(cid_key **k);
CK_KEY_TYPE cid_key_type(const cid_key *k);
bool cid_key_is_private(const cid_key *k);
/* Modulus bits (RSA) or field bits (EC, Ed25519: 255). */
CK_ULONG cid_key_bits(const cid_key *k);

/* Checks EC parameters and returns the curve's field bits (256, 384, 255
 * for Ed25519); CKR_CURVE_NOT_SUPPORTED for others,
 * CKR_ATTRIBUTE_VALUE_INVALID for malformed DER. */
CK_RV cid_ec_params_bits(CK_KEY_TYPE kt, const uint8_t *params, size_t len, CK_ULONG *bits);

/* Key generation: adds only the key-material attributes (listed above) to
 * pub and priv; CKA_KEY_TYPE, CKA_CLASS and the policy attributes are the
 * caller's.  RSA: bits 2048, 3072 or 4096 (CKR_KEY_SIZE_RANGE otherwise);
 * e may be NULL for 65537.  EC: params must name P-256 or P-384.
 * Ed25519: params as above.  The public CKA_EC_PARAMS and CKA_MODULUS_BITS
 * are not added here either. */
CK_RV cid_keygen_rsa(CK_ULONG bits, const uint8_t *e, size_t elen, cid_attrs *pub, cid_attrs *priv);
CK_RV cid_keygen_ec(const uint8_t *params, size_t len, cid_attrs *pub, cid_attrs *priv);
CK_RV cid_keygen_ed25519(const uint8_t *params, size_t len, cid_attrs *pub, cid_attrs *priv);

/* Public material derived from a private key's attributes (e.g. to fill
 * CKA_MODULUS/CKA_PUBLIC_EXPONENT or CKA_EC_POINT of an imported key). */
CK_RV cid_key_public_attrs(const cid_key *k, cid_attrs *out);

/* ---- mechanisms ------------------------------------------------------ */

typedef struct cid_mech_desc {
	CK_MECHANISM_TYPE type;
	CK_KEY_TYPE key_type;     /* CKK_RSA, CKK_EC, CKK_EC_EDWARDS, or (CK_ULONG)-1 for digests */
	CK_ULONG min_bits, max_bits;
	CK_FLAGS flags;           /* CKF_SIGN, CKF_VERIFY, CKF_ENCRYPT, CKF_DECRYPT, CKF_DIGEST,
	                           * CKF_GENERATE_KEY_PAIR, CKF_DERIVE, CKF_EC_* ... */
	bool multipart;           /* C_*Update allowed */
} cid_mech_desc;

/* The table of everything this layer implements, in a stable order. */
const cid_mech_desc *cid_mech_list(size_t *count);
const cid_mech_desc *cid_mech_find(CK_MECHANISM_TYPE type);

/* ---- operations -------------------------------------------------------
 *
 * One cid_op is one PKCS#11 operation (sign, verify, encrypt, decrypt,
 * digest).  The output functions follow the PKCS#11 length convention: with
 * out == NULL they store the needed length in *outlen and return CKR_OK;
 * with *outlen too small they store it and return CKR_BUFFER_TOO_SMALL.  In
 * both cases the operation stays usable and the call can be repeated; the
 * front ends the operation on any other return.  A result already computed
 * for a length query (e.g. a decryption) is kept and returned by the
 * repeated call, never computed twice. */

typedef enum {
	CID_OP_SIGN,
	CID_OP_VERIFY,
	CID_OP_ENCRYPT,
	CID_OP_DECRYPT,
	CID_OP_DIGEST,
} cid_op_kind;

typedef struct cid_op cid_op;

/* Checks the mechanism and its parameter against the key and starts the
 * operation.  key is NULL for digests.  CKR_MECHANISM_INVALID,
 * CKR_MECHANISM_PARAM_INVALID, CKR_KEY_TYPE_INCONSISTENT,
 * CKR_KEY_SIZE_RANGE as the spec says. */
CK_RV cid_op_new(cid_op_kind kind, const CK_MECHANISM *m, cid_key *key, cid_op **out);
void cid_op_free(cid_op **op);
cid_op_kind cid_op_get_kind(const cid_op *op);

/* Multi-part input (sign, verify, digest).  The front calls it only for
 * mechanisms whose descriptor says multipart; CKR_FUNCTION_FAILED on an
 * OpenSSL failure. */
CK_RV cid_op_update(cid_op *op, const uint8_t *in, size_t len);
/* Sign/digest final with the length convention. */
CK_RV cid_op_final(cid_op *op, uint8_t *out, CK_ULONG *outlen);
/* Single-part sign, encrypt, decrypt, digest with the length convention.
 * CKR_DATA_LEN_RANGE / CKR_ENCRYPTED_DATA_LEN_RANGE /
 * CKR_ENCRYPTED_DATA_INVALID per the mechanism's rules. */
CK_RV cid_op_oneshot(cid_op *op, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG *outlen);
/* Verify: CKR_OK, CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE. */
CK_RV cid_op_verify_final(cid_op *op, const uint8_t *sig, size_t siglen);
CK_RV cid_op_verify_oneshot(cid_op *op, const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen);

/* ECDH1 (CKD_NULL and CKD_SHA*_KDF).  secret is allocated, wiped by the
 * caller with cid_free_secret.  out_len 0 means the raw shared length. */
CK_RV cid_ecdh_derive(cid_key *priv, const CK_ECDH1_DERIVE_PARAMS *p, size_t out_len,
                      uint8_t **secret, size_t *secret_len);

/* ---- certificates ------------------------------------------------------ */

/* Parses DER X.509 and adds CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER
 * (DER INTEGER), CKA_START_DATE, CKA_END_DATE (CK_DATE), and
 * CKA_HASH_OF_SUBJECT_PUBLIC_KEY / CKA_HASH_OF_ISSUER_PUBLIC_KEY (SHA-1)
 * where available.  CKR_ATTRIBUTE_VALUE_INVALID for anything that is not
 * exactly one well-formed certificate. */
CK_RV cid_x509_attrs(const uint8_t *der, size_t len, cid_attrs *out);
/* The certificate's public key as PKCS#11 public-key attributes (RSA:
 * CKA_MODULUS, CKA_PUBLIC_EXPONENT; EC on P-256/P-384: CKA_EC_PARAMS,
 * CKA_EC_POINT) and its key type.  CKR_ATTRIBUTE_VALUE_INVALID for a bad
 * certificate, CKR_KEY_TYPE_INCONSISTENT / CKR_CURVE_NOT_SUPPORTED for
 * keys careid does not use. */
CK_RV cid_x509_public_key(const uint8_t *der, size_t len, CK_KEY_TYPE *kt, cid_attrs *pub);
/* The subject's first commonName as a C string; false (out empty) when
 * there is none, it does not fit, or it holds a NUL. */
bool cid_x509_subject_cn(const uint8_t *der, size_t len, char *out, size_t outlen);

/* ---- the issuer --------------------------------------------------------- */

/* The certificate authority that signs lifecycle records (issuer.c). */
typedef struct cid_issuer cid_issuer;
/* CKR_GENERAL_ERROR (logged) when path is not a readable PEM certificate. */
CK_RV cid_issuer_load(const char *path, cid_issuer **out);
void cid_issuer_free(cid_issuer **iss);
/* The end of the issuer certificate's own validity (seconds, UTC). */
int64_t cid_issuer_not_after(const cid_issuer *iss);
/* CKR_OK when sig is the issuer's SHA-256 signature over data, else
 * CKR_SIGNATURE_INVALID. */
CK_RV cid_issuer_verify(const cid_issuer *iss, const uint8_t *data, size_t len, const uint8_t *sig,
                        size_t siglen);

/* ---- randomness and at-rest protection --------------------------------- */

CK_RV cid_random(uint8_t *buf, size_t len);

/* SHA-256 over the concatenation of n pieces. */
#define CID_SHA256_LEN 32
CK_RV cid_sha256(const cid_piece *pieces, size_t n, uint8_t out[CID_SHA256_LEN]);

/* One block of a PIV management-key cipher, ECB without padding: 8 bytes
 * for 3DES, 16 for AES.  key is 24 (3DES, AES-192), 16 or 32 bytes. */
typedef enum {
	CID_BLOCK_3DES,
	CID_BLOCK_AES128,
	CID_BLOCK_AES192,
	CID_BLOCK_AES256,
} cid_block_alg;
CK_RV cid_block_cipher(cid_block_alg alg, bool encrypt, const uint8_t *key, const uint8_t *in,
                       uint8_t *out);

/* Memory-hard key derivation (scrypt).  log2_n is the cost exponent. */
typedef struct cid_kdf_params {
	uint32_t log2_n;
	uint32_t r;
	uint32_t p;
} cid_kdf_params;
CK_RV cid_kdf(const uint8_t *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
              const cid_kdf_params *prm, uint8_t *out, size_t outlen);

/* AES-256-GCM.  Sealed form: 12-byte random nonce || ciphertext || 16-byte
 * tag.  open returns CKR_ENCRYPTED_DATA_INVALID when the tag does not
 * verify (wrong key or tampering). */
#define CID_AEAD_KEY_LEN 32
#define CID_AEAD_OVERHEAD (12 + 16)
CK_RV cid_aead_seal(const uint8_t key[CID_AEAD_KEY_LEN], const uint8_t *aad, size_t aadlen,
                    const uint8_t *pt, size_t ptlen, uint8_t **out, size_t *outlen);
CK_RV cid_aead_open(const uint8_t key[CID_AEAD_KEY_LEN], const uint8_t *aad, size_t aadlen,
                    const uint8_t *ct, size_t ctlen, uint8_t **out, size_t *outlen);

/* ---- keys held by a token ----------------------------------------------
 *
 * A card keeps its private keys: the host pads, hashes and unpads, the card
 * runs only the private-key primitive.  An external key carries the public
 * attributes and a callback for that primitive; every cid_op_* function
 * accepts it like a local key. */

typedef enum {
	CID_EXT_RSA_RAW,  /* in: a block of modulus length (already padded); out: modulus length */
	CID_EXT_ECDSA,    /* in: the hash to sign; out: r||s, each of field length */
	CID_EXT_ECDH,     /* in: the peer's uncompressed point; out: the shared X coordinate */
} cid_ext_kind;

typedef CK_RV (*cid_ext_fn)(void *ctx, cid_ext_kind kind, const uint8_t *in, size_t inlen,
                            uint8_t *out, size_t *outlen);

/* pub: CKA_MODULUS + CKA_PUBLIC_EXPONENT, or CKA_EC_PARAMS + CKA_EC_POINT.
 * ctx_free (may be NULL) runs when the last reference goes. */
CK_RV cid_key_external(CK_KEY_TYPE kt, const cid_attrs *pub, cid_ext_fn fn, void *ctx,
                       void (*ctx_free)(void *), cid_key **out);

#endif
