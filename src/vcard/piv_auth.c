/* Card management key (9B): challenge-response with 3DES or AES.
 *
 * Two forms are served, as hosts use both:
 *   mutual:   7C{80 00}          -> 7C{80 E(W)}
 *             7C{80 W, 81 C}     -> 7C{82 E(C)}     (card checks W)
 *   one-way:  7C{81 00}          -> 7C{81 C}
 *             7C{82 E(C)}        -> 9000            (card checks E(C))
 * Any other step in between, or a wrong answer, cancels the exchange. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "vcard/vcard.h"

size_t piv_mgmt_key_len(uint8_t alg)
{
	switch (alg) {
	case ALG_3DES: return 24;
	case ALG_AES128: return 16;
	case ALG_AES192: return 24;
	case ALG_AES256: return 32;
	default: return 0;
	}
}

static const char *cipher_name(uint8_t alg)
{
	switch (alg) {
	case ALG_3DES: return "DES-EDE3-ECB";
	case ALG_AES128: return "AES-128-ECB";
	case ALG_AES192: return "AES-192-ECB";
	case ALG_AES256: return "AES-256-ECB";
	default: return NULL;
	}
}

static size_t block_len(uint8_t alg)
{
	return alg == ALG_3DES ? 8 : 16;
}

/* One block under the card's management key. */
static int encrypt_block(const struct vc_state *st, const uint8_t *in, uint8_t *out)
{
	EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, cipher_name(st->mgmt_alg), NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok;
	int bl = (int)block_len(st->mgmt_alg);

	ok = ciph != NULL && ctx != NULL &&
	     EVP_EncryptInit_ex2(ctx, ciph, st->mgmt_key, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_EncryptUpdate(ctx, out, &n, in, bl) == 1 && n == bl;
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(ciph);
	return ok ? 0 : -1;
}

static uint16_t reply(struct vc_buf *r, uint32_t tag, const uint8_t *v, size_t n)
{
	uint8_t inner[40];
	struct vc_buf ib;

	vc_buf_init(&ib, inner, sizeof(inner));
	tlv_put(&ib, tag, v, n);
	tlv_put(r, 0x7C, ib.p, ib.len);
	return SW_OK;
}

static void cancel(struct vc_card *c)
{
	c->ss.mgmt_step = 0;
	OPENSSL_cleanse(c->ss.mgmt_nonce, sizeof(c->ss.mgmt_nonce));
}

uint16_t piv_mgmt_auth(struct vc_card *c, uint8_t alg, const uint8_t *dyn, size_t n,
		       struct vc_buf *r)
{
	const uint8_t *w = NULL, *ch = NULL, *rsp = NULL;
	size_t wn = 0, cn = 0, rn = 0;
	bool has_w, has_c, has_r;
	size_t bl = block_len(c->st.mgmt_alg);
	uint8_t nonce[16], tmp[16];
	uint8_t step = c->ss.mgmt_step;
	uint16_t sw = SW_WRONG_DATA;

	if (alg != c->st.mgmt_alg) {
		cancel(c);
		return SW_WRONG_P1P2;
	}
	has_w = tlv_find(dyn, n, 0x80, &w, &wn) == 0;
	has_c = tlv_find(dyn, n, 0x81, &ch, &cn) == 0;
	has_r = tlv_find(dyn, n, 0x82, &rsp, &rn) == 0;
	memcpy(nonce, c->ss.mgmt_nonce, sizeof(nonce));
	cancel(c);
	c->ss.mgmt_ok = false;

	if (has_w && wn == 0 && !has_c && !has_r) {
		if (RAND_bytes(c->ss.mgmt_nonce, (int)bl) != 1 ||
		    encrypt_block(&c->st, c->ss.mgmt_nonce, tmp) != 0) {
			cancel(c);
			sw = SW_UNKNOWN;
		} else {
			c->ss.mgmt_step = 1;
			c->ss.mgmt_nonce_len = bl;
			sw = reply(r, 0x80, tmp, bl);
		}
	} else if (has_c && cn == 0 && !has_w && !has_r) {
		if (RAND_bytes(c->ss.mgmt_nonce, (int)bl) != 1) {
			cancel(c);
			sw = SW_UNKNOWN;
		} else {
			c->ss.mgmt_step = 2;
			c->ss.mgmt_nonce_len = bl;
			sw = reply(r, 0x81, c->ss.mgmt_nonce, bl);
		}
	} else if (step == 1 && has_w && has_c && !has_r) {
		if (wn != bl || cn != bl || CRYPTO_memcmp(w, nonce, bl) != 0) {
			sw = SW_SECURITY;
		} else if (encrypt_block(&c->st, ch, tmp) != 0) {
			sw = SW_UNKNOWN;
		} else {
			c->ss.mgmt_ok = true;
			sw = reply(r, 0x82, tmp, bl);
		}
	} else if (step == 2 && has_r && !has_w && !has_c) {
		if (rn != bl || encrypt_block(&c->st, nonce, tmp) != 0 ||
		    CRYPTO_memcmp(rsp, tmp, bl) != 0) {
			sw = SW_SECURITY;
		} else {
			c->ss.mgmt_ok = true;
			sw = SW_OK;
		}
	}
	OPENSSL_cleanse(nonce, sizeof(nonce));
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return sw;
}
