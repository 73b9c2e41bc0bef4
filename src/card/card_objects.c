/* The card's objects for the front: built from the cached snapshot; the
 * only objects that can be written are certificates (PUT DATA, with the
 * management key). */
#include <stdlib.h>
#include <string.h>

#include "card/card_int.h"
#include "common/log.h"

CK_RV card_changed(cid_token *tok, bool *changed)
{
	card_token *t = (card_token *)tok;

	cid_mutex_lock(t->lock);
	*changed = t->loaded != 0 && (t->data == NULL || t->loaded != t->data->gen);
	cid_mutex_unlock(t->lock);
	return CKR_OK;
}

static CK_RV emit(const card_key *k, int kind, cid_object_sink sink, void *ctx)
{
	cid_attrs a = CID_ATTRS_INIT;
	CK_RV rv;

	if (kind == CARD_OBJ_CERT)
		rv = card_model_cert(k, &a);
	else if (kind == CARD_OBJ_PUB)
		rv = card_model_pub(k, &a);
	else
		rv = card_model_priv(k, &a);
	if (rv == CKR_OK)
		rv = sink(ctx, card_obj_id(k->ref, kind), &a);
	cid_attrs_clear(&a);
	return rv;
}

/* Private key objects are reported in every state with CKA_PRIVATE true:
 * they carry no secret, and the front shows them only to a logged-in
 * user. */
CK_RV card_load_objects(cid_token *tok, cid_object_sink sink, void *ctx)
{
	card_token *t = (card_token *)tok;
	CK_RV rv;

	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	rv = card_ensure_data(t);
	for (size_t i = 0; rv == CKR_OK && i < CARD_NKEYS; i++) {
		const card_key *k = &t->data->keys[i];

		if (!k->present)
			continue;
		if (k->cert != NULL)
			rv = emit(k, CARD_OBJ_CERT, sink, ctx);
		if (rv == CKR_OK)
			rv = emit(k, CARD_OBJ_PUB, sink, ctx);
		if (rv == CKR_OK)
			rv = emit(k, CARD_OBJ_PRIV, sink, ctx);
	}
	if (rv == CKR_OK)
		t->loaded = t->data->gen;
	card_end(t);
	return rv;
}

/* Replaces key slot i of the token's snapshot with k (consumed) and
 * publishes the result. */
CK_RV card_publish_key(card_token *t, size_t i, card_key *k)
{
	card_data *d = NULL;
	CK_RV rv = card_data_clone(t->data, &d);

	if (rv != CKR_OK) {
		card_key_clear(k);
		return rv;
	}
	card_key_clear(&d->keys[i]);
	d->keys[i] = *k;
	memset(k, 0, sizeof(*k));
	if (d->keys[i].ref == CID_PIV_KEY_AUTH) {
		d->uuid[0] = '\0';
		if (d->keys[i].cert != NULL)
			card_cert_uuid(d->keys[i].cert, d->keys[i].certlen, d->uuid);
	}
	if (d->ident[0] != '\0')
		card_cache_put(d);
	card_data_unref(&t->data);
	t->data = d;
	return CKR_OK;
}

static CK_RV cert_slot(const cid_attrs *attrs, uint8_t *ref)
{
	const CK_ATTRIBUTE *id = cid_attrs_get(attrs, CKA_ID);

	if (id == NULL || id->ulValueLen != 1 || (*ref = cid_piv_key_from_id(*(const uint8_t *)id->pValue)) == 0) {
		CID_INFO("a card certificate needs CKA_ID 01 (9A), 02 (9C), 03 (9D) or 04 (9E)");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

CK_RV card_create_object(cid_token *tok, const cid_attrs *attrs, uint64_t *id)
{
	card_token *t = (card_token *)tok;
	CK_ULONG cls = 0, ct = CKC_X_509;
	const CK_ATTRIBUTE *val;
	uint8_t ref = 0, *obj = NULL;
	size_t olen = 0, i;
	card_key k = { 0 };
	CK_RV rv;

	if (cid_attrs_ulong(attrs, CKA_CLASS, &cls) != CKR_OK || cls != CKO_CERTIFICATE ||
	    (cid_attrs_get(attrs, CKA_CERTIFICATE_TYPE) != NULL &&
	     (cid_attrs_ulong(attrs, CKA_CERTIFICATE_TYPE, &ct) != CKR_OK || ct != CKC_X_509))) {
		CID_INFO("a PIV card stores X.509 certificates only (class 0x%lx refused)", (unsigned long)cls);
		return CKR_TEMPLATE_INCONSISTENT;
	}
	if ((rv = cert_slot(attrs, &ref)) != CKR_OK)
		return rv;
	val = cid_attrs_get(attrs, CKA_VALUE);
	if (val == NULL || val->ulValueLen == 0)
		return CKR_TEMPLATE_INCOMPLETE;
	k.ref = ref;
	if ((rv = card_key_from_cert(&k, val->pValue, val->ulValueLen)) != CKR_OK)
		return rv == CKR_HOST_MEMORY ? rv : CKR_ATTRIBUTE_VALUE_INVALID;
	rv = cid_piv_cert_wrap(k.cert, k.certlen, &obj, &olen);
	if (rv == CKR_OK)
		rv = card_begin(t, NULL);
	if (rv != CKR_OK) {
		free(obj);
		card_key_clear(&k);
		return rv;
	}
	i = card_key_index(ref);
	if (!t->admin)
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK)
		rv = card_ensure_data(t);
	if (rv == CKR_OK)
		rv = card_note(t, cid_piv_put_data(t->io, cid_piv_cert_tag(ref), obj, olen));
	if (rv == CKR_OK) {
		const card_key *old = &t->data->keys[i];

		if (old->present && !card_pub_equal(&old->pub, &k.pub))
			CID_WARN("certificate written for key %02X does not match its key", ref);
		k.generated = old->generated && card_pub_equal(&old->pub, &k.pub);
		rv = card_publish_key(t, i, &k);
	}
	if (rv == CKR_OK)
		*id = card_obj_id(ref, CARD_OBJ_CERT);
	card_key_clear(&k);
	card_end(t);
	free(obj);
	return rv;
}

CK_RV card_update_object(cid_token *tok, uint64_t id, const cid_attrs *attrs)
{
	(void)tok;
	(void)id;
	(void)attrs;
	return CKR_ACTION_PROHIBITED;
}

CK_RV card_destroy_object(cid_token *tok, uint64_t id)
{
	card_token *t = (card_token *)tok;
	uint8_t ref = 0;
	int kind = 0;
	card_key k = { 0 };
	size_t i;
	CK_RV rv;

	if (!card_obj_parse(id, &ref, &kind))
		return CKR_OBJECT_HANDLE_INVALID;
	if (kind != CARD_OBJ_CERT)
		return CKR_ACTION_PROHIBITED;
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	i = card_key_index(ref);
	rv = t->admin ? card_ensure_data(t) : CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK && t->data->keys[i].cert == NULL)
		rv = CKR_OBJECT_HANDLE_INVALID;
	if (rv == CKR_OK)
		rv = card_note(t, cid_piv_put_data(t->io, cid_piv_cert_tag(ref), NULL, 0));
	/* The public key stays known to this process; a later process will
	 * not see the key at all (PIV cannot read a public key back). */
	if (rv == CKR_OK)
		rv = card_key_copy(&k, &t->data->keys[i]);
	if (rv == CKR_OK) {
		free(k.cert);
		k.cert = NULL;
		k.certlen = 0;
		rv = card_publish_key(t, i, &k);
	}
	card_end(t);
	return rv;
}
