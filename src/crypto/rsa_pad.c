/* RSA padding built and checked on the host (RFC 8017), for keys held by a
 * card.  Decoding runs over the whole block with masks instead of early
 * exits: the time taken does not depend on where the block is wrong. */
#include <string.h>

#include <openssl/evp.h>

#include "common/mem.h"
#include "crypto/internal.h"
#include "crypto/rsa_pad.h"

#define MAX_HASH 64

static const uint8_t DI_SHA1[] = { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
	                           0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14 };
static const uint8_t DI_SHA224[] = { 0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                             0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c };
static const uint8_t DI_SHA256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                             0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
static const uint8_t DI_SHA384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                             0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 };
static const uint8_t DI_SHA512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                             0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 };

/* ---- constant-time helpers --------------------------------------------- */

/* All ones when x == 0, else zero. */
static unsigned ct_zero(unsigned x)
{
	return 0u - ((~x & (x - 1u)) >> (sizeof(unsigned) * 8 - 1));
}

static unsigned ct_eq(unsigned a, unsigned b)
{
	return ct_zero(a ^ b);
}

/* All ones when a < b (both well below UINT_MAX / 2). */
static unsigned ct_lt(unsigned a, unsigned b)
{
	return 0u - ((a - b) >> (sizeof(unsigned) * 8 - 1));
}

static unsigned ct_select(unsigned mask, unsigned a, unsigned b)
{
	return (mask & a) | (~mask & b);
}

/* ---- hashes and MGF1 ----------------------------------------------------- */

static const EVP_MD *md_of(CK_MECHANISM_TYPE m, size_t *hlen)
{
	cid_hash h = cid_hash_from_ckm(m);

	if (h == CID_H_NONE)
		return NULL;
	*hlen = cid_hash_len(h);
	return cid_md(h);
}

static const EVP_MD *mgf_md(CK_RSA_PKCS_MGF_TYPE g)
{
	cid_hash h = cid_hash_from_mgf(g);

	return h == CID_H_NONE ? NULL : cid_md(h);
}

/* XORs MGF1(seed, len) into buf. */
static CK_RV mgf1_xor(const EVP_MD *md, const uint8_t *seed, size_t slen, uint8_t *buf, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t blk[MAX_HASH];
	unsigned hl = 0;
	CK_RV rv = CKR_OK;

	if (ctx == NULL)
		return CKR_HOST_MEMORY;
	for (uint32_t c = 0, off = 0; off < len; c++) {
		uint8_t cnt[4] = { (uint8_t)(c >> 24), (uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c };

		if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, seed, slen) != 1 ||
		    EVP_DigestUpdate(ctx, cnt, 4) != 1 || EVP_DigestFinal_ex(ctx, blk, &hl) != 1) {
			rv = CKR_FUNCTION_FAILED;
			break;
		}
		for (unsigned i = 0; i < hl && off < len; i++, off++)
			buf[off] ^= blk[i];
	}
	cid_wipe(blk, sizeof(blk));
	EVP_MD_CTX_free(ctx);
	return rv;
}

/* ---- signing ------------------------------------------------------------- */

CK_RV cid_rsa_digest_info(CK_MECHANISM_TYPE hash, const uint8_t *h, size_t hlen, uint8_t *out,
                          size_t cap, size_t *outlen)
{
	const uint8_t *pre;
	size_t plen, want;

	switch (hash) {
	case CKM_SHA_1: pre = DI_SHA1; plen = sizeof(DI_SHA1); want = 20; break;
	case CKM_SHA224: pre = DI_SHA224; plen = sizeof(DI_SHA224); want = 28; break;
	case CKM_SHA256: pre = DI_SHA256; plen = sizeof(DI_SHA256); want = 32; break;
	case CKM_SHA384: pre = DI_SHA384; plen = sizeof(DI_SHA384); want = 48; break;
	case CKM_SHA512: pre = DI_SHA512; plen = sizeof(DI_SHA512); want = 64; break;
	default: return CKR_MECHANISM_PARAM_INVALID;
	}
	if (h == NULL || outlen == NULL)
		return CKR_ARGUMENTS_BAD;
	if (hlen != want)
		return CKR_DATA_LEN_RANGE;
	*outlen = plen + hlen;
	if (out == NULL || cap < plen + hlen)
		return CKR_BUFFER_TOO_SMALL;
	memcpy(out, pre, plen);
	memcpy(out + plen, h, hlen);
	return CKR_OK;
}

CK_RV cid_rsa_pkcs1_sign_pad(const uint8_t *t, size_t tlen, uint8_t *em, size_t k)
{
	if ((t == NULL && tlen != 0) || em == NULL)
		return CKR_ARGUMENTS_BAD;
	if (k < 11 || tlen > k - 11)
		return CKR_DATA_LEN_RANGE;
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, k - tlen - 3);
	em[k - tlen - 1] = 0x00;
	if (tlen > 0)
		memmove(em + k - tlen, t, tlen);
	return CKR_OK;
}

CK_RV cid_rsa_pss_encode(CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE mgf, size_t slen,
                         const uint8_t *mhash, size_t mhlen, size_t mod_bits, uint8_t *em, size_t k)
{
	const EVP_MD *md, *mmd;
	size_t hlen = 0, embits, emlen, dblen;
	uint8_t salt[MAX_HASH * 2], *h, *out;
	static const uint8_t zeros[8] = { 0 };
	EVP_MD_CTX *ctx;
	unsigned hl = 0;
	CK_RV rv = CKR_OK;

	if (mhash == NULL || em == NULL || mod_bits < 16)
		return CKR_ARGUMENTS_BAD;
	md = md_of(hash, &hlen);
	mmd = mgf_md(mgf);
	if (md == NULL || mmd == NULL)
		return CKR_MECHANISM_PARAM_INVALID;
	if (mhlen != hlen)
		return CKR_DATA_LEN_RANGE;
	if (k != (mod_bits + 7) / 8)
		return CKR_ARGUMENTS_BAD;
	if (slen > sizeof(salt))
		return CKR_MECHANISM_PARAM_INVALID;
	embits = mod_bits - 1;
	emlen = (embits + 7) / 8;
	if (emlen < hlen + slen + 2)
		return CKR_KEY_SIZE_RANGE;
	/* A modulus of 8n+1 bits gives a block one byte shorter than k. */
	memset(em, 0, k);
	out = em + (k - emlen);
	dblen = emlen - hlen - 1;
	h = out + dblen;
	if (slen > 0 && (rv = cid_random(salt, slen)) != CKR_OK)
		return rv;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return CKR_HOST_MEMORY;
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, zeros, 8) != 1 ||
	    EVP_DigestUpdate(ctx, mhash, mhlen) != 1 || EVP_DigestUpdate(ctx, salt, slen) != 1 ||
	    EVP_DigestFinal_ex(ctx, h, &hl) != 1 || hl != hlen)
		rv = CKR_FUNCTION_FAILED;
	EVP_MD_CTX_free(ctx);
	if (rv == CKR_OK) {
		out[dblen - slen - 1] = 0x01;
		memcpy(out + dblen - slen, salt, slen);
		rv = mgf1_xor(mmd, h, hlen, out, dblen);
	}
	if (rv == CKR_OK) {
		out[0] &= (uint8_t)(0xffu >> (8 * emlen - embits));
		out[emlen - 1] = 0xbc;
	} else {
		cid_wipe(em, k);
	}
	cid_wipe(salt, sizeof(salt));
	return rv;
}

/* ---- decryption ---------------------------------------------------------- */

/* Copies the len-byte message at msg to out once the block is known good.
 * The decision itself was made without branches; revealing the length of
 * a correct message is unavoidable. */
static CK_RV finish(unsigned good, const uint8_t *msg, size_t len, uint8_t *out, size_t *outlen)
{
	if (!(good & 1))
		return CKR_ENCRYPTED_DATA_INVALID;
	*outlen = len;
	memcpy(out, msg, len);
	return CKR_OK;
}

CK_RV cid_rsa_pkcs1_decrypt_unpad(const uint8_t *em, size_t k, uint8_t *out, size_t *outlen)
{
	unsigned good, zero_at = 0, found = 0;

	if (em == NULL || out == NULL || outlen == NULL)
		return CKR_ARGUMENTS_BAD;
	if (k < 11 || k > 4096)
		return CKR_ENCRYPTED_DATA_INVALID;
	if (*outlen < k - 11) {
		*outlen = k - 11;
		return CKR_BUFFER_TOO_SMALL;
	}
	good = ct_zero(em[0]) & ct_eq(em[1], 2);
	for (unsigned i = 2; i < k; i++) {
		unsigned z = ct_zero(em[i]);

		zero_at = ct_select(~found & z, i, zero_at);
		found |= z;
	}
	/* At least eight bytes of non-zero padding before the separator. */
	good &= found & ~ct_lt(zero_at, 10);
	return finish(good, em + zero_at + 1, k - zero_at - 1, out, outlen);
}

CK_RV cid_rsa_oaep_unpad(CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE mgf, const uint8_t *label,
                         size_t llen, const uint8_t *em, size_t k, uint8_t *out, size_t *outlen)
{
	const EVP_MD *md, *mmd;
	size_t hlen = 0, dblen;
	uint8_t lhash[MAX_HASH], *db = NULL;
	unsigned good, one_at = 0, found = 0, hl = 0;
	CK_RV rv;

	if (em == NULL || out == NULL || outlen == NULL || (label == NULL && llen != 0))
		return CKR_ARGUMENTS_BAD;
	md = md_of(hash, &hlen);
	mmd = mgf_md(mgf);
	if (md == NULL || mmd == NULL)
		return CKR_MECHANISM_PARAM_INVALID;
	if (k < 2 * hlen + 2 || k > 4096)
		return CKR_ENCRYPTED_DATA_INVALID;
	if (*outlen < k - 2 * hlen - 2) {
		*outlen = k - 2 * hlen - 2;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (EVP_Digest(label == NULL ? (const void *)"" : label, llen, lhash, &hl, md, NULL) != 1)
		return CKR_FUNCTION_FAILED;
	/* Work on a copy: seed || DB, unmasked in place. */
	db = cid_memdup(em + 1, k - 1);
	if (db == NULL)
		return CKR_HOST_MEMORY;
	dblen = k - 1 - hlen;
	rv = mgf1_xor(mmd, db + hlen, dblen, db, hlen);
	if (rv == CKR_OK)
		rv = mgf1_xor(mmd, db, hlen, db + hlen, dblen);
	if (rv != CKR_OK) {
		cid_free_secret(&db, k - 1);
		return rv;
	}
	good = ct_zero(em[0]);
	for (size_t i = 0; i < hlen; i++)
		good &= ct_eq(db[hlen + i], lhash[i]);
	/* After lHash': zero bytes, then 01, then the message. */
	for (unsigned i = (unsigned)(2 * hlen); i < k - 1; i++) {
		unsigned b = db[i];
		unsigned is_one = ct_eq(b, 1), is_zero = ct_zero(b);

		one_at = ct_select(~found & is_one, i, one_at);
		/* A byte other than 00 before the separator ruins the block. */
		good &= found | is_zero | is_one;
		found |= is_one;
	}
	good &= found;
	/* one_at indexes db, which starts at em + 1. */
	rv = finish(good, db + one_at + 1, k - 2 - one_at, out, outlen);
	cid_free_secret(&db, k - 1);
	return rv;
}
