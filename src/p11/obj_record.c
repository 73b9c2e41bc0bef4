/* The lifecycle object (careid.h CKO_CAREID_LIFECYCLE): the token's
 * lifecycle record shown as a read-only token object, and the security
 * officer's one way to write a new record.  The record itself lives in the
 * token (soft: the token file; see the token layer), so this object is
 * made by the module, like the profile object, and follows the token's
 * record whenever the objects are loaded, the login changes or a record is
 * written. */
#include <stdlib.h>
#include <string.h>

#include "careid/careid.h"
#include "common/log.h"
#include "p11/objects.h"

static cid_object *find_record_object(cid_slot *slot)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; cid_hmap_next(&slot->objects, &i, &k, &v);) {
		cid_object *o = v;
		if (o->synthetic && o->cls == CKO_CAREID_LIFECYCLE)
			return o;
	}
	return NULL;
}

static CK_RV build(cid_slot *slot, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen,
                   cid_attrs *a)
{
	static const char uid[] = "careid-lifecycle-record";
	static const char label[] = "Care Identity lifecycle record";
	int64_t days;
	bool alert;
	CK_RV rv = cid_attrs_set_ulong(a, CKA_CLASS, CKO_CAREID_LIFECYCLE);

	if (rv == CKR_OK) rv = cid_attrs_set_bool(a, CKA_TOKEN, true);
	if (rv == CKR_OK) rv = cid_attrs_set_bool(a, CKA_PRIVATE, false);
	if (rv == CKR_OK) rv = cid_attrs_set_bool(a, CKA_MODIFIABLE, false);
	if (rv == CKR_OK) rv = cid_attrs_set_bool(a, CKA_COPYABLE, false);
	if (rv == CKR_OK) rv = cid_attrs_set_bool(a, CKA_DESTROYABLE, false);
	if (rv == CKR_OK) rv = cid_attrs_set(a, CKA_LABEL, label, sizeof(label) - 1);
	if (rv == CKR_OK) rv = cid_attrs_set(a, CKA_UNIQUE_ID, uid, sizeof(uid) - 1);
	if (rv == CKR_OK) rv = cid_attrs_set(a, CKA_VALUE, rec, (CK_ULONG)rlen);
	if (rv == CKR_OK) rv = cid_attrs_set(a, CKA_CAREID_RECORD_SIGNATURE, sig, (CK_ULONG)slen);
	if (rv == CKR_OK && slot->tok != NULL && cid_tok_days_left(slot->tok, &days, &alert)) {
		CK_LONG d = (CK_LONG)days;
		rv = cid_attrs_set(a, CKA_CAREID_DAYS_LEFT, &d, sizeof(d));
	}
	return rv;
}

CK_RV cid_record_sync(cid_slot *slot)
{
	cid_object *o = find_record_object(slot);
	cid_attrs a = CID_ATTRS_INIT;
	uint8_t *rec = NULL, *sig = NULL;
	size_t rlen = 0, slen = 0;
	cid_tok *tok;
	CK_RV rv = cid_slot_token(slot, &tok);

	if (rv == CKR_OK)
		rv = cid_tok_get_record(tok, &rec, &rlen, &sig, &slen);
	if (rv != CKR_OK || rec == NULL) {
		/* No record (or none readable now): no object. */
		if (o)
			cid_obj_remove(slot, o);
		goto out;
	}
	if ((rv = build(slot, rec, rlen, sig, slen, &a)) != CKR_OK)
		goto out;
	if (o) {
		/* The same handle for the new record: an application holding
		 * it reads the new values. */
		if (!cid_attrs_equal(&o->attrs, &a))
			cid_obj_replace_attrs(slot, o, &a);
		goto out;
	}
	if (!(o = cid_obj_alloc(slot, &a))) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	o->synthetic = true;
	if ((rv = cid_obj_insert(slot, o)) != CKR_OK)
		cid_obj_put(&o);
out:
	cid_attrs_clear(&a);
	free(rec);
	free(sig);
	return rv;
}

CK_RV cid_record_create(cid_session *s, const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	const CK_ATTRIBUTE *rec = NULL, *sig = NULL;
	cid_slot *slot = s->slot;
	cid_object *o;
	cid_tok *tok;
	CK_RV rv = CKR_OK;

	for (CK_ULONG i = 0; i < n && rv == CKR_OK; i++) {
		const CK_ATTRIBUTE *at = &t[i];
		bool is_true = at->ulValueLen == sizeof(CK_BBOOL) && at->pValue && *(CK_BBOOL *)at->pValue;

		if (at->ulValueLen && !at->pValue)
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
		else if (at->type == CKA_VALUE)
			rec = at;
		else if (at->type == CKA_CAREID_RECORD_SIGNATURE)
			sig = at;
		else if (at->type == CKA_TOKEN ? !is_true : at->type == CKA_PRIVATE ? is_true : at->type != CKA_CLASS)
			rv = CKR_TEMPLATE_INCONSISTENT;
	}
	if (rv == CKR_OK && (!rec || !sig || !rec->ulValueLen || !sig->ulValueLen))
		rv = CKR_TEMPLATE_INCOMPLETE;
	if (rv != CKR_OK) {
		CID_WARN("refused: a lifecycle object takes its class, CKA_VALUE and CKA_CAREID_RECORD_SIGNATURE only");
		return rv;
	}
	if (!cid_session_rw(s)) {
		CID_WARN("refused: writing the lifecycle record in a read-only session");
		return CKR_SESSION_READ_ONLY;
	}
	cid_mutex_lock(slot->lock);
	if ((rv = cid_objs_sync(slot)) == CKR_OK && (rv = cid_slot_token(slot, &tok)) == CKR_OK)
		rv = cid_tok_put_record(tok, rec->pValue, rec->ulValueLen, sig->pValue, sig->ulValueLen);
	/* Loaded again whole: a cancelling record also destroyed the token's
	 * keys, which this cache must not go on showing. */
	if (rv == CKR_OK) {
		slot->objects_loaded = false;
		rv = cid_objs_sync(slot);
	}
	if (rv == CKR_OK)
		rv = (o = find_record_object(slot)) ? CKR_OK : CKR_GENERAL_ERROR;
	if (rv == CKR_OK)
		*out = o->handle;
	cid_mutex_unlock(slot->lock);
	return rv;
}
