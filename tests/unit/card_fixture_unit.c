#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/x509.h>

#include "card_fixture_unit.h"

vcard_io V;
const uint8_t MGMT[24] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8 };

/* The issued card (template) and the one each test changes (work). */
static char dir[64], template_path[96], work_path[96];

uint8_t *make_cert(EVP_PKEY *k, const char *cn, size_t *len)
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

/* The fresh card keeps its RSA key in 9A; the tests want one key of each
 * use, so that key and its certificate move to 9D and 9A gets a P-256 key
 * (as a card whose authentication key is EC would have). */
static int personalise(struct vc_state *st)
{
	struct vc_key *k = vc_key_get(st, 0x9A);
	const struct vc_obj *o = vc_obj_get(st, TAG_CERT_9A);
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	uint8_t *der;
	size_t dl = 0;
	int rc;

	if (k == NULL || o == NULL || ec == NULL || vc_key_get(st, 0x9D) != NULL ||
	    vc_obj_set(st, TAG_CERT_9D, o->data, o->len) != 0 || vc_obj_set(st, TAG_CERT_9A, NULL, 0) != 0) {
		EVP_PKEY_free(ec);
		return -1;
	}
	k->slot = 0x9D;
	k->pin_policy = piv_default_pin_policy(0x9D);
	k = vc_key_slot(st, 0x9A);
	if (k == NULL) {
		EVP_PKEY_free(ec);
		return -1;
	}
	k->pkey = ec;
	k->alg = piv_alg_of(ec);
	k->pin_policy = piv_default_pin_policy(0x9A);
	k->origin = ORIGIN_IMPORTED;
	der = make_cert(ec, "123456789012", &dl);
	rc = vc_cert_object(st, TAG_CERT_9A, der, dl, false);
	OPENSSL_free(der);
	return rc;
}

int card_group_setup(void **state)
{
	struct vc_fresh_opts o = { .uuid = "123456789012", .serial = 1234567 };
	struct vc_state st;
	int rc;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", "/tmp/careid-unit-card.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(template_path, sizeof(template_path), "%s/issued", dir);
	snprintf(work_path, sizeof(work_path), "%s/in-reader", dir);
	vc_state_init(&st, template_path);
	rc = vc_fresh_card(&st, &o) == 0 && personalise(&st) == 0 && vc_state_save(&st) == 0 ? 0 : -1;
	vc_state_free(&st);
	return rc;
}

int card_group_teardown(void **state)
{
	(void)state;
	unlink(work_path);
	unlink(template_path);
	return rmdir(dir) == 0 ? 0 : -1;
}

int card_setup(void **state)
{
	(void)state;
	cid_card_cache_clear();
	return vcard_io_open(&V, template_path, work_path);
}

int card_teardown(void **state)
{
	(void)state;
	assert_int_equal(V.begins, V.ends);
	cid_card_cache_clear();
	vcard_io_close(&V);
	return 0;
}

struct vc_state *chip(void)
{
	return &V.card->st;
}

struct vc_session *chip_session(void)
{
	return &V.card->ss;
}

EVP_PKEY *chip_key(uint8_t slot)
{
	struct vc_key *k = vc_key_get(&V.card->st, slot);

	return k != NULL ? k->pkey : NULL;
}

const struct vc_obj *chip_obj(uint32_t tag)
{
	return vc_obj_get(&V.card->st, tag);
}

CK_RV collect(void *ctx, uint64_t id, const cid_attrs *attrs)
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

void objs_free(objs *o)
{
	for (size_t i = 0; i < o->n; i++)
		cid_attrs_clear(&o->a[i]);
	o->n = 0;
}

const cid_attrs *find_obj(const objs *o, CK_OBJECT_CLASS cls, uint8_t id)
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

uint64_t priv_id(uint8_t ref)
{
	return ((uint64_t)ref << 8) | 3;
}

cid_token *open_card(void)
{
	cid_token *t = NULL;

	assert_int_equal(CKR_OK, cid_card_token_open(&V.base, &t));
	return t;
}

CK_RV login(cid_token *t, CK_USER_TYPE who, const char *pin)
{
	return t->ops->login(t, who, (const CK_UTF8CHAR *)pin, (CK_ULONG)strlen(pin));
}

CK_FLAGS flags(cid_token *t)
{
	cid_token_status st;

	assert_int_equal(CKR_OK, t->ops->status(t, &st));
	return st.flags;
}

/* r||s back to DER, then OpenSSL verifies. */
int ecdsa_ok(EVP_PKEY *k, const uint8_t *h, size_t hl, const uint8_t *rs, size_t fb)
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
