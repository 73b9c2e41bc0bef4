/* The operation object shared by op.c (life cycle, parameters, length
 * convention) and the executors in op_sign.c and op_cipher.c. */
#ifndef CAREID_CRYPTO_OP_H
#define CAREID_CRYPTO_OP_H

#include "crypto/internal.h"

struct cid_op {
	cid_op_kind kind;
	const cid_mech_desc *desc;
	const cid_mech_impl *impl;
	cid_key *key;            /* NULL for digests */
	EVP_PKEY_CTX *pctx;      /* single-part key operations */
	EVP_MD_CTX *mctx;        /* hash-and-sign, EdDSA and digests */
	size_t outlen;           /* fixed output size of sign/encrypt/digest */
	size_t hlen;             /* PSS digest length / OAEP hash length */
	bool updated;            /* multi-part input has started */
	uint8_t *result;         /* decryption kept for a repeated call */
	size_t result_len, result_cap;
	/* Padding parameters, kept for keys whose primitive runs on a token
	 * (the host pads and unpads around it). */
	CK_MECHANISM_TYPE pad_hash;
	CK_RSA_PKCS_MGF_TYPE pad_mgf;
	size_t salt_len;
	uint8_t *label;
	size_t label_len;
};

/* ECDSA signatures travel as r||s in PKCS#11 but as DER in OpenSSL. */
#define CID_ECDSA_DER_MAX (2 * (2 + 48 + 1) + 2)
bool cid_ecdsa_der_to_raw(const uint8_t *der, size_t derlen, size_t fb, uint8_t *raw);
size_t cid_ecdsa_raw_to_der(const uint8_t *raw, size_t fb, uint8_t *der);

/* Executors: input already checked against the operation's kind. */
CK_RV cid_sign_run(cid_op *op, const uint8_t *in, size_t len, bool final, uint8_t *out, CK_ULONG *outlen);
CK_RV cid_verify_run(cid_op *op, const uint8_t *in, size_t len, bool final, const uint8_t *sig, size_t siglen);
CK_RV cid_encrypt_run(cid_op *op, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG *outlen);
/* Decrypts into out (at least key size bytes); *outlen gets the length. */
CK_RV cid_decrypt_run(cid_op *op, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen);

/* Keys held by a token (ext_key.c): the host side of signing and
 * decryption around the token's primitive. */
CK_RV cid_ext_setup(cid_op *op);
CK_RV cid_ext_sign(cid_op *op, const uint8_t *in, size_t len, bool final, uint8_t *out, CK_ULONG *outlen);
CK_RV cid_ext_decrypt(cid_op *op, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen);
static inline bool cid_op_external(const cid_op *op)
{
	return op->key != NULL && op->key->ext != NULL &&
	       (op->kind == CID_OP_SIGN || op->kind == CID_OP_DECRYPT);
}

/* The length convention: true when the call ends here with *rv (a length
 * query or a short buffer; the operation stays usable). */
bool cid_length_only(size_t need, const uint8_t *out, CK_ULONG *outlen, CK_RV *rv);

/* Left-pads in to the modulus length and checks it is below n (raw RSA). */
CK_RV cid_rsa_raw_input(const cid_key *k, const uint8_t *in, size_t len, uint8_t *padded, CK_RV too_big);

#endif
