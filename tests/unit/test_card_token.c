/* The card token against a simulated PIV card living in this test: it
 * answers SELECT, GET/PUT DATA, VERIFY, CHANGE REFERENCE DATA, RESET
 * RETRY COUNTER, GENERAL AUTHENTICATE (with real keys), GENERATE and the
 * management-key exchange, with chaining and 61xx like a T=1 card. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "card/card.h"
#include "card/tlv.h"
#include "careid/careid.h"
#include "crypto/rsa_pad.h"

/* ---- the simulated card ------------------------------------------------------ */

enum { K9A, K9C, K9D, K9E, NK };
static const uint8_t REFS[NK] = { 0x9A, 0x9C, 0x9D, 0x9E };
static const uint32_t TAGS[NK] = { 0x5FC105, 0x5FC10A, 0x5FC10B, 0x5FC101 };
static const uint8_t MGMT[24] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8 };

typedef struct vcard {
	cid_card_io base;
	uint8_t *obj[NK];
	size_t objlen[NK];
	EVP_PKEY *key[NK];
	uint8_t chuid[32];
	size_t chuidlen;
	uint8_t pin[8], puk[8];
	int pin_tries, puk_tries;
	bool pin_ok, sign_ok, mgmt_ok;
	bool fresh_pin_for_9c;   /* 9C wants a VERIFY right before each use */
	uint8_t witness[8];
	bool witness_out;
	uint8_t chain[2048];
	size_t chainlen;
	uint8_t pend[2048];
	size_t pendlen, pendoff;
	int ins[256];            /* commands seen per INS */
	int total;
	uint8_t last[300];       /* the last command, for byte checks */
	size_t lastlen;
	char seq[64];            /* INS sequence as letters, for flow checks */
	bool removed, reset_next, no_piv;
	int begins, ends;
} vcard;

static vcard C;

static EVP_CIPHER *des3(void)
{
	static EVP_CIPHER *c;

	if (c == NULL)
		c = EVP_CIPHER_fetch(NULL, "DES-EDE3-ECB", NULL);
	return c;
}

static void ecb(bool enc, const uint8_t *in, uint8_t *out)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0;

	assert_int_equal(1, EVP_CipherInit_ex2(x, des3(), MGMT, NULL, enc, NULL));
	EVP_CIPHER_CTX_set_padding(x, 0);
	assert_int_equal(1, EVP_CipherUpdate(x, out, &n, in, 8));
	EVP_CIPHER_CTX_free(x);
}

static size_t sw(uint8_t *r, size_t n, uint16_t s)
{
	r[n] = (uint8_t)(s >> 8);
	r[n + 1] = (uint8_t)s;
	return n + 2;
}

static bool pin_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 8) == 0;
}

/* 63Cx or, at zero, 6983. */
static uint16_t wrong(int *tries)
{
	if (*tries > 0)
		(*tries)--;
	return *tries == 0 ? 0x63C0 : (uint16_t)(0x63C0 | *tries);
}

static int slot_of(uint8_t ref)
{
	for (int i = 0; i < NK; i++)
		if (REFS[i] == ref)
			return i;
	return -1;
}

static uint16_t do_ga(uint8_t alg, uint8_t ref, const uint8_t *d, size_t n, uint8_t *out, size_t *ol)
{
	cid_tlv dyn, in, w, c;
	int k = slot_of(ref);
	size_t off = 0;

	if (cid_tlv_find(d, n, 0x7C, &dyn) != CKR_OK)
		return 0x6A80;
	if (ref == 0x9B) {
		uint8_t e[8], inner[24];
		size_t il = 0;

		if (alg != 0x03)
			return 0x6A86;
		if (cid_tlv_find(dyn.val, dyn.len, 0x80, &w) == CKR_OK && w.len == 0) {
			RAND_bytes(C.witness, 8);
			C.witness_out = true;
			ecb(true, C.witness, e);
			cid_tlv_put(inner, sizeof(inner), &il, 0x80, e, 8);
			cid_tlv_put(out, 64, &off, 0x7C, inner, il);
			*ol = off;
			return 0x9000;
		}
		if (!C.witness_out || cid_tlv_find(dyn.val, dyn.len, 0x80, &w) != CKR_OK || w.len != 8 ||
		    memcmp(w.val, C.witness, 8) != 0 || cid_tlv_find(dyn.val, dyn.len, 0x81, &c) != CKR_OK) {
			C.witness_out = false;
			return 0x6982;
		}
		C.witness_out = false;
		C.mgmt_ok = true;
		ecb(true, c.val, e);
		cid_tlv_put(inner, sizeof(inner), &il, 0x82, e, 8);
		cid_tlv_put(out, 64, &off, 0x7C, inner, il);
		*ol = off;
		return 0x9000;
	}
	if (k < 0 || C.key[k] == NULL)
		return 0x6A88;
	if (ref != 0x9E && !C.pin_ok)
		return 0x6982;
	if (ref == 0x9C && C.fresh_pin_for_9c) {
		if (!C.sign_ok)
			return 0x6982;
		C.sign_ok = false;
	}
	{
		uint8_t res[600], inner[620];
		size_t rl = sizeof(res), il = 0;
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(C.key[k], NULL);

		if (cid_tlv_find(dyn.val, dyn.len, 0x81, &in) == CKR_OK) {
			if (EVP_PKEY_get_base_id(C.key[k]) == EVP_PKEY_RSA) {
				assert_int_equal(1, EVP_PKEY_decrypt_init(pc));
				EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING);
				assert_int_equal(1, EVP_PKEY_decrypt(pc, res, &rl, in.val, in.len));
			} else {
				assert_int_equal(alg == 0x11 ? 32 : 48, in.len);
				assert_int_equal(1, EVP_PKEY_sign_init(pc));
				assert_int_equal(1, EVP_PKEY_sign(pc, res, &rl, in.val, in.len));
			}
		} else if (cid_tlv_find(dyn.val, dyn.len, 0x85, &in) == CKR_OK) {
			OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
			OSSL_PARAM *p;
			EVP_PKEY_CTX *fc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
			EVP_PKEY *peer = NULL;

			OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
			OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, in.val, in.len);
			p = OSSL_PARAM_BLD_to_param(b);
			assert_int_equal(1, EVP_PKEY_fromdata_init(fc));
			assert_int_equal(1, EVP_PKEY_fromdata(fc, &peer, EVP_PKEY_PUBLIC_KEY, p));
			assert_int_equal(1, EVP_PKEY_derive_init(pc));
			assert_int_equal(1, EVP_PKEY_derive_set_peer(pc, peer));
			assert_int_equal(1, EVP_PKEY_derive(pc, res, &rl));
			EVP_PKEY_free(peer);
			EVP_PKEY_CTX_free(fc);
			OSSL_PARAM_free(p);
			OSSL_PARAM_BLD_free(b);
		} else {
			EVP_PKEY_CTX_free(pc);
			return 0x6A80;
		}
		EVP_PKEY_CTX_free(pc);
		cid_tlv_put(inner, sizeof(inner), &il, 0x82, res, rl);
		cid_tlv_put(out, 700, &off, 0x7C, inner, il);
		*ol = off;
	}
	return 0x9000;
}

static uint16_t handle(uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *d, size_t n, uint8_t *out, size_t *ol)
{
	cid_tlv t, v;
	int k;

	*ol = 0;
	switch (ins) {
	case 0xA4:
		if (C.no_piv || n != 9 || memcmp(d, "\xA0\x00\x00\x03\x08\x00\x00\x10\x00", 9) != 0)
			return 0x6A82;
		C.pin_ok = C.sign_ok = C.mgmt_ok = false;
		memcpy(out, "\x61\x08\x4F\x06\x00\x00\x10\x00\x01\x00", 10);
		*ol = 10;
		return 0x9000;
	case 0xCB: {
		uint32_t tag = 0;
		const uint8_t *src = NULL;
		size_t sl = 0, off = 0;

		if (cid_tlv_find(d, n, 0x5C, &t) != CKR_OK)
			return 0x6A80;
		for (size_t i = 0; i < t.len; i++)
			tag = tag << 8 | t.val[i];
		if (tag == 0x5FC102) {
			src = C.chuid;
			sl = C.chuidlen;
		}
		for (k = 0; k < NK; k++)
			if (TAGS[k] == tag && C.obj[k] != NULL) {
				src = C.obj[k];
				sl = C.objlen[k];
			}
		if (src == NULL)
			return 0x6A82;
		cid_tlv_put(out, 4096, &off, 0x53, src, sl);
		*ol = off;
		return 0x9000;
	}
	case 0xDB: {
		uint32_t tag = 0;

		if (!C.mgmt_ok)
			return 0x6982;
		if (cid_tlv_find(d, n, 0x5C, &t) != CKR_OK || cid_tlv_find(d, n, 0x53, &v) != CKR_OK)
			return 0x6A80;
		for (size_t i = 0; i < t.len; i++)
			tag = tag << 8 | t.val[i];
		for (k = 0; k < NK && TAGS[k] != tag; k++)
			;
		if (k == NK)
			return 0x6A82;
		free(C.obj[k]);
		C.obj[k] = v.len ? malloc(v.len) : NULL;
		if (v.len)
			memcpy(C.obj[k], v.val, v.len);
		C.objlen[k] = v.len;
		return 0x9000;
	}
	case 0x20:
		if (p1 == 0xFF) {
			C.pin_ok = C.sign_ok = false;
			return 0x9000;
		}
		if (n == 0)
			return C.pin_ok ? 0x9000 : C.pin_tries == 0 ? 0x6983 : (uint16_t)(0x63C0 | C.pin_tries);
		if (C.pin_tries == 0)
			return 0x6983;
		if (n != 8 || !pin_eq(d, C.pin)) {
			C.pin_ok = false;
			return wrong(&C.pin_tries);
		}
		C.pin_tries = 3;
		C.pin_ok = C.sign_ok = true;
		return 0x9000;
	case 0x24: {
		uint8_t *cur = p2 == 0x80 ? C.pin : C.puk;
		int *tries = p2 == 0x80 ? &C.pin_tries : &C.puk_tries;

		if (n != 16)
			return 0x6700;
		if (*tries == 0)
			return 0x6983;
		if (!pin_eq(d, cur))
			return wrong(tries);
		*tries = 3;
		memcpy(cur, d + 8, 8);
		return 0x9000;
	}
	case 0x2C:
		if (n != 16)
			return 0x6700;
		if (C.puk_tries == 0)
			return 0x6983;
		if (!pin_eq(d, C.puk))
			return wrong(&C.puk_tries);
		C.puk_tries = 3;
		memcpy(C.pin, d + 8, 8);
		C.pin_tries = 3;
		return 0x9000;
	case 0x87:
		return do_ga(p1, p2, d, n, out, ol);
	case 0x47: {
		uint8_t pt[65], inner[80];
		size_t pl = 0, il = 0, off = 0;

		if (!C.mgmt_ok)
			return 0x6982;
		if ((k = slot_of(p2)) < 0)
			return 0x6A86;
		if (n != 5 || d[4] != 0x11)
			return 0x6A80;
		EVP_PKEY_free(C.key[k]);
		C.key[k] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		EVP_PKEY_get_octet_string_param(C.key[k], OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &pl);
		cid_tlv_put(inner, sizeof(inner), &il, 0x86, pt, pl);
		cid_tlv_put(out, 100, &off, 0x7F49, inner, il);
		*ol = off;
		return 0x9000;
	}
	case 0xF8:
		memcpy(out, "\x00\x12\xD6\x87", 4);   /* 1234567 */
		*ol = 4;
		return 0x9000;
	default:
		return 0x6D00;
	}
}

static CK_RV v_transmit(cid_card_io *io, const uint8_t *cmd, size_t cl, uint8_t *resp, size_t *rl)
{
	uint8_t out[4096];
	size_t ol = 0, n = 0, give;
	const uint8_t *d = NULL;
	uint16_t s;

	(void)io;
	assert_true(C.begins > C.ends);
	if (C.removed)
		return CKR_DEVICE_REMOVED;
	assert_true(cl >= 4);
	C.total++;
	C.ins[cmd[1]]++;
	if (strlen(C.seq) < sizeof(C.seq) - 1)
		C.seq[strlen(C.seq)] = (char)(cmd[1] == 0x87 ? 'G' : cmd[1] == 0x20 ? 'V' : cmd[1] == 0xA4 ? 'S' : '.');
	C.lastlen = cl < sizeof(C.last) ? cl : sizeof(C.last);
	memcpy(C.last, cmd, C.lastlen);
	if (cl > 5) {
		n = cmd[4];
		d = cmd + 5;
		assert_true(cl == 5 + n || cl == 6 + n);
	}
	if (cmd[1] == 0xC0) {
		give = C.pendlen - C.pendoff > 256 ? 256 : C.pendlen - C.pendoff;
		memcpy(resp, C.pend + C.pendoff, give);
		C.pendoff += give;
		*rl = sw(resp, give, C.pendlen - C.pendoff == 0 ? 0x9000 : C.pendlen - C.pendoff > 255 ? 0x6100 : (uint16_t)(0x6100 | (C.pendlen - C.pendoff)));
		return CKR_OK;
	}
	if (cmd[0] & 0x10) {
		memcpy(C.chain + C.chainlen, d, n);
		C.chainlen += n;
		*rl = sw(resp, 0, 0x9000);
		return CKR_OK;
	}
	if (C.chainlen) {
		memcpy(C.chain + C.chainlen, d, n);
		C.chainlen += n;
		d = C.chain;
		n = C.chainlen;
	}
	s = handle(cmd[1], cmd[2], cmd[3], d, n, out, &ol);
	C.chainlen = 0;
	if (ol > 256) {
		/* T=1 style: the first 256 bytes, then 61xx for the rest. */
		memcpy(C.pend, out, ol);
		C.pendlen = ol;
		C.pendoff = 256;
		memcpy(resp, out, 256);
		*rl = sw(resp, 256, (uint16_t)(0x6100 | ((ol - 256) > 255 ? 0 : (ol - 256))));
		return CKR_OK;
	}
	memcpy(resp, out, ol);
	*rl = sw(resp, ol, s);
	return CKR_OK;
}

static CK_RV v_begin(cid_card_io *io)
{
	if (C.removed)
		return CKR_DEVICE_REMOVED;
	if (C.reset_next) {
		/* Another process reset the card: the transport reconnects. */
		C.reset_next = false;
		C.pin_ok = C.sign_ok = C.mgmt_ok = false;
		io->resets++;
	}
	assert_int_equal(C.begins, C.ends);
	C.begins++;
	return CKR_OK;
}

static CK_RV v_end(cid_card_io *io)
{
	(void)io;
	C.ends++;
	return CKR_OK;
}

static void v_release(cid_card_io *io)
{
	(void)io;
}

static const struct cid_card_io_ops vops = { v_transmit, v_begin, v_end, v_release };

/* ---- fixtures ---------------------------------------------------------------- */

static uint8_t *make_cert(EVP_PKEY *k, const char *cn, size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	uint8_t *der = NULL;
	int n;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"careid test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, nm);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 730);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	X509_NAME_free(nm);
	X509_free(x);
	return der;
}

static void put_cert(int k, const char *cn)
{
	size_t dl = 0;
	uint8_t *der = make_cert(C.key[k], cn, &dl), *obj = NULL;
	size_t ol = 0;

	/* The card's object is the PIV wrapper: 70 der, 71 00, FE. */
	obj = malloc(dl + 16);
	cid_tlv_put(obj, dl + 16, &ol, 0x70, der, dl);
	cid_tlv_put(obj, dl + 16, &ol, 0x71, (const uint8_t *)"\x00", 1);
	cid_tlv_put(obj, dl + 16, &ol, 0xFE, NULL, 0);
	free(C.obj[k]);
	C.obj[k] = obj;
	C.objlen[k] = ol;
	OPENSSL_free(der);
}

static EVP_PKEY *ec9a, *ec9c, *rsa9d;

static int group_setup(void **state)
{
	(void)state;
	ec9a = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ec9c = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rsa9d = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return ec9a && ec9c && rsa9d ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(ec9a);
	EVP_PKEY_free(ec9c);
	EVP_PKEY_free(rsa9d);
	EVP_CIPHER_free(des3());
	return 0;
}

static void fill_block(uint8_t out[8], const char *s)
{
	memset(out, 0xFF, 8);
	memcpy(out, s, strlen(s));
}

/* A fresh card: PIN 123456, PUK 12345678, certificates in 9A, 9C, 9D. */
static int card_setup(void **state)
{
	(void)state;
	memset(&C, 0, sizeof(C));
	C.base.ops = &vops;
	fill_block(C.pin, "123456");
	fill_block(C.puk, "12345678");
	C.pin_tries = C.puk_tries = 3;
	C.chuidlen = 0;
	C.chuid[C.chuidlen++] = 0x34;
	C.chuid[C.chuidlen++] = 16;
	for (int i = 0; i < 16; i++)
		C.chuid[C.chuidlen++] = (uint8_t)(0xA0 + i);
	C.key[K9A] = ec9a;
	C.key[K9C] = ec9c;
	C.key[K9D] = rsa9d;
	EVP_PKEY_up_ref(ec9a);
	EVP_PKEY_up_ref(ec9c);
	EVP_PKEY_up_ref(rsa9d);
	put_cert(K9A, "123456789012");
	put_cert(K9C, "123456789012");
	put_cert(K9D, "123456789012");
	cid_card_cache_clear();
	return 0;
}

static int card_teardown(void **state)
{
	(void)state;
	for (int k = 0; k < NK; k++) {
		free(C.obj[k]);
		EVP_PKEY_free(C.key[k]);
	}
	assert_int_equal(C.begins, C.ends);
	cid_card_cache_clear();
	return 0;
}

/* ---- helpers ----------------------------------------------------------------- */

typedef struct objs {
	uint64_t id[32];
	cid_attrs a[32];
	size_t n;
} objs;

static CK_RV collect(void *ctx, uint64_t id, const cid_attrs *attrs)
{
	objs *o = ctx;

	assert_true(o->n < 32);
	assert_true(id != 0);
	o->id[o->n] = id;
	cid_attrs_init(&o->a[o->n]);
	assert_int_equal(CKR_OK, cid_attrs_copy(&o->a[o->n], attrs));
	o->n++;
	return CKR_OK;
}

static void objs_free(objs *o)
{
	for (size_t i = 0; i < o->n; i++)
		cid_attrs_clear(&o->a[i]);
	o->n = 0;
}

static const cid_attrs *find_obj(const objs *o, CK_OBJECT_CLASS cls, uint8_t id)
{
	for (size_t i = 0; i < o->n; i++) {
		CK_ULONG c = 0;
		const CK_ATTRIBUTE *a = cid_attrs_get(&o->a[i], CKA_ID);

		if (cid_attrs_ulong(&o->a[i], CKA_CLASS, &c) == CKR_OK && c == cls && a != NULL &&
		    a->ulValueLen == 1 && ((const uint8_t *)a->pValue)[0] == id)
			return &o->a[i];
	}
	return NULL;
}

static uint64_t priv_id(uint8_t ref)
{
	return ((uint64_t)ref << 8) | 3;
}

static cid_token *open_card(void)
{
	cid_token *t = NULL;

	assert_int_equal(CKR_OK, cid_card_token_open(&C.base, &t));
	return t;
}

static CK_RV login(cid_token *t, CK_USER_TYPE who, const char *pin)
{
	return t->ops->login(t, who, (const CK_UTF8CHAR *)pin, (CK_ULONG)strlen(pin));
}

static CK_FLAGS flags(cid_token *t)
{
	cid_token_status st;

	assert_int_equal(CKR_OK, t->ops->status(t, &st));
	return st.flags;
}

/* r||s back to DER, then OpenSSL verifies. */
static int ecdsa_ok(EVP_PKEY *k, const uint8_t *h, size_t hl, const uint8_t *rs, size_t fb)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	uint8_t *der = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	int n, r;

	ECDSA_SIG_set0(sig, BN_bin2bn(rs, (int)fb, NULL), BN_bin2bn(rs + fb, (int)fb, NULL));
	n = i2d_ECDSA_SIG(sig, &der);
	EVP_PKEY_verify_init(c);
	r = EVP_PKEY_verify(c, der, (size_t)n, h, hl);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(c);
	return r;
}

/* ---- tests -------------------------------------------------------------------- */

static void test_open_selects_only(void **state)
{
	cid_token *t;

	(void)state;
	t = open_card();
	assert_int_equal(1, C.total);
	assert_int_equal(1, C.ins[0xA4]);
	t->ops->release(t);
}

static void test_not_piv(void **state)
{
	cid_token *t = NULL;

	(void)state;
	C.no_piv = true;
	assert_int_equal(CKR_TOKEN_NOT_RECOGNIZED, cid_card_token_open(&C.base, &t));
	assert_null(t);
	assert_int_equal(1, C.total);
	C.no_piv = false;
	C.removed = true;
	assert_int_equal(CKR_TOKEN_NOT_PRESENT, cid_card_token_open(&C.base, &t));
	assert_null(t);
}

static void test_objects_and_cache(void **state)
{
	cid_token *t = open_card(), *t2;
	objs o = { .n = 0 };
	const cid_attrs *a;
	cid_token_status st;
	int gets;

	(void)state;
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	assert_int_equal(9, o.n);   /* 3 slots x (certificate, public, private) */
	for (uint8_t id = 1; id <= 3; id++) {
		assert_non_null(find_obj(&o, CKO_CERTIFICATE, id));
		assert_non_null(find_obj(&o, CKO_PUBLIC_KEY, id));
		assert_non_null(find_obj(&o, CKO_PRIVATE_KEY, id));
	}
	assert_null(find_obj(&o, CKO_CERTIFICATE, 4));
	a = find_obj(&o, CKO_PRIVATE_KEY, 2);
	assert_true(cid_attrs_bool(a, CKA_ALWAYS_AUTHENTICATE, false));
	assert_true(cid_attrs_bool(a, CKA_PRIVATE, false));
	assert_true(cid_attrs_bool(a, CKA_SENSITIVE, false));
	assert_false(cid_attrs_bool(a, CKA_EXTRACTABLE, true));
	assert_false(cid_attrs_bool(a, CKA_DECRYPT, true));
	assert_true(cid_attrs_bool(a, CKA_DERIVE, false));
	assert_null(cid_attrs_get(a, CKA_VALUE));     /* no private material */
	assert_non_null(cid_attrs_get(a, CKA_EC_POINT));
	assert_int_equal(0x9C, *(const uint8_t *)cid_attrs_get(a, CKA_CAREID_KEY_REF)->pValue);
	a = find_obj(&o, CKO_PRIVATE_KEY, 1);
	assert_false(cid_attrs_bool(a, CKA_ALWAYS_AUTHENTICATE, true));
	a = find_obj(&o, CKO_PRIVATE_KEY, 3);
	assert_true(cid_attrs_bool(a, CKA_DECRYPT, false));
	assert_null(cid_attrs_get(a, CKA_PRIVATE_EXPONENT));
	assert_non_null(cid_attrs_get(a, CKA_MODULUS));
	a = find_obj(&o, CKO_CERTIFICATE, 1);
	assert_false(cid_attrs_bool(a, CKA_PRIVATE, true));
	assert_non_null(cid_attrs_get(a, CKA_SUBJECT));
	assert_non_null(cid_attrs_get(a, CKA_VALUE));
	a = find_obj(&o, CKO_PUBLIC_KEY, 1);
	assert_false(cid_attrs_bool(a, CKA_PRIVATE, true));
	objs_free(&o);

	/* P13: the label is the UUID from the 9A certificate. */
	assert_int_equal(CKR_OK, t->ops->status(t, &st));
	assert_memory_equal("123456789012    ", st.label, 16);
	assert_memory_equal("1234567 ", st.serial, 8);
	assert_int_equal(6, st.min_pin_len);
	assert_int_equal(8, st.max_pin_len);
	assert_true(st.flags & CKF_LOGIN_REQUIRED);
	assert_false(st.flags & CKF_RNG);
	assert_null(t->ops->random);

	/* Listing again reads nothing from the card. */
	gets = C.ins[0xCB];
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	assert_int_equal(9, o.n);
	assert_int_equal(gets, C.ins[0xCB]);
	objs_free(&o);
	t->ops->release(t);

	/* The same card opened again: only its identity (CHUID) is read. */
	t2 = open_card();
	assert_int_equal(CKR_OK, t2->ops->load_objects(t2, collect, &o));
	assert_int_equal(9, o.n);
	assert_int_equal(gets + 1, C.ins[0xCB]);
	objs_free(&o);
	t2->ops->release(t2);
}

static void test_implausible_pin_sends_nothing(void **state)
{
	cid_token *t = open_card();
	int before = C.total;

	(void)state;
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "12ab56"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "12345"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "123456789"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_SO, "1234567x"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_CONTEXT_SPECIFIC, ""));
	assert_int_equal(before, C.total);
	assert_int_equal(3, C.pin_tries);
	t->ops->release(t);
}

static void test_tries_and_lockout(void **state)
{
	cid_token *t = open_card();
	CK_FLAGS f;

	(void)state;
	f = flags(t);
	assert_false(f & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "654321"));
	f = flags(t);
	assert_true(f & CKF_USER_PIN_COUNT_LOW);
	assert_false(f & CKF_USER_PIN_FINAL_TRY);
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "654321"));
	f = flags(t);
	assert_true(f & CKF_USER_PIN_FINAL_TRY);
	assert_int_equal(CKR_PIN_LOCKED, login(t, CKU_USER, "654321"));
	assert_true(flags(t) & CKF_USER_PIN_LOCKED);
	/* Even the right passcode now meets 6983. */
	assert_int_equal(CKR_PIN_LOCKED, login(t, CKU_USER, "123456"));
	t->ops->release(t);

	/* A fresh token learns the state from the card without spending a try. */
	t = open_card();
	assert_true(flags(t) & CKF_USER_PIN_LOCKED);
	assert_int_equal(0, C.pin_tries);
	t->ops->release(t);
}

static void test_so_unblock(void **state)
{
	cid_token *t = open_card();
	static const uint8_t want[] = { 0x00, 0x2C, 0x00, 0x80, 0x10, '1', '2', '3', '4', '5', '6', '7', '8',
		                        '2', '4', '6', '8', '1', '0', 0xFF, 0xFF };

	(void)state;
	C.pin_tries = 0;
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->init_pin(t, (const CK_UTF8CHAR *)"246810", 6));
	/* Wrong PUK: costs a PUK try, reported as such. */
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_SO, "87654321"));
	assert_int_equal(2, C.puk_tries);
	assert_true(flags(t) & CKF_SO_PIN_COUNT_LOW);
	assert_int_equal(CKR_OK, login(t, CKU_SO, "12345678"));
	assert_int_equal(0x24, C.last[1]);
	assert_int_equal(0x81, C.last[3]);
	assert_memory_equal(C.last + 5, C.last + 13, 8);   /* old == new */
	assert_int_equal(3, C.puk_tries);
	/* P1 on the new passcode, on the host. */
	{
		int before = C.total;

		assert_int_equal(CKR_PIN_LEN_RANGE, t->ops->init_pin(t, (const CK_UTF8CHAR *)"12345", 5));
		assert_int_equal(CKR_PIN_INVALID, t->ops->init_pin(t, (const CK_UTF8CHAR *)"12345a", 6));
		assert_int_equal(before, C.total);
	}
	assert_int_equal(CKR_OK, t->ops->init_pin(t, (const CK_UTF8CHAR *)"246810", 6));
	assert_int_equal(sizeof(want), C.lastlen);
	assert_memory_equal(want, C.last, sizeof(want));
	assert_int_equal(3, C.pin_tries);
	assert_false(flags(t) & CKF_USER_PIN_LOCKED);
	assert_int_equal(CKR_OK, t->ops->logout(t));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->init_pin(t, (const CK_UTF8CHAR *)"246810", 6));
	assert_int_equal(CKR_OK, login(t, CKU_USER, "246810"));
	t->ops->release(t);
}

static void test_set_pin(void **state)
{
	cid_token *t = open_card();
	int before = C.total;

	(void)state;
	assert_int_equal(CKR_PIN_INVALID, t->ops->set_pin(t, CKU_USER, (const CK_UTF8CHAR *)"123456", 6,
	                                                  (const CK_UTF8CHAR *)"123456", 6));
	assert_int_equal(CKR_PIN_LEN_RANGE, t->ops->set_pin(t, CKU_USER, (const CK_UTF8CHAR *)"123456", 6,
	                                                    (const CK_UTF8CHAR *)"1234", 4));
	assert_int_equal(before, C.total);
	assert_int_equal(CKR_PIN_INCORRECT, t->ops->set_pin(t, CKU_USER, (const CK_UTF8CHAR *)"111111", 6,
	                                                    (const CK_UTF8CHAR *)"222222", 6));
	assert_int_equal(2, C.pin_tries);
	assert_int_equal(CKR_OK, t->ops->set_pin(t, CKU_USER, (const CK_UTF8CHAR *)"123456", 6,
	                                         (const CK_UTF8CHAR *)"22223333", 8));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "123456"));
	assert_int_equal(CKR_OK, login(t, CKU_USER, "22223333"));
	assert_int_equal(CKR_OK, t->ops->set_pin(t, CKU_SO, (const CK_UTF8CHAR *)"12345678", 8,
	                                         (const CK_UTF8CHAR *)"87654321", 8));
	assert_int_equal(CKR_TOKEN_WRITE_PROTECTED, t->ops->init_token(t, (const CK_UTF8CHAR *)"87654321", 8,
	                                                               (const CK_UTF8CHAR *)"x"));
	t->ops->release(t);
}

static void test_ecdsa_sign(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32], h48[48], rs[96];
	size_t rl = sizeof(rs);

	(void)state;
	memset(h, 0x5A, sizeof(h));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	/* Size query first, nothing sent. */
	{
		int before = C.total;

		rl = 0;
		assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, NULL, &rl));
		assert_int_equal(64, rl);
		rl = 10;
		assert_int_equal(CKR_BUFFER_TOO_SMALL, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
		assert_int_equal(before, C.total);
	}
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(64, rl);
	assert_int_equal(1, ecdsa_ok(ec9a, h, 32, rs, 32));
	rs[5] ^= 1;
	assert_int_not_equal(1, ecdsa_ok(ec9a, h, 32, rs, 32));
	/* A SHA-384 hash on P-256: its leftmost 32 bytes are signed. */
	memset(h48, 0x33, sizeof(h48));
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h48, 48, rs, &rl));
	assert_int_equal(1, ecdsa_ok(ec9a, h48, 32, rs, 32));
	/* Wrong kind for the key, unknown object. */
	rl = sizeof(rs);
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, t->ops->key_op(t, priv_id(0x9A), CID_EXT_RSA_RAW, h, 32, rs, &rl));
	assert_int_equal(CKR_KEY_HANDLE_INVALID, t->ops->key_op(t, priv_id(0x9E), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(CKR_KEY_HANDLE_INVALID, t->ops->key_op(t, 0x9A01, CID_EXT_ECDSA, h, 32, rs, &rl));
	t->ops->release(t);
}

static void test_context_specific(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32], rs[64];
	size_t rl = sizeof(rs);
	int v;

	(void)state;
	C.fresh_pin_for_9c = true;
	memset(h, 0x11, sizeof(h));
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	C.sign_ok = false;
	/* Without the context login the card refuses, and we say so. */
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->key_op(t, priv_id(0x9C), CID_EXT_ECDSA, h, 32, rs, &rl));
	/* A wrong passcode is reported at C_Login time. */
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_CONTEXT_SPECIFIC, "999999"));
	/* Context login: VERIFY now, then the signature. */
	v = C.ins[0x20];
	assert_int_equal(CKR_OK, login(t, CKU_CONTEXT_SPECIFIC, "123456"));
	assert_int_equal(v + 1, C.ins[0x20]);
	memset(C.seq, 0, sizeof(C.seq));
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9C), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_string_equal("G", C.seq);
	assert_int_equal(1, ecdsa_ok(ec9c, h, 32, rs, 32));
	/* The authorisation was for one signature. */
	rl = sizeof(rs);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->key_op(t, priv_id(0x9C), CID_EXT_ECDSA, h, 32, rs, &rl));
	/* The card forgot in between (e.g. another application signed):
	 * VERIFY again right before the retried GENERAL AUTHENTICATE. */
	assert_int_equal(CKR_OK, login(t, CKU_CONTEXT_SPECIFIC, "123456"));
	C.sign_ok = false;
	memset(C.seq, 0, sizeof(C.seq));
	v = C.begins;
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9C), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_string_equal("GVG", C.seq);
	assert_int_equal(v + 1, C.begins);   /* one transaction */
	assert_int_equal(1, ecdsa_ok(ec9c, h, 32, rs, 32));
	t->ops->release(t);
}

static void test_rsa_raw_and_ecdh(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32], di[64], em[256], sig[256], pt[65], x[32], want[32];
	size_t dl = 0, sl = sizeof(sig), pl = 0, xl = sizeof(x), wl = sizeof(want);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY_CTX *dc = EVP_PKEY_CTX_new(peer, NULL);
	static const uint8_t msg[] = "sign me";

	(void)state;
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	/* RSA-2048: a 256-byte block goes in chained, comes back via 61xx. */
	EVP_Digest(msg, sizeof(msg), h, NULL, EVP_sha256(), NULL);
	assert_int_equal(CKR_OK, cid_rsa_digest_info(CKM_SHA256, h, 32, di, sizeof(di), &dl));
	assert_int_equal(CKR_OK, cid_rsa_pkcs1_sign_pad(di, dl, em, sizeof(em)));
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9D), CID_EXT_RSA_RAW, em, 256, sig, &sl));
	assert_int_equal(256, sl);
	assert_int_equal(1, EVP_DigestVerifyInit_ex(m, NULL, "SHA256", NULL, NULL, rsa9d, NULL));
	assert_int_equal(1, EVP_DigestVerify(m, sig, sl, msg, sizeof(msg)));
	sl = sizeof(sig);
	assert_int_equal(CKR_DATA_LEN_RANGE, t->ops->key_op(t, priv_id(0x9D), CID_EXT_RSA_RAW, em, 255, sig, &sl));

	/* ECDH: the card's X equals the peer's view of the secret. */
	EVP_PKEY_get_octet_string_param(peer, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &pl);
	assert_int_equal(65, pl);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDH, pt, pl, x, &xl));
	assert_int_equal(32, xl);
	EVP_PKEY_derive_init(dc);
	EVP_PKEY_derive_set_peer(dc, ec9a);
	assert_int_equal(1, EVP_PKEY_derive(dc, want, &wl));
	assert_memory_equal(want, x, 32);
	pt[0] = 0x02;
	xl = sizeof(x);
	assert_int_equal(CKR_DATA_INVALID, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDH, pt, pl, x, &xl));
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_free(peer);
	EVP_MD_CTX_free(m);
	t->ops->release(t);
}

static CK_RV cert_attrs(cid_attrs *a, EVP_PKEY *k, uint8_t id)
{
	size_t dl = 0;
	uint8_t *der = make_cert(k, "210987654321", &dl);
	CK_RV rv;

	cid_attrs_init(a);
	cid_attrs_set_ulong(a, CKA_CLASS, CKO_CERTIFICATE);
	cid_attrs_set_ulong(a, CKA_CERTIFICATE_TYPE, CKC_X_509);
	cid_attrs_set(a, CKA_ID, &id, 1);
	rv = cid_attrs_set(a, CKA_VALUE, der, (CK_ULONG)dl);
	OPENSSL_free(der);
	return rv;
}

static void test_admin_certificates(void **state)
{
	cid_token *t = open_card();
	EVP_PKEY *k9e = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t wrong_key[24] = { 0 };
	cid_attrs a, bad = CID_ATTRS_INIT;
	objs o = { .n = 0 };
	uint64_t id = 0;
	bool changed = true;

	(void)state;
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	objs_free(&o);
	assert_int_equal(CKR_OK, t->ops->changed(t, &changed));
	assert_false(changed);
	assert_int_equal(CKR_OK, cert_attrs(&a, k9e, 4));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->create_object(t, &a, &id));
	assert_int_equal(CKR_PIN_INCORRECT, t->ops->login(t, CKU_CAREID_CARD_ADMIN, wrong_key, sizeof(wrong_key)));
	assert_int_equal(CKR_PIN_LEN_RANGE, t->ops->login(t, CKU_CAREID_CARD_ADMIN, MGMT, 20));
	assert_int_equal(CKR_OK, t->ops->login(t, CKU_CAREID_CARD_ADMIN, MGMT, sizeof(MGMT)));
	assert_true(C.mgmt_ok);
	assert_int_equal(CKR_OK, t->ops->create_object(t, &a, &id));
	assert_int_equal((0x9E << 8) | 1, id);
	assert_non_null(C.obj[K9E]);
	assert_int_equal(CKR_OK, t->ops->changed(t, &changed));
	assert_true(changed);
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	assert_int_equal(12, o.n);
	assert_non_null(find_obj(&o, CKO_PRIVATE_KEY, 4));
	objs_free(&o);
	/* Only certificates, only in the four slots. */
	cid_attrs_set_ulong(&bad, CKA_CLASS, CKO_DATA);
	assert_int_equal(CKR_TEMPLATE_INCONSISTENT, t->ops->create_object(t, &bad, &id));
	cid_attrs_clear(&a);
	assert_int_equal(CKR_OK, cert_attrs(&a, k9e, 7));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, t->ops->create_object(t, &a, &id));
	/* Keys cannot be destroyed; certificates can. */
	assert_int_equal(CKR_ACTION_PROHIBITED, t->ops->destroy_object(t, priv_id(0x9E)));
	assert_int_equal(CKR_OK, t->ops->destroy_object(t, (0x9E << 8) | 1));
	assert_null(C.obj[K9E]);
	assert_int_equal(CKR_OBJECT_HANDLE_INVALID, t->ops->destroy_object(t, (0x9E << 8) | 1));
	assert_int_equal(CKR_ACTION_PROHIBITED, t->ops->update_object(t, (0x9A << 8) | 1, &a));
	/* Logout forgets the management key. */
	assert_int_equal(CKR_OK, t->ops->logout(t));
	assert_int_equal(0xFF, C.last[2]);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->destroy_object(t, (0x9A << 8) | 1));
	cid_attrs_clear(&a);
	cid_attrs_clear(&bad);
	EVP_PKEY_free(k9e);
	t->ops->release(t);
}

static void test_generate(void **state)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	cid_token *t = open_card();
	cid_attrs pub = CID_ATTRS_INIT, priv = CID_ATTRS_INIT;
	uint64_t pid = 0, kid = 0;
	uint8_t id = 4, h[32], rs[64];
	size_t rl = sizeof(rs);
	objs o = { .n = 0 };

	(void)state;
	cid_attrs_set(&pub, CKA_EC_PARAMS, p256, sizeof(p256));
	cid_attrs_set(&priv, CKA_ID, &id, 1);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN,
	                 t->ops->generate_keypair(t, CKM_EC_KEY_PAIR_GEN, &pub, &priv, &pid, &kid));
	assert_int_equal(0, C.ins[0x47]);
	assert_int_equal(CKR_OK, t->ops->login(t, CKU_CAREID_CARD_ADMIN, MGMT, sizeof(MGMT)));
	assert_int_equal(CKR_MECHANISM_INVALID,
	                 t->ops->generate_keypair(t, CKM_AES_KEY_GEN, &pub, &priv, &pid, &kid));
	assert_int_equal(CKR_OK, t->ops->generate_keypair(t, CKM_EC_KEY_PAIR_GEN, &pub, &priv, &pid, &kid));
	assert_int_equal(1, C.ins[0x47]);
	assert_int_equal((0x9E << 8) | 2, pid);
	assert_int_equal((0x9E << 8) | 3, kid);
	assert_non_null(cid_attrs_get(&pub, CKA_EC_POINT));
	assert_non_null(cid_attrs_get(&priv, CKA_EC_POINT));
	assert_int_equal(0x9E, *(const uint8_t *)cid_attrs_get(&priv, CKA_CAREID_KEY_REF)->pValue);
	/* The new key is listed (no certificate yet) and works. */
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	assert_non_null(find_obj(&o, CKO_PUBLIC_KEY, 4));
	assert_true(cid_attrs_bool(find_obj(&o, CKO_PRIVATE_KEY, 4), CKA_LOCAL, false));
	assert_null(find_obj(&o, CKO_CERTIFICATE, 4));
	objs_free(&o);
	memset(h, 7, sizeof(h));
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9E), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(1, ecdsa_ok(C.key[K9E], h, 32, rs, 32));
	cid_attrs_clear(&pub);
	cid_attrs_clear(&priv);
	t->ops->release(t);
}

static void test_removal(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32] = { 0 }, rs[64];
	size_t rl = sizeof(rs);
	cid_token_status st;
	int before;

	(void)state;
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	C.removed = true;
	assert_int_equal(CKR_DEVICE_REMOVED, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	C.removed = false;   /* even if the transport recovered: a pulled card stays pulled */
	before = C.total;
	assert_int_equal(CKR_DEVICE_REMOVED, t->ops->status(t, &st));
	assert_int_equal(CKR_DEVICE_REMOVED, login(t, CKU_USER, "123456"));
	assert_int_equal(before, C.total);
	assert_int_equal(CKR_OK, t->ops->logout(t));
	t->ops->release(t);
}

static void test_reset_by_another_process(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32] = { 0 }, rs[64];
	size_t rl = sizeof(rs);
	int selects;

	(void)state;
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	C.reset_next = true;
	selects = C.ins[0xA4];
	/* The login is gone with the reset: reported, not hidden. */
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(selects + 1, C.ins[0xA4]);
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	/* Nobody logged in: a reset is handled silently (SELECT again). */
	assert_int_equal(CKR_OK, t->ops->logout(t));
	C.reset_next = true;
	selects = C.ins[0xA4];
	assert_true(flags(t) & CKF_TOKEN_INITIALIZED);
	assert_int_equal(selects + 1, C.ins[0xA4]);
	t->ops->release(t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, card_setup, card_teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_selects_only),
		T(test_not_piv),
		T(test_objects_and_cache),
		T(test_implausible_pin_sends_nothing),
		T(test_tries_and_lockout),
		T(test_so_unblock),
		T(test_set_pin),
		T(test_ecdsa_sign),
		T(test_context_specific),
		T(test_rsa_raw_and_ecdh),
		T(test_admin_certificates),
		T(test_generate),
		T(test_removal),
		T(test_reset_by_another_process),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
