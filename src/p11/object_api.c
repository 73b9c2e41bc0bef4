/* Object entry points: C_CreateObject ... C_FindObjectsFinal.
 * The rules live in attr_*.c and the cache in objstore.c; these functions
 * only check arguments, take the right locks and apply the spec's
 * per-call algorithms. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p11/objects.h"
#include "p11/objindex.h"

/* Looks the session up after the common entry checks. */
static CK_RV enter_session(CK_SESSION_HANDLE h, cid_session **s)
{
	CK_RV rv = cid_enter();

	if (rv != CKR_OK)
		return rv;
	return cid_session_get(h, s);
}

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
                     CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	cid_session *s;
	CK_RV rv;

	if ((rv = enter_session(hSession, &s)) != CKR_OK)
		return rv;
	if (!phObject || (!pTemplate && ulCount)) {
		cid_session_put(&s);
		return CKR_ARGUMENTS_BAD;
	}
	rv = cid_obj_new(s, CID_ORIGIN_CREATE, pTemplate, ulCount, NULL, phObject);
	cid_session_put(&s);
	return rv;
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                   CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                   CK_OBJECT_HANDLE_PTR phNewObject)
{
	cid_attrs src = CID_ATTRS_INIT;
	cid_session *s;
	cid_object *o;
	CK_RV rv;

	if ((rv = enter_session(hSession, &s)) != CKR_OK)
		return rv;
	if (!phNewObject || (!pTemplate && ulCount)) {
		cid_session_put(&s);
		return CKR_ARGUMENTS_BAD;
	}
	if ((rv = cid_obj_get(s, hObject, &o)) != CKR_OK)
		goto out;

	cid_mutex_lock(s->slot->lock);
	if (o->synthetic || !cid_attrs_bool(&o->attrs, CKA_COPYABLE, true)) {
		CID_WARN("refused: object %lu is not copyable", (unsigned long)hObject);
		rv = CKR_ACTION_PROHIBITED;
	}
	for (CK_ULONG i = 0; rv == CKR_OK && i < ulCount; i++)
		rv = cid_rules_may_set(&o->attrs, &pTemplate[i], true);
	if (rv == CKR_OK)
		rv = cid_attrs_copy(&src, &o->attrs);
	cid_mutex_unlock(s->slot->lock);
	cid_obj_put(&o);

	if (rv == CKR_OK)
		rv = cid_obj_new(s, CID_ORIGIN_COPY, pTemplate, ulCount, &src, phNewObject);
	cid_attrs_clear(&src);
out:
	cid_session_put(&s);
	return rv;
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	cid_session *s;
	CK_RV rv;

	if ((rv = enter_session(hSession, &s)) != CKR_OK)
		return rv;
	rv = cid_obj_destroy(s, hObject);
	cid_session_put(&s);
	return rv;
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                      CK_ULONG_PTR pulSize)
{
	cid_session *s;
	cid_object *o;
	CK_RV rv;

	if ((rv = enter_session(hSession, &s)) != CKR_OK)
		return rv;
	if (!pulSize) {
		cid_session_put(&s);
		return CKR_ARGUMENTS_BAD;
	}
	if ((rv = cid_obj_get(s, hObject, &o)) == CKR_OK) {
		cid_mutex_lock(s->slot->lock);
		if (o->synthetic) {
			/* The profile object is made up on the fly: it takes no
			 * space on the token. */
			CID_DEBUG("object %lu has no stored size", (unsigned long)hObject);
			*pulSize = CK_UNAVAILABLE_INFORMATION;
		} else {
			/* The size of the storage encoding: type, length, value. */
			CK_ULONG size = 0;
			for (size_t i = 0; i < o->attrs.n; i++)
				size += 8 + 4 + o->attrs.v[i].ulValueLen;
			*pulSize = size;
		}
		cid_mutex_unlock(s->slot->lock);
		cid_obj_put(&o);
	}
	cid_session_put(&s);
	return rv;
}

/* One attribute by the spec's algorithm; returns its error, if any. */
static CK_RV get_one(const cid_attrs *a, CK_ATTRIBUTE *t)
{
	const CK_ATTRIBUTE *at;

	if (!cid_rules_readable(a, t->type)) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_ATTRIBUTE_SENSITIVE;
	}
	if (!(at = cid_attrs_get(a, t->type))) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
	if (!t->pValue) {
		t->ulValueLen = at->ulValueLen;
		return CKR_OK;
	}
	if (t->ulValueLen < at->ulValueLen) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (at->ulValueLen)
		memcpy(t->pValue, at->pValue, at->ulValueLen);
	t->ulValueLen = at->ulValueLen;
	return CKR_OK;
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	cid_session *s;
	cid_object *o;
	CK_RV rv;

	if ((rv = enter_session(hSession, &s)) != CKR_OK)
		return rv;
	if (!pTemplate && ulCount) {
		cid_session_put(&s);
		return CKR_ARGUMENTS_BAD;
	}
	if ((rv = cid_obj_get(s, hObject, &o)) == CKR_OK) {
		cid_mutex_lock(s->slot->lock);
		/* Every attribute is processed even after an error, so that
		 * the caller gets all it can in one call. */
		for (CK_ULONG i = 0; i < ulCount; i++) {
			CK_RV r = get_one(&o->attrs, &pTemplate[i]);
			if (rv == CKR_OK)
				rv = r;
		}
		cid_mutex_unlock(s->slot->lock);
		cid_obj_put(&o);
	}
	cid_session_put(&s);
	return rv;
}

/* Every change is checked before any is made (slot->lock held). */
static CK_RV check_changes(cid_session *s, const cid_object *o, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_RV rv;

	if (o->dead)
		return CKR_OBJECT_HANDLE_INVALID;
	if (o->on_token && !cid_session_rw(s)) {
		CID_WARN("refused: changing a token object in a read-only session");
		return CKR_SESSION_READ_ONLY;
	}
	if ((rv = cid_rules_template(t, n, true)) != CKR_OK)
		return rv;
	for (CK_ULONG i = 0; i < n; i++) {
		if ((rv = cid_rules_may_set(&o->attrs, &t[i], false)) != CKR_OK)
			return rv;
		if (t[i].type == CKA_TRUSTED && *(CK_BBOOL *)t[i].pValue &&
		    cid_slot_who(s->slot) != CKU_SO) {
			CID_WARN("refused: only the security officer may mark objects trusted");
			return CKR_ATTRIBUTE_READ_ONLY;
		}
	}
	return CKR_OK;
}

static CK_RV apply_changes(cid_attrs *a, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_RV rv = CKR_OK;

	for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++) {
		if (cid_attr_kind_of(t[i].type) == CID_AK_BOOL)
			rv = cid_attrs_set_bool(a, t[i].type, *(CK_BBOOL *)t[i].pValue != CK_FALSE);
		else
			rv = cid_attrs_set(a, t[i].type, t[i].pValue, t[i].ulValueLen);
	}
	return rv;
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	cid_attrs next = CID_ATTRS_INIT;
	cid_session *s;
	cid_object *o;
	cid_tok *tok;
	CK_RV rv;

	if ((rv = enter_session(hSession, &s)) != CKR_OK)
		return rv;
	if (!pTemplate && ulCount) {
		cid_session_put(&s);
		return CKR_ARGUMENTS_BAD;
	}
	if ((rv = cid_obj_get(s, hObject, &o)) != CKR_OK) {
		cid_session_put(&s);
		return rv;
	}

	cid_mutex_lock(s->slot->lock);
	if ((rv = check_changes(s, o, pTemplate, ulCount)) == CKR_OK &&
	    (rv = cid_attrs_copy(&next, &o->attrs)) == CKR_OK &&
	    (rv = apply_changes(&next, pTemplate, ulCount)) == CKR_OK &&
	    !cid_attrs_equal(&next, &o->attrs)) {
		/* Stored first: the cache never shows what the token lacks. */
		if (o->on_token && (rv = cid_slot_token(s->slot, &tok)) == CKR_OK)
			rv = cid_tok_update_object(tok, o->store_id, &next);
		if (rv == CKR_OK)
			cid_obj_replace_attrs(s->slot, o, &next);
	}
	cid_mutex_unlock(s->slot->lock);
	cid_attrs_clear(&next);
	cid_obj_put(&o);
	cid_session_put(&s);
	return rv;
}

/* ---- searching ---------------------------------------------------------- */

/* Template matching never looks at values the object would not reveal,
 * or a search could be used to guess a secret. */
static bool matches(const cid_object *o, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++) {
		const CK_ATTRIBUTE *at;

		if (!cid_rules_readable(&o->attrs, t[i].type) || !(at = cid_attrs_get(&o->attrs, t[i].type)))
			return false;
		if (cid_attr_kind_of(t[i].type) == CID_AK_BOOL && at->ulValueLen == sizeof(CK_BBOOL) &&
		    t[i].ulValueLen == sizeof(CK_BBOOL) && t[i].pValue) {
			if ((*(CK_BBOOL *)t[i].pValue != CK_FALSE) != (*(CK_BBOOL *)at->pValue != CK_FALSE))
				return false;
			continue;
		}
		if (at->ulValueLen != t[i].ulValueLen)
			return false;
		if (at->ulValueLen && (!t[i].pValue || memcmp(at->pValue, t[i].pValue, at->ulValueLen) != 0))
			return false;
	}
	return true;
}

static int cmp_handle(const void *a, const void *b)
{
	CK_OBJECT_HANDLE x = *(const CK_OBJECT_HANDLE *)a, y = *(const CK_OBJECT_HANDLE *)b;
	return x < y ? -1 : x > y;
}

/* The handles of visible matching objects, in creation order
 * (slot->lock held).  The index gives the candidates when the template
 * names an indexed attribute; otherwise every object is one. */
static CK_RV snapshot(cid_slot *slot, const CK_ATTRIBUTE *t, CK_ULONG n,
                      CK_OBJECT_HANDLE **out, size_t *count)
{
	CK_OBJECT_HANDLE *v;
	size_t k = 0, cand;
	cid_object *o;
	int kind;
	CK_RV rv = cid_objs_sync(slot);

	if (rv != CKR_OK)
		return rv;
	cand = cid_ix_select(&slot->index, t, n, &o, &kind);
	if (!(v = malloc(((cand == SIZE_MAX ? slot->objects.used : cand) + 1) * sizeof(*v))))
		return CKR_HOST_MEMORY;
	if (cand != SIZE_MAX) {
		for (; o; o = cid_ix_next(o, kind))
			if (cid_obj_visible(o) && matches(o, t, n))
				v[k++] = o->handle;
	} else {
		uint64_t key;
		void *val;

		for (size_t i = 0; cid_hmap_next(&slot->objects, &i, &key, &val);)
			if (cid_obj_visible(val) && matches(val, t, n))
				v[k++] = ((cid_object *)val)->handle;
	}
	qsort(v, k, sizeof(*v), cmp_handle);
	*out = v;
	*count = k;
	return CKR_OK;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
                        CK_ULONG ulCount)
{
	cid_session *s;
	CK_RV rv;

	if ((rv = enter_session(hSession, &s)) != CKR_OK)
		return rv;
	if (!pTemplate && ulCount) {
		cid_session_put(&s);
		return CKR_ARGUMENTS_BAD;
	}
	cid_mutex_lock(s->lock);
	if (s->finding) {
		rv = CKR_OPERATION_ACTIVE;
	} else {
		CK_OBJECT_HANDLE *found = NULL;
		size_t n = 0;

		cid_mutex_lock(s->slot->lock);
		rv = snapshot(s->slot, pTemplate, ulCount, &found, &n);
		cid_mutex_unlock(s->slot->lock);
		if (rv == CKR_OK) {
			s->found = found;
			s->nfound = n;
			s->found_pos = 0;
			s->finding = true;
		}
	}
	cid_mutex_unlock(s->lock);
	cid_session_put(&s);
	return rv;
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
                    CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	cid_session *s;
	CK_RV rv;

	if ((rv = enter_session(hSession, &s)) != CKR_OK)
		return rv;
	if (!pulObjectCount || (!phObject && ulMaxObjectCount)) {
		cid_session_put(&s);
		return CKR_ARGUMENTS_BAD;
	}
	cid_mutex_lock(s->lock);
	if (!s->finding) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		CK_ULONG k = 0;

		/* Objects destroyed or hidden (logout) since the snapshot are
		 * skipped rather than returned as dead handles. */
		cid_mutex_lock(s->slot->lock);
		while (k < ulMaxObjectCount && s->found_pos < s->nfound) {
			CK_OBJECT_HANDLE h = s->found[s->found_pos++];
			const cid_object *o = cid_hmap_get(&s->slot->objects, h);
			if (o && cid_obj_visible(o))
				phObject[k++] = h;
		}
		cid_mutex_unlock(s->slot->lock);
		*pulObjectCount = k;
	}
	cid_mutex_unlock(s->lock);
	cid_session_put(&s);
	return rv;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	cid_session *s;
	CK_RV rv;

	if ((rv = enter_session(hSession, &s)) != CKR_OK)
		return rv;
	cid_mutex_lock(s->lock);
	if (!s->finding) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		free(s->found);
		s->found = NULL;
		s->nfound = s->found_pos = 0;
		s->finding = false;
	}
	cid_mutex_unlock(s->lock);
	cid_session_put(&s);
	return rv;
}
