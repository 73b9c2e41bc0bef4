/* The in-memory token backend (mock_backend.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "mock_backend.h"

#define EXPORT __attribute__((visibility("default")))

/* ---- failure rules -------------------------------------------------------- */

enum {
#define X(n) OP_##n,
	MOCK_OPS(X)
#undef X
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
#define X(n) #n,
	MOCK_OPS(X)
#undef X
};

static struct {
	bool armed, every;
	unsigned countdown;
	CK_RV rv;
} rules[OP_COUNT];
static unsigned long calls[OP_COUNT];

static int op_index(const char *name)
{
	for (int i = 0; name != NULL && i < OP_COUNT; i++)
		if (strcmp(op_names[i], name) == 0)
			return i;
	return -1;
}

/* Every operation starts here: counted, and failed when a rule says so. */
static CK_RV inject(int op)
{
	calls[op]++;
	if (!rules[op].armed)
		return CKR_OK;
	if (rules[op].every)
		return rules[op].rv;
	if (--rules[op].countdown > 0)
		return CKR_OK;
	rules[op].armed = false;
	return rules[op].rv;
}

EXPORT int careid_mock_fail(const char *op, unsigned nth, CK_RV rv)
{
	int i = op_index(op);

	if (i < 0)
		return -1;
	rules[i].armed = true;
	rules[i].every = nth == 0;
	rules[i].countdown = nth;
	rules[i].rv = rv;
	return 0;
}

EXPORT unsigned long careid_mock_calls(const char *op)
{
	int i = op_index(op);

	return i < 0 ? ~0UL : calls[i];
}

/* ---- token state ---------------------------------------------------------- */

typedef struct mock_obj {
	uint64_t id;
	cid_attrs attrs;
	EVP_PKEY *pkey;   /* the private half of a generated pair */
} mock_obj;

typedef struct mock_place {
	bool used, free_place, initialized, user_pin_set;
	char key[32];
	CK_UTF8CHAR label[32];
	char so_pin[64], user_pin[64];
	size_t so_len, user_len;
	unsigned so_tries, user_tries;
	/* The device's own authentication, as a card's verified PIN. */
	CK_USER_TYPE auth;
	mock_obj *objs;
	size_t nobjs;
	uint64_t next_id;
} mock_place;

#define MAX_PLACES 16
#define NO_AUTH ((CK_USER_TYPE)-1)

static mock_place places[MAX_PLACES];
static unsigned created_tokens;
static bool keys_on_host;

typedef struct mock_token {
	cid_token base;
	mock_place *pl;
} mock_token;

typedef struct mock_provider {
	cid_provider base;
} mock_provider;

static void obj_free(mock_obj *o)
{
	cid_attrs_clear(&o->attrs);
	EVP_PKEY_free(o->pkey);
	o->pkey = NULL;
}

static void objs_clear(mock_place *pl)
{
	for (size_t i = 0; i < pl->nobjs; i++)
		obj_free(&pl->objs[i]);
	free(pl->objs);
	pl->objs = NULL;
	pl->nobjs = 0;
}

static void blank(CK_UTF8CHAR *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	memset(dst, ' ', n);
	memcpy(dst, src, len < n ? len : n);
}

static void place_init_token(mock_place *pl, const char *key, const CK_UTF8CHAR label[32], const char *so,
                             size_t so_len)
{
	pl->used = true;
	pl->free_place = false;
	pl->initialized = true;
	pl->user_pin_set = false;
	if (key != pl->key)
		snprintf(pl->key, sizeof(pl->key), "%s", key);
	memcpy(pl->label, label, sizeof(pl->label));
	memcpy(pl->so_pin, so, so_len);
	pl->so_len = so_len;
	pl->so_tries = pl->user_tries = MOCK_TRIES;
	pl->auth = NO_AUTH;
	pl->next_id = 1;
}

static void state_free(void)
{
	for (size_t i = 0; i < MAX_PLACES; i++)
		objs_clear(&places[i]);
	memset(places, 0, sizeof(places));
}

EXPORT void careid_mock_reset(void)
{
	const char *env = getenv("CAREID_MOCK_TOKENS");
	unsigned n = env != NULL ? (unsigned)strtoul(env, NULL, 10) : 2;

	if (n < 1 || n > 4)
		n = 2;
	memset(rules, 0, sizeof(rules));
	memset(calls, 0, sizeof(calls));
	keys_on_host = false;
	state_free();
	created_tokens = 0;
	for (unsigned i = 0; i < n; i++) {
		char key[16], label[16];
		CK_UTF8CHAR lab[32];

		snprintf(key, sizeof(key), "mock-%c", 'a' + i);
		snprintf(label, sizeof(label), "mock-%c", 'a' + i);
		blank(lab, sizeof(lab), label);
		place_init_token(&places[i], key, lab, MOCK_SO_PIN, strlen(MOCK_SO_PIN));
		memcpy(places[i].user_pin, MOCK_USER_PIN, strlen(MOCK_USER_PIN));
		places[i].user_len = strlen(MOCK_USER_PIN);
		places[i].user_pin_set = true;
	}
	places[n].used = true;
	places[n].free_place = true;
	snprintf(places[n].key, sizeof(places[n].key), "free");
}

EXPORT void careid_mock_keys_on_host(bool on)
{
	keys_on_host = on;
}

EXPORT void careid_mock_forget_login(void)
{
	for (size_t i = 0; i < MAX_PLACES; i++)
		if (places[i].auth == CKU_USER)
			places[i].auth = NO_AUTH;
}

/* The module is linked with -z nodelete, so this runs at exit: the test's
 * leak check sees no token state left. */
__attribute__((constructor)) static void state_start(void)
{
	careid_mock_reset();
}

__attribute__((destructor)) static void state_end(void)
{
	state_free();
}

static mock_place *tok_place(cid_token *t)
{
	return ((mock_token *)t)->pl;
}

static mock_obj *find_obj(mock_place *pl, uint64_t id)
{
	for (size_t i = 0; i < pl->nobjs; i++)
		if (pl->objs[i].id == id)
			return &pl->objs[i];
	return NULL;
}

/* ---- token operations ----------------------------------------------------- */

static CK_RV m_status(cid_token *t, cid_token_status *st)
{
	mock_place *pl = tok_place(t);
	CK_RV rv = inject(OP_status);

	if (rv != CKR_OK)
		return rv;
	memset(st, 0, sizeof(*st));
	memcpy(st->label, pl->label, sizeof(st->label));
	blank(st->manufacturer, sizeof(st->manufacturer), "careid tests");
	blank(st->model, sizeof(st->model), "mock");
	blank(st->serial, sizeof(st->serial), pl->key);
	st->flags = CKF_LOGIN_REQUIRED;
	if (pl->initialized)
		st->flags |= CKF_TOKEN_INITIALIZED;
	if (pl->user_pin_set)
		st->flags |= CKF_USER_PIN_INITIALIZED;
	if (pl->user_tries == 0)
		st->flags |= CKF_USER_PIN_LOCKED;
	else if (pl->user_tries == 1)
		st->flags |= CKF_USER_PIN_FINAL_TRY;
	else if (pl->user_tries < MOCK_TRIES)
		st->flags |= CKF_USER_PIN_COUNT_LOW;
	if (pl->so_tries == 0)
		st->flags |= CKF_SO_PIN_LOCKED;
	st->min_pin_len = 6;
	st->max_pin_len = 63;
	return CKR_OK;
}

/* Checks a passcode against the stored one, spending a try when wrong. */
static CK_RV verify(const char *want, size_t wlen, unsigned *tries, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	if (*tries == 0)
		return CKR_PIN_LOCKED;
	if (pin == NULL || len != wlen || memcmp(pin, want, wlen) != 0) {
		(*tries)--;
		return *tries == 0 ? CKR_PIN_LOCKED : CKR_PIN_INCORRECT;
	}
	*tries = MOCK_TRIES;
	return CKR_OK;
}

static CK_RV m_login(cid_token *t, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	mock_place *pl = tok_place(t);
	CK_RV rv = inject(OP_login);

	if (rv != CKR_OK)
		return rv;
	switch (who) {
	case CKU_SO:
		rv = verify(pl->so_pin, pl->so_len, &pl->so_tries, pin, len);
		break;
	case CKU_USER:
	case CKU_CONTEXT_SPECIFIC:
		if (!pl->user_pin_set)
			return CKR_USER_PIN_NOT_INITIALIZED;
		rv = verify(pl->user_pin, pl->user_len, &pl->user_tries, pin, len);
		break;
	default:
		return CKR_USER_TYPE_INVALID;
	}
	if (rv == CKR_OK && who != CKU_CONTEXT_SPECIFIC)
		pl->auth = who;
	return rv;
}

static CK_RV m_logout(cid_token *t)
{
	CK_RV rv = inject(OP_logout);

	if (rv == CKR_OK)
		tok_place(t)->auth = NO_AUTH;
	return rv;
}

static CK_RV m_init_token(cid_token *t, const CK_UTF8CHAR *so_pin, CK_ULONG len, const CK_UTF8CHAR label[32])
{
	mock_place *pl = tok_place(t);
	CK_RV rv = inject(OP_init_token);

	if (rv != CKR_OK)
		return rv;
	if (len >= sizeof(pl->so_pin))
		return CKR_PIN_LEN_RANGE;
	if (pl->initialized && (rv = verify(pl->so_pin, pl->so_len, &pl->so_tries, so_pin, len)) != CKR_OK)
		return rv;
	objs_clear(pl);
	place_init_token(pl, pl->key, label, (const char *)so_pin, len);
	return CKR_OK;
}

static CK_RV m_init_pin(cid_token *t, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	mock_place *pl = tok_place(t);
	CK_RV rv = inject(OP_init_pin);

	if (rv != CKR_OK)
		return rv;
	if (pl->auth != CKU_SO)
		return CKR_USER_NOT_LOGGED_IN;
	if (len < 6 || len >= sizeof(pl->user_pin))
		return CKR_PIN_LEN_RANGE;
	memcpy(pl->user_pin, pin, len);
	pl->user_len = len;
	pl->user_pin_set = true;
	pl->user_tries = MOCK_TRIES;
	return CKR_OK;
}

static CK_RV m_set_pin(cid_token *t, CK_USER_TYPE who, const CK_UTF8CHAR *old, CK_ULONG oldlen,
                       const CK_UTF8CHAR *new_pin, CK_ULONG newlen)
{
	mock_place *pl = tok_place(t);
	CK_RV rv = inject(OP_set_pin);
	bool so = who == CKU_SO;

	if (rv != CKR_OK)
		return rv;
	if (newlen < 6 || newlen >= sizeof(pl->user_pin))
		return CKR_PIN_LEN_RANGE;
	if (!so && !pl->user_pin_set)
		return CKR_USER_PIN_NOT_INITIALIZED;
	rv = so ? verify(pl->so_pin, pl->so_len, &pl->so_tries, old, oldlen)
	        : verify(pl->user_pin, pl->user_len, &pl->user_tries, old, oldlen);
	if (rv != CKR_OK)
		return rv;
	memcpy(so ? pl->so_pin : pl->user_pin, new_pin, newlen);
	*(so ? &pl->so_len : &pl->user_len) = newlen;
	return CKR_OK;
}

static CK_RV m_changed(cid_token *t, bool *changed)
{
	CK_RV rv = inject(OP_changed);

	(void)t;
	if (rv == CKR_OK)
		*changed = false;
	return rv;
}

static CK_RV m_load_objects(cid_token *t, cid_object_sink sink, void *ctx)
{
	mock_place *pl = tok_place(t);
	CK_RV rv = inject(OP_load_objects);

	for (size_t i = 0; rv == CKR_OK && i < pl->nobjs; i++) {
		if (cid_attrs_bool(&pl->objs[i].attrs, CKA_PRIVATE, true) && pl->auth != CKU_USER)
			continue;
		rv = sink(ctx, pl->objs[i].id, &pl->objs[i].attrs);
	}
	return rv;
}

static CK_RV add_obj(mock_place *pl, const cid_attrs *attrs, EVP_PKEY *pkey, uint64_t *id)
{
	mock_obj *grown = realloc(pl->objs, (pl->nobjs + 1) * sizeof(*grown));
	mock_obj *o;
	CK_RV rv;

	if (grown == NULL)
		return CKR_HOST_MEMORY;
	pl->objs = grown;
	o = &pl->objs[pl->nobjs];
	memset(o, 0, sizeof(*o));
	if ((rv = cid_attrs_copy(&o->attrs, attrs)) != CKR_OK)
		return rv;
	o->id = pl->next_id++;
	o->pkey = pkey;
	pl->nobjs++;
	*id = o->id;
	return CKR_OK;
}

static CK_RV m_create_object(cid_token *t, const cid_attrs *attrs, uint64_t *id)
{
	CK_RV rv = inject(OP_create_object);

	return rv != CKR_OK ? rv : add_obj(tok_place(t), attrs, NULL, id);
}

static CK_RV m_update_object(cid_token *t, uint64_t id, const cid_attrs *attrs)
{
	mock_obj *o = find_obj(tok_place(t), id);
	cid_attrs next = CID_ATTRS_INIT;
	CK_RV rv = inject(OP_update_object);

	if (rv != CKR_OK)
		return rv;
	if (o == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	if ((rv = cid_attrs_copy(&next, attrs)) != CKR_OK)
		return rv;
	cid_attrs_clear(&o->attrs);
	o->attrs = next;
	return CKR_OK;
}

static CK_RV m_destroy_object(cid_token *t, uint64_t id)
{
	mock_place *pl = tok_place(t);
	mock_obj *o = find_obj(pl, id);
	CK_RV rv = inject(OP_destroy_object);

	if (rv != CKR_OK)
		return rv;
	if (o == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	obj_free(o);
	*o = pl->objs[--pl->nobjs];
	return CKR_OK;
}

/* ---- keys ----------------------------------------------------------------- */

static CK_RV rsa_raw(EVP_PKEY *k, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (c != NULL && EVP_PKEY_decrypt_init(c) == 1 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1 &&
	    EVP_PKEY_decrypt(c, out, outlen, in, inlen) == 1)
		rv = CKR_OK;
	EVP_PKEY_CTX_free(c);
	return rv;
}

static CK_RV ecdsa_raw(EVP_PKEY *k, size_t fb, const uint8_t *in, size_t inlen, uint8_t *out)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	uint8_t der[160];
	size_t dlen = sizeof(der);
	const unsigned char *p = der;
	ECDSA_SIG *sig = NULL;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (c != NULL && EVP_PKEY_sign_init(c) == 1 && EVP_PKEY_sign(c, der, &dlen, in, inlen) == 1 &&
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) != NULL &&
	    BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, (int)fb) == (int)fb &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + fb, (int)fb) == (int)fb)
		rv = CKR_OK;
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(c);
	return rv;
}

static CK_RV ecdh_raw(EVP_PKEY *k, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	char group[32];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *pc = NULL, *c = NULL;
	EVP_PKEY *peer = NULL;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) != 1)
		return rv;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)in, inlen);
	params[2] = OSSL_PARAM_construct_end();
	if ((pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1)
		rv = CKR_DATA_INVALID;
	else if ((c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) != NULL && EVP_PKEY_derive_init(c) == 1 &&
	         EVP_PKEY_derive_set_peer(c, peer) == 1 && EVP_PKEY_derive(c, out, outlen) == 1)
		rv = CKR_OK;
	EVP_PKEY_free(peer);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_CTX_free(c);
	return rv;
}

static CK_RV m_key_op(cid_token *t, uint64_t id, cid_ext_kind kind, const uint8_t *in, size_t inlen,
                      uint8_t *out, size_t *outlen)
{
	mock_place *pl = tok_place(t);
	mock_obj *o = find_obj(pl, id);
	CK_RV rv = inject(OP_key_op);
	size_t bytes, need;

	if (rv != CKR_OK)
		return rv;
	if (in == NULL || outlen == NULL)
		return CKR_ARGUMENTS_BAD;
	if (o == NULL || o->pkey == NULL)
		return CKR_KEY_HANDLE_INVALID;
	if (pl->auth != CKU_USER)
		return CKR_USER_NOT_LOGGED_IN;
	bytes = ((size_t)EVP_PKEY_get_bits(o->pkey) + 7) / 8;
	switch (kind) {
	case CID_EXT_RSA_RAW:
		if (EVP_PKEY_get_base_id(o->pkey) != EVP_PKEY_RSA)
			return CKR_KEY_TYPE_INCONSISTENT;
		if (inlen != bytes)
			return CKR_DATA_LEN_RANGE;
		need = bytes;
		break;
	case CID_EXT_ECDSA:
	case CID_EXT_ECDH:
		if (EVP_PKEY_get_base_id(o->pkey) != EVP_PKEY_EC)
			return CKR_KEY_TYPE_INCONSISTENT;
		need = kind == CID_EXT_ECDSA ? 2 * bytes : bytes;
		break;
	default:
		return CKR_MECHANISM_INVALID;
	}
	if (out == NULL || *outlen < need) {
		*outlen = need;
		return out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
	}
	*outlen = need;
	if (kind == CID_EXT_RSA_RAW)
		return rsa_raw(o->pkey, in, inlen, out, outlen);
	if (kind == CID_EXT_ECDSA)
		return ecdsa_raw(o->pkey, bytes, in, inlen, out);
	return ecdh_raw(o->pkey, in, inlen, out, outlen);
}

static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

static CK_RV set_bn(cid_attrs *a, CK_ATTRIBUTE_TYPE t, EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	int n;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (EVP_PKEY_get_bn_param(k, name, &bn) == 1 && (n = BN_bn2bin(bn, buf)) > 0 && (size_t)n <= sizeof(buf))
		rv = cid_attrs_set(a, t, buf, (CK_ULONG)n);
	BN_free(bn);
	return rv;
}

/* Both halves get the public material, as the card backend gives them. */
static CK_RV add_public(cid_attrs *a, EVP_PKEY *k, CK_KEY_TYPE kt, const uint8_t *oid, size_t oidlen)
{
	CK_RV rv;

	if (kt == CKK_RSA) {
		if ((rv = set_bn(a, CKA_MODULUS, k, OSSL_PKEY_PARAM_RSA_N)) == CKR_OK &&
		    (rv = set_bn(a, CKA_PUBLIC_EXPONENT, k, OSSL_PKEY_PARAM_RSA_E)) == CKR_OK)
			rv = cid_attrs_set_ulong(a, CKA_MODULUS_BITS, (CK_ULONG)EVP_PKEY_get_bits(k));
	} else {
		uint8_t pt[133], os[136];
		size_t plen = 0;

		if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &plen) != 1 ||
		    plen > 127)
			return CKR_FUNCTION_FAILED;
		os[0] = 0x04;
		os[1] = (uint8_t)plen;
		memcpy(os + 2, pt, plen);
		if ((rv = cid_attrs_set(a, CKA_EC_PARAMS, oid, (CK_ULONG)oidlen)) == CKR_OK)
			rv = cid_attrs_set(a, CKA_EC_POINT, os, (CK_ULONG)(plen + 2));
	}
	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(a, CKA_KEY_TYPE, kt);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_LOCAL, true);
	return rv;
}

static CK_RV m_generate_keypair(cid_token *t, CK_MECHANISM_TYPE mech, cid_attrs *pub, cid_attrs *priv,
                                uint64_t *pub_id, uint64_t *priv_id)
{
	mock_place *pl = tok_place(t);
	CK_RV rv = inject(OP_generate_keypair);
	const uint8_t *oid = NULL;
	size_t oidlen = 0;
	CK_KEY_TYPE kt;
	EVP_PKEY *k = NULL;
	size_t before = pl->nobjs;

	if (rv != CKR_OK)
		return rv;
	if (mech == CKM_RSA_PKCS_KEY_PAIR_GEN) {
		CK_ULONG bits = 0;

		kt = CKK_RSA;
		if (cid_attrs_ulong(pub, CKA_MODULUS_BITS, &bits) != CKR_OK || bits < 1024 || bits > 4096)
			return CKR_KEY_SIZE_RANGE;
		k = EVP_RSA_gen((unsigned)bits);
	} else if (mech == CKM_EC_KEY_PAIR_GEN) {
		const CK_ATTRIBUTE *p = cid_attrs_get(pub, CKA_EC_PARAMS);

		kt = CKK_EC;
		if (p != NULL && p->ulValueLen == sizeof(oid_p256) && memcmp(p->pValue, oid_p256, sizeof(oid_p256)) == 0)
			oid = oid_p256, oidlen = sizeof(oid_p256), k = EVP_EC_gen("P-256");
		else if (p != NULL && p->ulValueLen == sizeof(oid_p384) &&
		         memcmp(p->pValue, oid_p384, sizeof(oid_p384)) == 0)
			oid = oid_p384, oidlen = sizeof(oid_p384), k = EVP_EC_gen("P-384");
		else
			return CKR_CURVE_NOT_SUPPORTED;
	} else {
		return CKR_MECHANISM_INVALID;
	}
	if (k == NULL)
		return CKR_FUNCTION_FAILED;
	if ((rv = add_public(pub, k, kt, oid, oidlen)) == CKR_OK && (rv = add_public(priv, k, kt, oid, oidlen)) == CKR_OK &&
	    (rv = add_obj(pl, pub, NULL, pub_id)) == CKR_OK) {
		rv = add_obj(pl, priv, k, priv_id);
		if (rv != CKR_OK)
			obj_free(&pl->objs[--pl->nobjs]);
	}
	if (rv != CKR_OK) {
		if (pl->nobjs == before)
			EVP_PKEY_free(k);
		return rv;
	}
	return CKR_OK;
}

static CK_RV m_check_login(cid_token *t, bool *user)
{
	CK_RV rv = inject(OP_check_login);

	if (rv == CKR_OK)
		*user = tok_place(t)->auth == CKU_USER;
	return rv;
}

static CK_RV m_random(cid_token *t, uint8_t *buf, size_t len)
{
	CK_RV rv = inject(OP_random);

	(void)t;
	if (rv == CKR_OK && RAND_bytes(buf, (int)len) != 1)
		rv = CKR_FUNCTION_FAILED;
	return rv;
}

static void m_release(cid_token *t)
{
	(void)inject(OP_release);
	/* Like the soft token, the device forgets its login with the handle. */
	tok_place(t)->auth = NO_AUTH;
	free(t);
}

static const struct cid_token_ops mock_token_ops = {
	.status = m_status,
	.login = m_login,
	.logout = m_logout,
	.init_token = m_init_token,
	.init_pin = m_init_pin,
	.set_pin = m_set_pin,
	.changed = m_changed,
	.load_objects = m_load_objects,
	.create_object = m_create_object,
	.update_object = m_update_object,
	.destroy_object = m_destroy_object,
	.key_op = m_key_op,
	.generate_keypair = m_generate_keypair,
	.check_login = m_check_login,
	.random = m_random,
	.release = m_release,
};

/* The soft token's kind: private keys live in their attributes and key
 * pairs are made on the host (the front's own paths for both). */
static const struct cid_token_ops mock_host_keys_ops = {
	.status = m_status,
	.login = m_login,
	.logout = m_logout,
	.init_token = m_init_token,
	.init_pin = m_init_pin,
	.set_pin = m_set_pin,
	.changed = m_changed,
	.load_objects = m_load_objects,
	.create_object = m_create_object,
	.update_object = m_update_object,
	.destroy_object = m_destroy_object,
	.check_login = m_check_login,
	.random = m_random,
	.release = m_release,
};

/* ---- provider ------------------------------------------------------------- */

static mock_place *place_by_key(const char *key)
{
	for (size_t i = 0; i < MAX_PLACES; i++)
		if (places[i].used && strcmp(places[i].key, key) == 0)
			return &places[i];
	return NULL;
}

static CK_RV new_token(mock_place *pl, cid_token **out)
{
	mock_token *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return CKR_HOST_MEMORY;
	t->base.ops = keys_on_host ? &mock_host_keys_ops : &mock_token_ops;
	t->pl = pl;
	*out = &t->base;
	return CKR_OK;
}

static CK_RV p_scan(cid_provider *p, cid_place_sink sink, void *ctx)
{
	CK_RV rv = inject(OP_scan);

	(void)p;
	for (size_t i = 0; rv == CKR_OK && i < MAX_PLACES; i++) {
		cid_place place = { 0 };

		if (!places[i].used)
			continue;
		place.key = places[i].key;
		place.description = places[i].free_place ? "mock free place" : "mock token";
		place.can_create = places[i].free_place;
		rv = sink(ctx, &place);
	}
	return rv;
}

static CK_RV p_open(cid_provider *p, const char *key, cid_token **out)
{
	mock_place *pl = place_by_key(key);
	CK_RV rv = inject(OP_open);

	(void)p;
	if (rv != CKR_OK)
		return rv;
	if (pl == NULL || pl->free_place)
		return CKR_TOKEN_NOT_PRESENT;
	return new_token(pl, out);
}

static CK_RV p_create(cid_provider *p, const char *key, const CK_UTF8CHAR *so_pin, CK_ULONG len,
                      const CK_UTF8CHAR label[32], char **new_key, cid_token **out)
{
	mock_place *free_pl = place_by_key(key), *pl = NULL;
	char name[32];
	CK_RV rv = inject(OP_create);

	(void)p;
	if (rv != CKR_OK)
		return rv;
	if (free_pl == NULL || !free_pl->free_place)
		return CKR_TOKEN_NOT_RECOGNIZED;
	if (len < 6 || len >= sizeof(pl->so_pin))
		return CKR_PIN_LEN_RANGE;
	for (size_t i = 0; i < MAX_PLACES && pl == NULL; i++)
		if (!places[i].used)
			pl = &places[i];
	if (pl == NULL)
		return CKR_DEVICE_MEMORY;
	snprintf(name, sizeof(name), "made-%u", created_tokens);
	if ((*new_key = strdup(name)) == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = new_token(pl, out)) != CKR_OK) {
		free(*new_key);
		*new_key = NULL;
		return rv;
	}
	created_tokens++;
	place_init_token(pl, name, label, (const char *)so_pin, len);
	return CKR_OK;
}

static bool p_mechanism(cid_provider *p, const cid_mech_desc *d, CK_MECHANISM_INFO *info)
{
	(void)p;
	(void)d;
	(void)info;
	return inject(OP_mechanism) == CKR_OK;
}

static void p_release(cid_provider *p)
{
	(void)inject(OP_prov_release);
	free(p);
}

static const struct cid_provider_ops mock_provider_ops = {
	.name = "mock",
	.scan = p_scan,
	.open = p_open,
	.create = p_create,
	.mechanism = p_mechanism,
	.release = p_release,
};

CK_RV cid_mock_provider_new(cid_provider **out)
{
	mock_provider *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return CKR_HOST_MEMORY;
	p->base.ops = &mock_provider_ops;
	*out = &p->base;
	return CKR_OK;
}
