/* Shared by the crypto layer's unit tests: one set of keys made once per
 * test program, independent OpenSSL checks that do not go through the code
 * under test, and one-shot operation helpers. */
#ifndef CAREID_TESTS_CRYPTO_FIXTURE_H
#define CAREID_TESTS_CRYPTO_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "common/attrs.h"
#include "crypto/crypto.h"

extern const uint8_t OID_P256[10], OID_P384[7], OID_P521[7], OID_ED25519[5], NAME_ED25519[14];
extern const uint8_t DI_SHA256[19];
extern const uint8_t MSG[44];

typedef struct kp {
	cid_attrs pub, priv;
	cid_key *kpub, *kpriv;
	CK_KEY_TYPE kt;
} kp;

/* RSA-2048, P-256, P-384 and Ed25519 pairs, made by the group setup. */
extern kp rsa2048, p256, p384, ed;

/* Builds both keys of a pair from its attributes; frees a pair. */
void kp_load(kp *k, CK_KEY_TYPE kt);
void kp_free(kp *k);

int crypto_fx_setup(void **state);
int crypto_fx_teardown(void **state);

const CK_ATTRIBUTE *need(const cid_attrs *a, CK_ATTRIBUTE_TYPE t);
/* The point inside CKA_EC_POINT (DER OCTET STRING with short length). */
const uint8_t *point_of(const cid_attrs *a, size_t *len);
/* An OpenSSL public key built straight from the public attributes. */
EVP_PKEY *ossl_pub(const kp *k);
CK_RV do_sign(CK_MECHANISM *m, cid_key *k, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG *outlen);
CK_RV do_verify(CK_MECHANISM *m, cid_key *k, const uint8_t *in, size_t len, const uint8_t *sig, size_t sl);
CK_RV do_cipher(cid_op_kind kind, CK_MECHANISM *m, cid_key *k, const uint8_t *in, size_t len,
                uint8_t *out, CK_ULONG *outlen);
void sha(const char *name, const uint8_t *in, size_t len, uint8_t *out);

#endif
