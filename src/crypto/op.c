/* Operation life cycle: mechanism and parameter checks, per-key context
 * templates, and the PKCS#11 output-length convention. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/op.h"

_Static_assert(CID_OP_SIGN == 0 && CID_OP_VERIFY == 1 && CID_OP_ENCRYPT == 2 && CID_OP_DECRYPT == 3,
               "template slot layout");

/* ---- templates ----------------------------------------------------------
 *
 * Setting up an OpenSSL 3 signature or cipher context looks algorithms up
 * by name in the provider store, under a lock that threads contend for.
 * Each key therefore keeps one initialised context per mechanism and kind,
 * and operations start from a duplicate of it. */

static bool uses_md_ctx(cid_family f)
{
	return f == CID_F_RSA_PKCS_HASH || f == CID_F_RSA_PSS_HASH || f == CID_F_ECDSA_HASH || f == CID_F_EDDSA;
}

static int rsa_padding(cid_family f)
{
	switch (f) {
	case CID_F_RSA_X509:
		return RSA_NO_PADDING;
	case CID_F_RSA_PSS:
	case CID_F_RSA_PSS_HASH:
		return RSA_PKCS1_PSS_PADDING;
	case CID_F_RSA_OAEP:
		return RSA_PKCS1_OAEP_PADDING;
	default:
		return RSA_PKCS1_PADDING;
	}
}

static EVP_PKEY_CTX *make_pctx(cid_key *k, const cid_mech_impl *im, cid_op_kind kind)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(cid_libctx(), k->pkey, NULL);
	int ok;

	if (c == NULL)
		return NULL;
	switch (kind) {
	case CID_OP_SIGN:
		ok = EVP_PKEY_sign_init(c);
		break;
	case CID_OP_VERIFY:
		ok = EVP_PKEY_verify_init(c);
		break;
	case CID_OP_ENCRYPT:
		ok = EVP_PKEY_encrypt_init(c);
		break;
	default:
		ok = EVP_PKEY_decrypt_init(c);
		break;
	}
	if (ok > 0 && k->type == CKK_RSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, rsa_padding(im->fam));
	if (ok <= 0) {
		EVP_PKEY_CTX_free(c);
		return NULL;
	}
	return c;
}

static EVP_MD_CTX *make_mctx(cid_key *k, const cid_mech_impl *im, cid_op_kind kind)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	const char *md = cid_hash_name(im->hash);
	int ok;

	if (m == NULL)
		return NULL;
	if (kind == CID_OP_SIGN)
		ok = EVP_DigestSignInit_ex(m, &pc, md, cid_libctx(), NULL, k->pkey, NULL);
	else
		ok = EVP_DigestVerifyInit_ex(m, &pc, md, cid_libctx(), NULL, k->pkey, NULL);
	if (ok > 0 && k->type == CKK_RSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, rsa_padding(im->fam));
	if (ok <= 0) {
		EVP_MD_CTX_free(m);
		return NULL;
	}
	return m;
}

static void tmpl_free(const cid_mech_impl *im, void *t)
{
	if (uses_md_ctx(im->fam))
		EVP_MD_CTX_free(t);
	else
		EVP_PKEY_CTX_free(t);
}

void cid_key_free_templates(cid_key *k)
{
	for (size_t i = 0; i < CID_TMPL_MAX; i++) {
		void *t = atomic_load_explicit(&k->tmpl[i], memory_order_acquire);

		if (t != NULL)
			tmpl_free(cid_mech_impl_at((int)(i / CID_TMPL_KINDS)), t);
	}
}

/* Gives the operation its own context: a duplicate of the key's template,
 * or a freshly made one when the template cannot be made or copied. */
static CK_RV op_context(cid_op *op, int mi)
{
	cid_key *k = op->key;
	const cid_mech_impl *im = op->impl;
	size_t slot = (size_t)mi * CID_TMPL_KINDS + (size_t)op->kind;
	bool md = uses_md_ctx(im->fam);
	/* EdDSA contexts are not reliably duplicable in OpenSSL 3.0. */
	void *t = im->fam == CID_F_EDDSA ? NULL : atomic_load_explicit(&k->tmpl[slot], memory_order_acquire);

	if (t == NULL && im->fam != CID_F_EDDSA) {
		void *expected = NULL;

		t = md ? (void *)make_mctx(k, im, op->kind) : (void *)make_pctx(k, im, op->kind);
		if (t != NULL &&
		    !atomic_compare_exchange_strong_explicit(&k->tmpl[slot], &expected, t, memory_order_acq_rel,
		                                             memory_order_acquire)) {
			tmpl_free(im, t);
			t = expected;
		}
	}
	if (t != NULL) {
		if (md) {
			op->mctx = EVP_MD_CTX_new();
			if (op->mctx != NULL && !EVP_MD_CTX_copy_ex(op->mctx, t)) {
				EVP_MD_CTX_free(op->mctx);
				op->mctx = NULL;
			}
		} else {
			op->pctx = EVP_PKEY_CTX_dup(t);
		}
	}
	if (op->mctx == NULL && op->pctx == NULL) {
		ERR_clear_error();
		if (md)
			op->mctx = make_mctx(k, im, op->kind);
		else
			op->pctx = make_pctx(k, im, op->kind);
	}
	if (op->mctx == NULL && op->pctx == NULL)
		return CID_OSSL_FAIL("operation context setup");
	/* The final call need not leave the context reusable; without this
	 * flag OpenSSL duplicates the whole context inside every final. */
	if (op->mctx != NULL)
		EVP_MD_CTX_set_flags(op->mctx, EVP_MD_CTX_FLAG_FINALISE);
	return CKR_OK;
}

/* ---- parameters ---------------------------------------------------------- */

static bool no_param(const CK_MECHANISM *m)
{
	return m->ulParameterLen == 0;
}

static CK_RV param_invalid(const char *why)
{
	CID_INFO("mechanism parameter invalid: %s", why);
	return CKR_MECHANISM_PARAM_INVALID;
}

/* RSA-PSS: EMSA-PSS needs emLen >= hLen + sLen + 2. */
static CK_RV setup_pss(cid_op *op, const CK_MECHANISM *m)
{
	const CK_RSA_PKCS_PSS_PARAMS *p = m->pParameter;
	cid_hash h, mgf;
	size_t emlen = (op->key->bits - 1 + 7) / 8;
	EVP_PKEY_CTX *pc;

	if (p == NULL || m->ulParameterLen != sizeof(*p))
		return param_invalid("CK_RSA_PKCS_PSS_PARAMS expected");
	h = cid_hash_from_ckm(p->hashAlg);
	mgf = cid_hash_from_mgf(p->mgf);
	if (h == CID_H_NONE || mgf == CID_H_NONE)
		return param_invalid("unsupported PSS hash or MGF");
	if (op->impl->fam == CID_F_RSA_PSS_HASH && h != op->impl->hash)
		return param_invalid("PSS hashAlg differs from the mechanism's hash");
	if (p->sLen > INT_MAX || cid_hash_len(h) + p->sLen + 2 > emlen)
		return param_invalid("PSS salt too long for the key");
	op->hlen = cid_hash_len(h);
	op->pad_hash = p->hashAlg;
	op->pad_mgf = p->mgf;
	op->salt_len = p->sLen;
	if (cid_op_external(op))
		return CKR_OK;
	pc = op->pctx != NULL ? op->pctx : EVP_MD_CTX_get_pkey_ctx(op->mctx);
	if ((op->impl->fam == CID_F_RSA_PSS && EVP_PKEY_CTX_set_signature_md(pc, cid_md(h)) <= 0) ||
	    (mgf != h && EVP_PKEY_CTX_set_rsa_mgf1_md(pc, cid_md(mgf)) <= 0) ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, (int)p->sLen) <= 0)
		return CID_OSSL_FAIL("PSS parameters");
	return CKR_OK;
}

static CK_RV setup_oaep(cid_op *op, const CK_MECHANISM *m)
{
	const CK_RSA_PKCS_OAEP_PARAMS *p = m->pParameter;
	cid_hash h, mgf;
	void *label = NULL;

	if (p == NULL || m->ulParameterLen != sizeof(*p))
		return param_invalid("CK_RSA_PKCS_OAEP_PARAMS expected");
	h = cid_hash_from_ckm(p->hashAlg);
	mgf = cid_hash_from_mgf(p->mgf);
	if (h == CID_H_NONE || mgf == CID_H_NONE)
		return param_invalid("unsupported OAEP hash or MGF");
	/* Some callers leave source at 0 when there is no label. */
	if (p->source != CKZ_DATA_SPECIFIED && (p->source != 0 || p->ulSourceDataLen != 0))
		return param_invalid("OAEP source must be CKZ_DATA_SPECIFIED");
	if (p->ulSourceDataLen > INT_MAX || (p->ulSourceDataLen != 0 && p->pSourceData == NULL))
		return param_invalid("OAEP label");
	if (2 * cid_hash_len(h) + 2 > op->key->size)
		return param_invalid("OAEP hash too long for the key");
	op->hlen = cid_hash_len(h);
	op->pad_hash = p->hashAlg;
	op->pad_mgf = p->mgf;
	if (cid_op_external(op)) {
		op->label = malloc(p->ulSourceDataLen ? p->ulSourceDataLen : 1);
		if (op->label == NULL)
			return CID_OOM();
		if (p->ulSourceDataLen != 0)
			memcpy(op->label, p->pSourceData, p->ulSourceDataLen);
		op->label_len = p->ulSourceDataLen;
		return CKR_OK;
	}
	if (EVP_PKEY_CTX_set_rsa_oaep_md(op->pctx, cid_md(h)) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(op->pctx, cid_md(mgf)) <= 0)
		return CID_OSSL_FAIL("OAEP parameters");
	if (p->ulSourceDataLen != 0) {
		label = OPENSSL_memdup(p->pSourceData, p->ulSourceDataLen);
		if (label == NULL)
			return CID_OOM();
		if (EVP_PKEY_CTX_set0_rsa_oaep_label(op->pctx, label, (int)p->ulSourceDataLen) <= 0) {
			OPENSSL_free(label);
			return CID_OSSL_FAIL("OAEP label");
		}
	}
	return CKR_OK;
}

static CK_RV check_eddsa_param(const CK_MECHANISM *m)
{
	const CK_EDDSA_PARAMS *p = m->pParameter;

	if (no_param(m))
		return CKR_OK;
	if (p == NULL || m->ulParameterLen != sizeof(*p))
		return param_invalid("CK_EDDSA_PARAMS expected");
	if (p->phFlag || p->ulContextDataLen != 0)
		return param_invalid("only pure Ed25519 without context is supported");
	return CKR_OK;
}

/* ---- life cycle -------------------------------------------------------- */

static CK_FLAGS kind_flag(cid_op_kind kind)
{
	static const CK_FLAGS f[] = { CKF_SIGN, CKF_VERIFY, CKF_ENCRYPT, CKF_DECRYPT, CKF_DIGEST };

	return (unsigned)kind < sizeof(f) / sizeof(f[0]) ? f[kind] : 0;
}

static CK_RV check_key(const cid_op *op, cid_key *key)
{
	const cid_mech_desc *d = op->desc;

	if (key == NULL || key->pkey == NULL) {
		CID_INFO("no key for mechanism 0x%lx", (unsigned long)d->type);
		return CKR_ARGUMENTS_BAD;
	}
	if (key->type != d->key_type) {
		CID_INFO("key type 0x%lx does not fit mechanism 0x%lx", (unsigned long)key->type,
		         (unsigned long)d->type);
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	if (key->bits < d->min_bits || key->bits > d->max_bits) {
		CID_INFO("key of %lu bits outside %lu..%lu for mechanism 0x%lx", (unsigned long)key->bits,
		         (unsigned long)d->min_bits, (unsigned long)d->max_bits, (unsigned long)d->type);
		return CKR_KEY_SIZE_RANGE;
	}
	if ((op->kind == CID_OP_SIGN || op->kind == CID_OP_DECRYPT) && !key->priv) {
		CID_INFO("signing or decryption needs a private key");
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	}
	return CKR_OK;
}

static CK_RV op_setup(cid_op *op, const CK_MECHANISM *m, cid_key *key, int mi)
{
	cid_family fam = op->impl->fam;
	CK_RV rv;

	if (op->kind == CID_OP_DIGEST) {
		if (!no_param(m))
			return param_invalid("digests take no parameter");
		op->outlen = cid_hash_len(op->impl->hash);
		op->mctx = EVP_MD_CTX_new();
		if (op->mctx == NULL || !EVP_DigestInit_ex(op->mctx, cid_md(op->impl->hash), NULL))
			return CID_OSSL_FAIL("digest init");
		return CKR_OK;
	}
	rv = check_key(op, key);
	if (rv != CKR_OK)
		return rv;
	if (fam == CID_F_EDDSA)
		rv = check_eddsa_param(m);
	else if (fam != CID_F_RSA_PSS && fam != CID_F_RSA_PSS_HASH && fam != CID_F_RSA_OAEP && !no_param(m))
		rv = param_invalid("mechanism takes no parameter");
	if (rv != CKR_OK)
		return rv;
	op->key = cid_key_ref(key);
	rv = cid_op_external(op) ? cid_ext_setup(op) : op_context(op, mi);
	if (rv != CKR_OK)
		return rv;
	if (fam == CID_F_RSA_PSS || fam == CID_F_RSA_PSS_HASH)
		rv = setup_pss(op, m);
	else if (fam == CID_F_RSA_OAEP)
		rv = setup_oaep(op, m);
	op->outlen = key->type == CKK_EC ? 2 * key->size : key->type == CKK_EC_EDWARDS ? 64 : key->size;
	return rv;
}

CK_RV cid_op_new(cid_op_kind kind, const CK_MECHANISM *m, cid_key *key, cid_op **out)
{
	cid_op *op;
	int mi;
	CK_RV rv;

	if (m == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	*out = NULL;
	mi = cid_mech_index(m->mechanism);
	if (mi < 0 || (cid_mech_find(m->mechanism)->flags & kind_flag(kind)) == 0) {
		CID_INFO("mechanism 0x%lx not available for this operation", (unsigned long)m->mechanism);
		return CKR_MECHANISM_INVALID;
	}
	if (m->pParameter == NULL && m->ulParameterLen != 0)
		return param_invalid("length without a parameter");
	op = calloc(1, sizeof(*op));
	if (op == NULL)
		return CID_OOM();
	op->kind = kind;
	op->desc = cid_mech_find(m->mechanism);
	op->impl = cid_mech_impl_at(mi);
	rv = op_setup(op, m, key, mi);
	if (rv != CKR_OK) {
		cid_op_free(&op);
		return rv;
	}
	*out = op;
	return CKR_OK;
}

void cid_op_free(cid_op **opp)
{
	cid_op *op;

	if (opp == NULL || *opp == NULL)
		return;
	op = *opp;
	*opp = NULL;
	EVP_PKEY_CTX_free(op->pctx);
	EVP_MD_CTX_free(op->mctx);
	cid_free_secret(&op->result, op->result_cap);
	free(op->label);
	cid_key_unref(&op->key);
	free(op);
}

cid_op_kind cid_op_get_kind(const cid_op *op)
{
	return op->kind;
}

/* ---- input and output ---------------------------------------------------- */

static CK_RV misuse(const char *what)
{
	CID_ERROR("operation used out of sequence: %s", what);
	return CKR_FUNCTION_FAILED;
}

/* True when the call ends here with *rv: a length query or a short buffer.
 * The operation stays usable in both cases. */
bool cid_length_only(size_t need, const uint8_t *out, CK_ULONG *outlen, CK_RV *rv)
{
	if (out != NULL && *outlen >= need)
		return false;
	*rv = out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
	*outlen = need;
	return true;
}

CK_RV cid_op_update(cid_op *op, const uint8_t *in, size_t len)
{
	int ok;

	if (op == NULL || (in == NULL && len != 0))
		return CKR_ARGUMENTS_BAD;
	if (!op->desc->multipart || op->mctx == NULL || (op->kind > CID_OP_VERIFY && op->kind != CID_OP_DIGEST))
		return misuse("update on a single-part operation");
	op->updated = true;
	if (len == 0)
		return CKR_OK;
	if (op->kind == CID_OP_SIGN && !cid_op_external(op))
		ok = EVP_DigestSignUpdate(op->mctx, in, len);
	else if (op->kind == CID_OP_VERIFY)
		ok = EVP_DigestVerifyUpdate(op->mctx, in, len);
	else
		ok = EVP_DigestUpdate(op->mctx, in, len);
	return ok > 0 ? CKR_OK : CID_OSSL_FAIL("update");
}

static CK_RV digest_run(cid_op *op, const uint8_t *in, size_t len, bool final, uint8_t *out, CK_ULONG *outlen)
{
	unsigned int n = 0;

	if (!final && len != 0 && !EVP_DigestUpdate(op->mctx, in, len))
		return CID_OSSL_FAIL("digest update");
	if (!EVP_DigestFinal_ex(op->mctx, out, &n))
		return CID_OSSL_FAIL("digest final");
	*outlen = n;
	return CKR_OK;
}

CK_RV cid_op_final(cid_op *op, uint8_t *out, CK_ULONG *outlen)
{
	CK_RV rv;

	if (op == NULL || outlen == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!op->desc->multipart || (op->kind != CID_OP_SIGN && op->kind != CID_OP_DIGEST))
		return misuse("final on a single-part operation");
	if (cid_length_only(op->outlen, out, outlen, &rv))
		return rv;
	if (op->kind == CID_OP_DIGEST)
		return digest_run(op, NULL, 0, true, out, outlen);
	return cid_sign_run(op, NULL, 0, true, out, outlen);
}

static CK_RV deliver_result(cid_op *op, uint8_t *out, CK_ULONG *outlen)
{
	CK_RV rv;

	if (cid_length_only(op->result_len, out, outlen, &rv))
		return rv;
	memcpy(out, op->result, op->result_len);
	*outlen = op->result_len;
	return CKR_OK;
}

static CK_RV decrypt_oneshot(cid_op *op, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG *outlen)
{
	size_t n = 0;
	CK_RV rv;

	if (op->result != NULL)
		return deliver_result(op, out, outlen);
	/* A buffer that can hold any plaintext gets it directly. */
	if (out != NULL && *outlen >= op->key->size) {
		rv = cid_decrypt_run(op, in, len, out, &n);
		if (rv == CKR_OK)
			*outlen = n;
		return rv;
	}
	op->result_cap = op->key->size;
	op->result = malloc(op->result_cap);
	if (op->result == NULL)
		return CID_OOM();
	rv = cid_decrypt_run(op, in, len, op->result, &op->result_len);
	if (rv != CKR_OK) {
		cid_free_secret(&op->result, op->result_cap);
		return rv;
	}
	return deliver_result(op, out, outlen);
}

CK_RV cid_op_oneshot(cid_op *op, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG *outlen)
{
	CK_RV rv;

	if (op == NULL || outlen == NULL || (in == NULL && len != 0))
		return CKR_ARGUMENTS_BAD;
	if (op->updated || op->kind == CID_OP_VERIFY)
		return misuse("single-part call on this operation");
	if (op->kind == CID_OP_DECRYPT)
		return decrypt_oneshot(op, in, len, out, outlen);
	if (op->kind == CID_OP_DIGEST) {
		if (cid_length_only(op->outlen, out, outlen, &rv))
			return rv;
		return digest_run(op, in, len, false, out, outlen);
	}
	if (op->kind == CID_OP_ENCRYPT)
		return cid_encrypt_run(op, in, len, out, outlen);
	return cid_sign_run(op, in, len, false, out, outlen);
}

CK_RV cid_op_verify_final(cid_op *op, const uint8_t *sig, size_t siglen)
{
	if (op == NULL || (sig == NULL && siglen != 0))
		return CKR_ARGUMENTS_BAD;
	if (op->kind != CID_OP_VERIFY || !op->desc->multipart)
		return misuse("verify final on this operation");
	return cid_verify_run(op, NULL, 0, true, sig, siglen);
}

CK_RV cid_op_verify_oneshot(cid_op *op, const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen)
{
	if (op == NULL || (sig == NULL && siglen != 0) || (data == NULL && len != 0))
		return CKR_ARGUMENTS_BAD;
	if (op->kind != CID_OP_VERIFY || op->updated)
		return misuse("single-part verify on this operation");
	return cid_verify_run(op, data, len, false, sig, siglen);
}
