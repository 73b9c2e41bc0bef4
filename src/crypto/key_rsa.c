/* RSA keys from PKCS#11 attributes.  PKCS#11 only requires the modulus
 * and private exponent on a private key, so missing CRT values and a
 * missing public exponent are recomputed when the primes are known, and
 * every value that is given is checked against the others: a key that
 * signs wrongly is worse than a key that is refused. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/internal.h"

#define RSA_IMPORT_MIN_BITS 512
#define RSA_IMPORT_MAX_BITS 16384

enum { N, E, D, P, Q, DP, DQ, QINV, NPARTS };

static const CK_ATTRIBUTE_TYPE part_attr[NPARTS] = {
	CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
	CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT,
};

static const char *const part_param[NPARTS] = {
	OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
	OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

static CK_RV read_part(const cid_attrs *a, int i, BIGNUM **out)
{
	const CK_ATTRIBUTE *at = cid_attrs_get(a, part_attr[i]);

	*out = NULL;
	if (at == NULL)
		return CKR_OK;
	if (at->pValue == NULL || at->ulValueLen == 0 || at->ulValueLen > RSA_IMPORT_MAX_BITS / 8 + 1) {
		CID_INFO("RSA attribute 0x%lx has a bad length %lu", (unsigned long)part_attr[i],
		         (unsigned long)at->ulValueLen);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	*out = i >= D ? BN_secure_new() : BN_new();
	if (*out == NULL || BN_bin2bn(at->pValue, (int)at->ulValueLen, *out) == NULL)
		return CID_OSSL_FAIL("BN_bin2bn");
	if (i >= D)
		BN_set_flags(*out, BN_FLG_CONSTTIME);
	return CKR_OK;
}

/* Sets *slot to the computed value when absent, else checks it equals. */
static CK_RV fill_or_check(BIGNUM **slot, BIGNUM *computed, const char *what)
{
	if (*slot == NULL) {
		*slot = computed;
		return CKR_OK;
	}
	if (BN_cmp(*slot, computed) != 0) {
		BN_clear_free(computed);
		CID_INFO("RSA %s is inconsistent with the rest of the key", what);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	BN_clear_free(computed);
	return CKR_OK;
}

static BIGNUM *new_secret(void)
{
	BIGNUM *b = BN_secure_new();

	if (b != NULL)
		BN_set_flags(b, BN_FLG_CONSTTIME);
	return b;
}

/* With both primes known: recompute e (if absent), the CRT values, and
 * check e*d = 1 modulo p-1 and q-1. */
static CK_RV check_with_primes(BIGNUM **v, BN_CTX *bc)
{
	BIGNUM *p1 = BN_CTX_get(bc), *q1 = BN_CTX_get(bc), *t = BN_CTX_get(bc), *lam = BN_CTX_get(bc);
	BIGNUM *dp = new_secret(), *dq = new_secret(), *qi = new_secret();
	CK_RV rv;

	if (lam == NULL || dp == NULL || dq == NULL || qi == NULL)
		goto fail;
	if (BN_cmp(v[P], BN_value_one()) <= 0 || BN_cmp(v[Q], BN_value_one()) <= 0 || !BN_mul(t, v[P], v[Q], bc))
		goto bad_or_fail;
	if (BN_cmp(t, v[N]) != 0) {
		CID_INFO("RSA primes do not multiply to the modulus");
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	if (!BN_sub(p1, v[P], BN_value_one()) || !BN_sub(q1, v[Q], BN_value_one()))
		goto fail;
	if (v[E] == NULL) {
		/* e = d^-1 mod lcm(p-1, q-1) */
		if (!BN_gcd(t, p1, q1, bc) || !BN_mul(lam, p1, q1, bc) || !BN_div(lam, NULL, lam, t, bc))
			goto fail;
		v[E] = BN_new();
		if (v[E] == NULL || BN_mod_inverse(v[E], v[D], lam, bc) == NULL) {
			ERR_clear_error();
			CID_INFO("RSA private exponent has no inverse");
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
			goto out;
		}
	}
	if (!BN_mod(dp, v[D], p1, bc) || !BN_mod(dq, v[D], q1, bc))
		goto fail;
	if (!BN_mod_mul(t, v[E], dp, p1, bc) || !BN_is_one(t) || !BN_mod_mul(t, v[E], dq, q1, bc) || !BN_is_one(t)) {
		CID_INFO("RSA exponents do not match the primes");
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	if (BN_mod_inverse(qi, v[Q], v[P], bc) == NULL) {
		ERR_clear_error();
		CID_INFO("RSA primes are not coprime");
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	rv = fill_or_check(&v[DP], dp, "exponent 1");
	dp = NULL;
	if (rv == CKR_OK)
		rv = fill_or_check(&v[DQ], dq, "exponent 2");
	dq = NULL;
	if (rv == CKR_OK)
		rv = fill_or_check(&v[QINV], qi, "coefficient");
	qi = NULL;
	goto out;
bad_or_fail:
	rv = CKR_ATTRIBUTE_VALUE_INVALID;
	CID_INFO("RSA primes out of range");
	goto out;
fail:
	rv = CID_OSSL_FAIL("RSA key arithmetic");
out:
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qi);
	return rv;
}

/* Without primes: one round trip 2^(e*d) = 2 mod n proves the pair. */
static CK_RV check_without_primes(BIGNUM **v, BN_CTX *bc)
{
	BIGNUM *two = BN_CTX_get(bc), *c = BN_CTX_get(bc), *m = BN_CTX_get(bc);

	if (m == NULL || !BN_set_word(two, 2) || !BN_mod_exp(c, two, v[E], v[N], bc) ||
	    !BN_mod_exp(m, c, v[D], v[N], bc))
		return CID_OSSL_FAIL("RSA key arithmetic");
	if (BN_cmp(m, two) != 0) {
		CID_INFO("RSA private exponent does not match the public key");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

static CK_RV validate(cid_key *k, BIGNUM **v, BN_CTX *bc)
{
	int bits = BN_num_bits(v[N]);

	if (!BN_is_odd(v[N]) || bits < RSA_IMPORT_MIN_BITS || bits > RSA_IMPORT_MAX_BITS) {
		CID_INFO("RSA modulus unusable (%d bits)", bits);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (!k->priv)
		goto check_e;
	if (BN_cmp(v[D], BN_value_one()) <= 0 || BN_cmp(v[D], v[N]) >= 0) {
		CID_INFO("RSA private exponent out of range");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if ((v[P] == NULL) != (v[Q] == NULL)) {
		CID_INFO("RSA key has only one of the two primes");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (v[P] == NULL && (v[DP] != NULL || v[DQ] != NULL || v[QINV] != NULL)) {
		CID_INFO("RSA CRT values without the primes");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (v[P] != NULL) {
		CK_RV rv = check_with_primes(v, bc);

		if (rv != CKR_OK)
			return rv;
	}
check_e:
	if (v[E] == NULL) {
		CID_INFO("RSA public exponent missing and not derivable");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	if (!BN_is_odd(v[E]) || BN_is_one(v[E]) || BN_cmp(v[E], v[N]) >= 0) {
		CID_INFO("RSA public exponent unusable");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (k->priv && v[P] == NULL)
		return check_without_primes(v, bc);
	return CKR_OK;
}

static CK_RV build(cid_key *k, BIGNUM **v)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *prm = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	CK_RV rv = CKR_OK;
	int last = k->priv ? (v[P] != NULL ? QINV : D) : E;

	if (bld == NULL)
		return CID_OOM();
	for (int i = N; i <= last; i++)
		if (!OSSL_PARAM_BLD_push_BN(bld, part_param[i], v[i]))
			rv = CID_OSSL_FAIL("RSA parameter build");
	if (rv == CKR_OK &&
	    ((prm = OSSL_PARAM_BLD_to_param(bld)) == NULL || (ctx = EVP_PKEY_CTX_new_from_name(cid_libctx(), CID_KT_RSA, NULL)) == NULL ||
	     EVP_PKEY_fromdata_init(ctx) <= 0 ||
	     EVP_PKEY_fromdata(ctx, &k->pkey, k->priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, prm) <= 0))
		rv = CID_OSSL_FAIL("RSA key import");
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(prm);
	OSSL_PARAM_BLD_free(bld);
	return rv;
}

CK_RV cid_rsa_from_attrs(cid_key *k, const cid_attrs *a)
{
	BIGNUM *v[NPARTS] = { 0 };
	BN_CTX *bc = NULL;
	CK_RV rv = CKR_OK;
	int last = k->priv ? QINV : E;

	for (int i = N; i <= last && rv == CKR_OK; i++)
		rv = read_part(a, i, &v[i]);
	if (rv != CKR_OK)
		goto out;
	if (v[N] == NULL || (k->priv && v[D] == NULL)) {
		CID_INFO("RSA key without %s", v[N] == NULL ? "CKA_MODULUS" : "CKA_PRIVATE_EXPONENT");
		rv = CKR_TEMPLATE_INCOMPLETE;
		goto out;
	}
	bc = BN_CTX_secure_new();
	if (bc == NULL) {
		rv = CID_OOM();
		goto out;
	}
	BN_CTX_start(bc);
	rv = validate(k, v, bc);
	BN_CTX_end(bc);
	if (rv == CKR_OK)
		rv = build(k, v);
	if (rv == CKR_OK) {
		k->bits = (CK_ULONG)BN_num_bits(v[N]);
		k->size = (size_t)BN_num_bytes(v[N]);
		k->modulus = malloc(k->size);
		if (k->modulus == NULL)
			rv = CID_OOM();
		else
			BN_bn2bin(v[N], k->modulus);
	}
out:
	BN_CTX_free(bc);
	for (int i = 0; i < NPARTS; i++)
		BN_clear_free(v[i]);
	return rv;
}

/* Exports the given parts of an RSA EVP_PKEY as attributes. */
CK_RV cid_rsa_export(EVP_PKEY *pk, bool priv, cid_attrs *out)
{
	CK_RV rv = CKR_OK;
	int last = priv ? QINV : E;

	for (int i = N; i <= last && rv == CKR_OK; i++) {
		BIGNUM *b = NULL;

		if (EVP_PKEY_get_bn_param(pk, part_param[i], &b) <= 0) {
			rv = CID_OSSL_FAIL(part_param[i]);
			break;
		}
		rv = cid_attrs_set_bn(out, part_attr[i], b);
		BN_clear_free(b);
	}
	return rv;
}

CK_RV cid_rsa_public_attrs(EVP_PKEY *pk, cid_attrs *out)
{
	return cid_rsa_export(pk, false, out);
}
