/* Private to the crypto layer: the key structure, the mechanism
 * implementation table, cached algorithm objects and small DER helpers. */
#ifndef CAREID_CRYPTO_INTERNAL_H
#define CAREID_CRYPTO_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/crypto.h"

/* ---- library context -------------------------------------------------- */

/* The only OpenSSL library context careid uses (libctx.c says why); NULL
 * only when OpenSSL cannot load its default provider, and every fetch from
 * it then fails cleanly. */
OSSL_LIB_CTX *cid_libctx(void);

/* ---- key types ------------------------------------------------------- */

/* Key types are fetched by OID rather than by short name.  A client that
 * loads an ENGINE for RSA or EC (OpenSSL's "pkcs11" engine loading this
 * very module, say) makes OpenSSL hand any context created from "RSA" or
 * "EC" to that engine's legacy methods, which cannot import or use our
 * provider-side keys; an OID names the same key manager but has no legacy
 * type to divert.  ENGINE lookups are process-wide, so careid's own library
 * context does not keep them out: with short names the OpenSSL engine
 * interop test fails again. */
#define CID_KT_RSA "1.2.840.113549.1.1.1"
#define CID_KT_EC "1.2.840.10045.2.1"
#define CID_KT_ED25519 "1.3.101.112"

/* ---- hashes ------------------------------------------------------------ */

typedef enum {
	CID_H_NONE = 0,
	CID_H_SHA1,
	CID_H_SHA224,
	CID_H_SHA256,
	CID_H_SHA384,
	CID_H_SHA512,
	CID_H_COUNT
} cid_hash;

/* Fetched once for the process: name-based fetches take the provider
 * store's lock, which shows up as contention on the signing path. */
const EVP_MD *cid_md(cid_hash h);
const char *cid_hash_name(cid_hash h);
size_t cid_hash_len(cid_hash h);
/* CKM_SHA_1 ... CKM_SHA512 to a hash (CID_H_NONE when not a digest). */
cid_hash cid_hash_from_ckm(CK_MECHANISM_TYPE m);
cid_hash cid_hash_from_mgf(CK_RSA_PKCS_MGF_TYPE g);
EVP_KDF *cid_kdf_x963(void);
EVP_KDF *cid_kdf_scrypt(void);
const EVP_CIPHER *cid_cipher_aes256gcm(void);

/* ---- curves ------------------------------------------------------------ */

typedef enum {
	CID_CURVE_NONE = 0,
	CID_CURVE_P256,
	CID_CURVE_P384,
	CID_CURVE_ED25519,
} cid_curve;

typedef struct cid_curve_info {
	cid_curve id;
	const char *group;   /* OpenSSL group or key type name */
	int nid;
	CK_ULONG bits;
	size_t fb;           /* field (and, here, order) length in bytes */
} cid_curve_info;

const cid_curve_info *cid_curve_get(cid_curve c);
/* Parses CKA_EC_PARAMS; same codes as cid_ec_params_bits. */
CK_RV cid_curve_from_params(CK_KEY_TYPE kt, const uint8_t *p, size_t len, cid_curve *out);

/* ---- mechanisms -------------------------------------------------------- */

typedef enum {
	CID_F_KEYGEN,
	CID_F_RSA_PKCS,       /* caller supplies the DigestInfo */
	CID_F_RSA_X509,
	CID_F_RSA_PKCS_HASH,  /* hash-and-sign PKCS#1 v1.5 */
	CID_F_RSA_PSS,        /* over a caller's digest */
	CID_F_RSA_PSS_HASH,
	CID_F_RSA_OAEP,
	CID_F_ECDSA,          /* over a caller's digest */
	CID_F_ECDSA_HASH,
	CID_F_ECDH,
	CID_F_EDDSA,
	CID_F_DIGEST,
} cid_family;

typedef struct cid_mech_impl {
	cid_family fam;
	cid_hash hash;
} cid_mech_impl;

/* Index into the table, or -1. */
int cid_mech_index(CK_MECHANISM_TYPE type);
const cid_mech_impl *cid_mech_impl_at(int idx);
size_t cid_mech_count(void);

/* ---- keys -------------------------------------------------------------- */

/* Operation contexts prepared once per key and mechanism and duplicated
 * per operation: creating them from scratch fetches algorithms by name. */
#define CID_TMPL_KINDS 4  /* sign, verify, encrypt, decrypt */
#define CID_TMPL_MAX (32 * CID_TMPL_KINDS)

struct cid_key {
	atomic_uint refs;
	CK_KEY_TYPE type;
	bool priv;
	cid_curve curve;
	CK_ULONG bits;
	size_t size;            /* RSA modulus bytes, EC field bytes, Ed25519 32 */
	EVP_PKEY *pkey;
	uint8_t *modulus;       /* RSA: n big-endian, exactly size bytes */
	_Atomic(void *) tmpl[CID_TMPL_MAX];
	/* A key held by a token: pkey is its public half and the private
	 * primitive runs through ext (cid_key_external). */
	cid_ext_fn ext;
	void *ext_ctx;
	void (*ext_free)(void *);
};

cid_key *cid_key_alloc(CK_KEY_TYPE kt, bool priv);
/* Fills pkey, bits, size and modulus of a fresh RSA key. */
CK_RV cid_rsa_from_attrs(cid_key *k, const cid_attrs *a);
CK_RV cid_rsa_public_attrs(EVP_PKEY *pk, cid_attrs *out);
/* n and e, plus d, p, q and the CRT values when priv. */
CK_RV cid_rsa_export(EVP_PKEY *pk, bool priv, cid_attrs *out);
/* CKA_EC_POINT (DER OCTET STRING) of an EC or Ed25519 key. */
CK_RV cid_pkey_point_attr(EVP_PKEY *pk, bool ed, cid_attrs *out);

/* CKM_SHA_1 ... CKM_SHA512 for a hash (the names rsa_pad.h speaks). */
CK_MECHANISM_TYPE cid_hash_ckm(cid_hash h);

/* Frees whatever templates a key holds (op.c knows their types). */
void cid_key_free_templates(cid_key *k);

/* ---- errors ------------------------------------------------------------ */

/* Logs the OpenSSL error queue at ERROR and empties it. */
CK_RV cid_ossl_fail(const char *where, const char *what);
#define CID_OSSL_FAIL(what) cid_ossl_fail(__func__, (what))
CK_RV cid_oom(const char *where);
#define CID_OOM() cid_oom(__func__)

/* ---- DER --------------------------------------------------------------- */

/* Reads one TLV with a definite length that must fill exactly len bytes.
 * Only single-byte tags.  Returns false when malformed. */
bool cid_der_single(const uint8_t *p, size_t len, uint8_t *tag, const uint8_t **val, size_t *vlen);
/* Reads one TLV at the start of p, sets *used to its total length. */
bool cid_der_next(const uint8_t *p, size_t len, uint8_t *tag, const uint8_t **val, size_t *vlen,
                  size_t *used);
/* Wraps data in an OCTET STRING; the result is malloc'd. */
CK_RV cid_der_octet(const uint8_t *v, size_t vlen, uint8_t **out, size_t *outlen);

/* Big-endian helpers for attribute values. */
CK_RV cid_attrs_set_bn(cid_attrs *a, CK_ATTRIBUTE_TYPE t, const BIGNUM *bn);

#endif
