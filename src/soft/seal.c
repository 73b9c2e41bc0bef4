/* The key hierarchy (passcode -> KEK -> token key K) and the sealing of
 * objects under K.  See docs/storage-encryption.md. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "soft/soft_int.h"

/* Bounds on KDF parameters read back from a file: a damaged or hostile file
 * must not make the module allocate gigabytes. */
#define KDF_R_MAX 32
#define KDF_P_MAX 16

static const char wrap_tag[] = "careid/wrap/v1";
static const char object_tag[] = "careid/object/v1";

CK_RV soft_kdf_params_load(sqlite3 *db, cid_kdf_params *prm)
{
	int64_t n = 0, r = 0, p = 0;
	CK_RV rv = soft_meta_int_req(db, SOFT_META_KDF_LOG2N, &n);

	if (rv == CKR_OK)
		rv = soft_meta_int_req(db, SOFT_META_KDF_R, &r);
	if (rv == CKR_OK)
		rv = soft_meta_int_req(db, SOFT_META_KDF_P, &p);
	if (rv != CKR_OK)
		return rv;
	if (n < CID_KDF_COST_MIN || n > CID_KDF_COST_MAX || r < 1 || r > KDF_R_MAX || p < 1 || p > KDF_P_MAX) {
		CID_ERROR("token KDF parameters out of range (log2_n %lld, r %lld, p %lld)", (long long)n,
		          (long long)r, (long long)p);
		return CKR_DEVICE_ERROR;
	}
	prm->log2_n = (uint32_t)n;
	prm->r = (uint32_t)r;
	prm->p = (uint32_t)p;
	return CKR_OK;
}

CK_RV soft_kek_derive(const CK_UTF8CHAR *pin, CK_ULONG len, const uint8_t *salt, size_t saltlen,
                      const cid_kdf_params *prm, uint8_t kek[CID_AEAD_KEY_LEN])
{
	CK_RV rv = cid_kdf(pin, len, salt, saltlen, prm, kek, CID_AEAD_KEY_LEN);

	if (rv != CKR_OK) {
		cid_wipe(kek, CID_AEAD_KEY_LEN);
		CID_ERROR("deriving the key from a passcode failed (0x%lx)", rv);
	}
	return rv;
}

/* The role and serial are bound in: a wrap cannot be moved between the
 * user and SO slots, nor into another token. */
static void wrap_aad(const char *serial, soft_role role, uint8_t aad[sizeof(wrap_tag) + 1 + SOFT_SERIAL_LEN])
{
	memcpy(aad, wrap_tag, sizeof(wrap_tag));
	aad[sizeof(wrap_tag)] = role == SOFT_ROLE_SO ? 'S' : role == SOFT_ROLE_UNLOCK ? 'C' : 'U';
	memcpy(aad + sizeof(wrap_tag) + 1, serial, SOFT_SERIAL_LEN);
}

CK_RV soft_key_wrap(const char *serial, soft_role role, const uint8_t kek[CID_AEAD_KEY_LEN],
                    const uint8_t key[CID_AEAD_KEY_LEN], uint8_t **out, size_t *outlen)
{
	uint8_t aad[sizeof(wrap_tag) + 1 + SOFT_SERIAL_LEN];

	wrap_aad(serial, role, aad);
	return cid_aead_seal(kek, aad, sizeof(aad), key, CID_AEAD_KEY_LEN, out, outlen);
}

CK_RV soft_key_unwrap(const char *serial, soft_role role, const uint8_t kek[CID_AEAD_KEY_LEN],
                      const uint8_t *wrapped, size_t len, uint8_t key[CID_AEAD_KEY_LEN])
{
	uint8_t aad[sizeof(wrap_tag) + 1 + SOFT_SERIAL_LEN];
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	CK_RV rv;

	wrap_aad(serial, role, aad);
	rv = cid_aead_open(kek, aad, sizeof(aad), wrapped, len, &pt, &ptlen);
	if (rv != CKR_OK)
		return rv;
	if (ptlen != CID_AEAD_KEY_LEN) {
		cid_free_secret(&pt, ptlen);
		CID_ERROR("token [serial %s]: the key sealed under a passcode has the wrong length (damaged file)",
		          serial);
		return CKR_ENCRYPTED_DATA_INVALID;
	}
	memcpy(key, pt, CID_AEAD_KEY_LEN);
	cid_free_secret(&pt, ptlen);
	return CKR_OK;
}

CK_RV soft_wrap_make(const char *serial, soft_role role, const cid_kdf_params *prm,
                     const CK_UTF8CHAR *pin, CK_ULONG len, const uint8_t key[CID_AEAD_KEY_LEN],
                     soft_wrap *w)
{
	uint8_t kek[CID_AEAD_KEY_LEN];
	CK_RV rv;

	memset(w, 0, sizeof(*w));
	rv = cid_random(w->salt, sizeof(w->salt));
	if (rv == CKR_OK)
		rv = soft_kek_derive(pin, len, w->salt, sizeof(w->salt), prm, kek);
	if (rv == CKR_OK)
		rv = soft_key_wrap(serial, role, kek, key, &w->wrapped, &w->len);
	cid_wipe(kek, sizeof(kek));
	if (rv != CKR_OK)
		soft_wrap_clear(w);
	return rv;
}

CK_RV soft_wrap_store(sqlite3 *db, soft_role role, const soft_wrap *w)
{
	bool so = role == SOFT_ROLE_SO;
	CK_RV rv = soft_meta_set_blob(db, so ? SOFT_META_SO_SALT : SOFT_META_USER_SALT, w->salt, sizeof(w->salt));

	if (rv == CKR_OK)
		rv = soft_meta_set_blob(db, so ? SOFT_META_SO_WRAP : SOFT_META_USER_WRAP, w->wrapped, w->len);
	return rv;
}

void soft_wrap_clear(soft_wrap *w)
{
	free(w->wrapped);
	memset(w, 0, sizeof(*w));
}

/* ---- objects ---- */

bool soft_attr_is_secret(const cid_attrs *a, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG cls = 0;

	switch (type) {
	case CKA_PRIVATE_EXPONENT:
	case CKA_PRIME_1:
	case CKA_PRIME_2:
	case CKA_EXPONENT_1:
	case CKA_EXPONENT_2:
	case CKA_COEFFICIENT:
		return true;
	case CKA_VALUE:
		/* A certificate's or data object's value is public; a key's is
		 * not, and when the class is unreadable, err towards secret. */
		if (cid_attrs_ulong(a, CKA_CLASS, &cls) != CKR_OK)
			return true;
		return cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY;
	default:
		return false;
	}
}

bool soft_attrs_have_secret(const cid_attrs *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (soft_attr_is_secret(a, a->v[i].type))
			return true;
	return false;
}

void soft_row_clear(soft_row *r)
{
	free(r->attrs);
	free(r->sealed);
	memset(r, 0, sizeof(*r));
}

/* The id, the private flag and the stored public part are all bound in:
 * moving a sealed blob to another row, flipping the flag or editing the
 * public attributes of an object with secrets makes opening fail. */
static CK_RV object_aad(const char *serial, uint64_t id, const soft_row *r, uint8_t **out, size_t *len)
{
	size_t n = sizeof(object_tag) + SOFT_SERIAL_LEN + 8 + 1 + r->attrs_len;
	uint8_t *p = malloc(n), *q;

	if (p == NULL)
		return CKR_HOST_MEMORY;
	q = p;
	memcpy(q, object_tag, sizeof(object_tag));
	q += sizeof(object_tag);
	memcpy(q, serial, SOFT_SERIAL_LEN);
	q += SOFT_SERIAL_LEN;
	for (int i = 7; i >= 0; i--)
		*q++ = (uint8_t)(id >> (8 * i));
	*q++ = r->priv ? 1 : 0;
	if (r->attrs_len)
		memcpy(q, r->attrs, r->attrs_len);
	*out = p;
	*len = n;
	return CKR_OK;
}

static CK_RV seal_set(const soft_token *t, uint64_t id, const cid_attrs *a, soft_row *r)
{
	uint8_t *pt = NULL, *aad = NULL;
	size_t ptlen = 0, aadlen = 0;
	CK_RV rv = cid_attrs_encode(a, &pt, &ptlen);

	if (rv == CKR_OK)
		rv = object_aad(t->serial, id, r, &aad, &aadlen);
	if (rv == CKR_OK)
		rv = cid_aead_seal(t->key, aad, aadlen, pt, ptlen, &r->sealed, &r->sealed_len);
	cid_free_secret(&pt, ptlen);
	free(aad);
	return rv;
}

CK_RV soft_row_seal(const soft_token *t, uint64_t id, const cid_attrs *a, soft_row *r)
{
	cid_attrs pub = CID_ATTRS_INIT, sec = CID_ATTRS_INIT;
	char name[CID_TOKEN_NAME_LEN];
	CK_RV rv = CKR_OK;

	memset(r, 0, sizeof(*r));
	r->priv = cid_attrs_bool(a, CKA_PRIVATE, true);
	if (r->priv || soft_attrs_have_secret(a)) {
		if (!t->have_key || t->who != CKU_USER) {
			CID_WARN("%s: storing a private or secret value needs the user logged in",
			         soft_token_name(t, name));
			return CKR_USER_NOT_LOGGED_IN;
		}
	}
	if (r->priv) {
		rv = seal_set(t, id, a, r);
	} else {
		for (size_t i = 0; rv == CKR_OK && i < a->n; i++)
			rv = cid_attrs_set(soft_attr_is_secret(a, a->v[i].type) ? &sec : &pub, a->v[i].type,
			                   a->v[i].pValue, a->v[i].ulValueLen);
		if (rv == CKR_OK)
			rv = cid_attrs_encode(&pub, &r->attrs, &r->attrs_len);
		if (rv == CKR_OK && sec.n > 0)
			rv = seal_set(t, id, &sec, r);
	}
	cid_attrs_clear(&pub);
	cid_attrs_clear(&sec);
	if (rv != CKR_OK)
		soft_row_clear(r);
	return rv;
}

static CK_RV open_into(const soft_token *t, uint64_t id, const soft_row *r, cid_attrs *out)
{
	uint8_t *pt = NULL, *aad = NULL;
	size_t ptlen = 0, aadlen = 0;
	char name[CID_TOKEN_NAME_LEN];
	CK_RV rv = object_aad(t->serial, id, r, &aad, &aadlen);

	if (rv == CKR_OK)
		rv = cid_aead_open(t->key, aad, aadlen, r->sealed, r->sealed_len, &pt, &ptlen);
	free(aad);
	if (rv != CKR_OK) {
		CID_ERROR("%s: object %llu does not decrypt (damaged or altered)", soft_token_name(t, name),
		          (unsigned long long)id);
		return rv == CKR_HOST_MEMORY ? rv : CKR_ENCRYPTED_DATA_INVALID;
	}
	rv = cid_attrs_decode(out, pt, ptlen);
	cid_free_secret(&pt, ptlen);
	if (rv != CKR_OK)
		CID_ERROR("%s: object %llu has a malformed sealed part", soft_token_name(t, name),
		          (unsigned long long)id);
	return rv;
}

CK_RV soft_row_open(const soft_token *t, uint64_t id, const soft_row *r, bool with_secrets, cid_attrs *out)
{
	char name[CID_TOKEN_NAME_LEN];
	CK_RV rv = CKR_OK;

	if (r->priv) {
		if (!with_secrets || !t->have_key)
			return CKR_USER_NOT_LOGGED_IN;
		if (r->sealed == NULL) {
			CID_ERROR("%s: private object %llu has no sealed part", soft_token_name(t, name),
			          (unsigned long long)id);
			return CKR_DEVICE_ERROR;
		}
		return open_into(t, id, r, out);
	}
	if (r->attrs == NULL || r->attrs_len == 0) {
		CID_ERROR("%s: public object %llu has no attributes", soft_token_name(t, name),
		          (unsigned long long)id);
		return CKR_DEVICE_ERROR;
	}
	rv = cid_attrs_decode(out, r->attrs, r->attrs_len);
	if (rv != CKR_OK) {
		CID_ERROR("%s: object %llu is malformed", soft_token_name(t, name), (unsigned long long)id);
		return rv;
	}
	if (r->sealed != NULL && with_secrets && t->have_key) {
		cid_attrs sec = CID_ATTRS_INIT;

		rv = open_into(t, id, r, &sec);
		for (size_t i = 0; rv == CKR_OK && i < sec.n; i++)
			rv = cid_attrs_set(out, sec.v[i].type, sec.v[i].pValue, sec.v[i].ulValueLen);
		cid_attrs_clear(&sec);
	}
	if (rv != CKR_OK)
		cid_attrs_clear(out);
	return rv;
}
