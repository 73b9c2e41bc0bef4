/* Object creation and destruction: the caller's template and what the
 * module made, through the attribute rules of attr_*.c, then the session
 * and login checks, then the token (for token objects) before the cache,
 * so that the cache never shows what the token does not hold. */
#include <string.h>

#include "careid/careid.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "p11/objects.h"

/* CKA_UNIQUE_ID: random, so that ids stay unique across tokens and
 * across re-initialisations of one token. */
static CK_RV set_unique_id(cid_attrs *a)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t rnd[16];
	char uid[2 * sizeof(rnd)];
	CK_RV rv = cid_random(rnd, sizeof(rnd));

	if (rv != CKR_OK)
		return rv;
	for (size_t i = 0; i < sizeof(rnd); i++) {
		uid[2 * i] = hex[rnd[i] >> 4];
		uid[2 * i + 1] = hex[rnd[i] & 15];
	}
	return cid_attrs_set(a, CKA_UNIQUE_ID, uid, sizeof(uid));
}

/* Big integers compare by value: a caller may send leading zeros. */
static bool same_bytes(CK_ATTRIBUTE_TYPE type, const CK_ATTRIBUTE *a, const CK_ATTRIBUTE *b)
{
	const uint8_t *x = a->pValue, *y = b->pValue;
	CK_ULONG xn = a->ulValueLen, yn = b->ulValueLen;

	if (type == CKA_PUBLIC_EXPONENT) {
		while (xn && !*x) x++, xn--;
		while (yn && !*y) y++, yn--;
	}
	return xn == yn && (xn == 0 || memcmp(x, y, xn) == 0);
}

/* The object's attributes before the rules: for a copy, the source's
 * attributes changed by the template; otherwise the template plus what
 * the module made, which the template may restate but not contradict. */
static CK_RV assemble(cid_origin origin, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                      const cid_attrs *made, cid_attrs *a)
{
	CK_RV rv;

	if (origin == CID_ORIGIN_COPY) {
		if (made && (rv = cid_attrs_copy(a, made)) != CKR_OK)
			return rv;
		cid_attrs_remove(a, CKA_UNIQUE_ID);
		return cid_attrs_add_template(a, tmpl, n);
	}
	if ((rv = cid_attrs_add_template(a, tmpl, n)) != CKR_OK)
		return rv;
	for (size_t i = 0; made && i < made->n; i++) {
		const CK_ATTRIBUTE *m = &made->v[i];
		const CK_ATTRIBUTE *t = cid_tmpl_find(tmpl, n, m->type);

		if (t && !same_bytes(m->type, t, m)) {
			CID_WARN("refused: template attribute 0x%lx contradicts the made object",
			         (unsigned long)m->type);
			return CKR_TEMPLATE_INCONSISTENT;
		}
		if ((rv = cid_attrs_set(a, m->type, m->pValue, m->ulValueLen)) != CKR_OK)
			return rv;
	}
	return CKR_OK;
}

/* The checks that depend on the session and login state (slot->lock held). */
static CK_RV may_create(cid_session *s, const cid_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	const CK_ATTRIBUTE *tr = cid_tmpl_find(tmpl, n, CKA_TRUSTED);

	if (cid_attrs_bool(a, CKA_TOKEN, false) && !cid_session_rw(s)) {
		CID_WARN("refused: token object in a read-only session");
		return CKR_SESSION_READ_ONLY;
	}
	if (cid_attrs_bool(a, CKA_PRIVATE, true) && cid_slot_who(s->slot) != CKU_USER) {
		CID_WARN("refused: private object without user login");
		return CKR_USER_NOT_LOGGED_IN;
	}
	if (tr && tr->ulValueLen == sizeof(CK_BBOOL) && *(CK_BBOOL *)tr->pValue &&
	    cid_slot_who(s->slot) != CKU_SO) {
		CID_WARN("refused: only the security officer may mark objects trusted");
		return CKR_ATTRIBUTE_READ_ONLY;
	}
	return CKR_OK;
}

static CK_RV store(cid_session *s, cid_attrs *a, CK_OBJECT_HANDLE *out)
{
	cid_slot *slot = s->slot;
	cid_object *o;
	uint64_t id = 0;
	cid_tok *tok = NULL;
	CK_RV rv;

	if (cid_attrs_bool(a, CKA_TOKEN, false)) {
		/* Load first, so that the first load cannot report the new
		 * object a second time under another handle. */
		if ((rv = cid_objs_sync(slot)) != CKR_OK || (rv = cid_slot_token(slot, &tok)) != CKR_OK)
			return rv;
		if ((rv = cid_tok_create_object(tok, a, &id)) != CKR_OK) {
			CID_WARN("the token refused to store the object (0x%lx)", (unsigned long)rv);
			return rv;
		}
	}
	if (!(o = cid_obj_alloc(slot, a))) {
		if (id)
			(void)cid_tok_destroy_object(tok, id);
		return CKR_HOST_MEMORY;
	}
	o->store_id = id;
	o->owner = o->on_token ? 0 : s->handle;
	if ((rv = cid_obj_insert(slot, o)) != CKR_OK) {
		if (id)
			(void)cid_tok_destroy_object(tok, id);
		cid_obj_put(&o);
		return rv;
	}
	*out = o->handle;
	return CKR_OK;
}

/* The lifecycle record is not an object the caller makes, but the token's
 * own (obj_record.c). */
static bool is_record(const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	const CK_ATTRIBUTE *c = cid_tmpl_find(tmpl, n, CKA_CLASS);

	return c && c->pValue && c->ulValueLen == sizeof(CK_OBJECT_CLASS) &&
	       *(const CK_OBJECT_CLASS *)c->pValue == CKO_CAREID_LIFECYCLE;
}

CK_RV cid_obj_new(cid_session *s, cid_origin origin, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                  const cid_attrs *made, CK_OBJECT_HANDLE *out)
{
	cid_attrs a = CID_ATTRS_INIT;
	CK_RV rv;

	if (n && !tmpl)
		return CKR_ARGUMENTS_BAD;
	if (origin == CID_ORIGIN_CREATE && is_record(tmpl, n))
		return cid_record_create(s, tmpl, n, out);
	if ((rv = cid_rules_template(tmpl, n, origin == CID_ORIGIN_COPY)) != CKR_OK)
		return rv;
	if ((rv = assemble(origin, tmpl, n, made, &a)) == CKR_OK &&
	    (rv = cid_rules_complete(origin, &a)) == CKR_OK)
		rv = set_unique_id(&a);
	if (rv != CKR_OK) {
		cid_attrs_clear(&a);
		return rv;
	}

	cid_mutex_lock(s->slot->lock);
	if ((rv = may_create(s, &a, tmpl, n)) == CKR_OK)
		rv = store(s, &a, out);
	cid_mutex_unlock(s->slot->lock);
	cid_attrs_clear(&a);
	return rv;
}

bool cid_slot_generates_keys(cid_slot *slot)
{
	cid_tok *tok;
	bool yes;

	cid_mutex_lock(slot->lock);
	yes = cid_slot_token(slot, &tok) == CKR_OK && cid_tok_generates_keys(tok);
	cid_mutex_unlock(slot->lock);
	return yes;
}

/* Template, rules and defaults of one half, before the token is asked. */
static CK_RV prepare_half(const CK_ATTRIBUTE *tmpl, CK_ULONG n, const cid_attrs *made, cid_attrs *a)
{
	CK_RV rv;

	if (n && !tmpl)
		return CKR_ARGUMENTS_BAD;
	if ((rv = cid_rules_template(tmpl, n, false)) == CKR_OK &&
	    (rv = assemble(CID_ORIGIN_TOKEN_GENERATE, tmpl, n, made, a)) == CKR_OK &&
	    (rv = cid_rules_complete(CID_ORIGIN_TOKEN_GENERATE, a)) == CKR_OK)
		rv = set_unique_id(a);
	return rv;
}

/* With slot->lock held. */
static CK_RV store_token_pair(cid_session *s, CK_MECHANISM_TYPE mech, cid_attrs *pub, cid_attrs *priv,
                              CK_OBJECT_HANDLE *hpub, CK_OBJECT_HANDLE *hpriv)
{
	cid_slot *slot = s->slot;
	cid_object *op, *ov;
	uint64_t pid = 0, vid = 0;
	cid_tok *tok;
	CK_RV rv;

	/* Load first, so that the first load cannot report the new keys a
	 * second time under other handles. */
	if ((rv = cid_objs_sync(slot)) != CKR_OK || (rv = cid_slot_token(slot, &tok)) != CKR_OK)
		return rv;
	if ((rv = cid_tok_generate_keypair(tok, mech, pub, priv, &pid, &vid)) != CKR_OK) {
		CID_WARN("the token did not generate the key pair (0x%lx)", (unsigned long)rv);
		return rv;
	}
	op = cid_obj_alloc(slot, pub);
	ov = op ? cid_obj_alloc(slot, priv) : NULL;
	if (ov == NULL) {
		/* The keys exist on the token and appear at the next load. */
		if (op)
			cid_obj_put(&op);
		slot->objects_loaded = false;
		return CKR_HOST_MEMORY;
	}
	op->store_id = pid;
	ov->store_id = vid;
	if ((rv = cid_obj_insert(slot, op)) != CKR_OK) {
		cid_obj_put(&op);
		cid_obj_put(&ov);
		slot->objects_loaded = false;
		return rv;
	}
	if ((rv = cid_obj_insert(slot, ov)) != CKR_OK) {
		cid_obj_put(&ov);
		slot->objects_loaded = false;
		return rv;
	}
	*hpub = op->handle;
	*hpriv = ov->handle;
	return CKR_OK;
}

CK_RV cid_obj_new_token_pair(cid_session *s, CK_MECHANISM_TYPE mech, const CK_ATTRIBUTE *pt,
                             CK_ULONG pn, const cid_attrs *pub_made, const CK_ATTRIBUTE *vt,
                             CK_ULONG vn, const cid_attrs *priv_made, CK_OBJECT_HANDLE *hpub,
                             CK_OBJECT_HANDLE *hpriv)
{
	cid_attrs pub = CID_ATTRS_INIT, priv = CID_ATTRS_INIT;
	CK_RV rv;

	if ((rv = prepare_half(pt, pn, pub_made, &pub)) == CKR_OK)
		rv = prepare_half(vt, vn, priv_made, &priv);
	if (rv == CKR_OK) {
		cid_mutex_lock(s->slot->lock);
		if ((rv = may_create(s, &pub, pt, pn)) == CKR_OK && (rv = may_create(s, &priv, vt, vn)) == CKR_OK)
			rv = store_token_pair(s, mech, &pub, &priv, hpub, hpriv);
		cid_mutex_unlock(s->slot->lock);
	}
	cid_attrs_clear(&pub);
	cid_attrs_clear(&priv);
	return rv;
}

CK_RV cid_obj_destroy(cid_session *s, CK_OBJECT_HANDLE h)
{
	cid_slot *slot = s->slot;
	cid_object *o;
	cid_tok *tok;
	CK_RV rv = CKR_OK;

	cid_mutex_lock(slot->lock);
	o = h == CK_INVALID_HANDLE ? NULL : cid_hmap_get(&slot->objects, h);
	if (!o || !cid_obj_visible(o)) {
		rv = CKR_OBJECT_HANDLE_INVALID;
	} else if (o->synthetic || !cid_attrs_bool(&o->attrs, CKA_DESTROYABLE, true)) {
		CID_WARN("refused: object %lu is not destroyable", (unsigned long)h);
		rv = CKR_ACTION_PROHIBITED;
	} else if (o->on_token && !cid_session_rw(s)) {
		CID_WARN("refused: destroying a token object in a read-only session");
		rv = CKR_SESSION_READ_ONLY;
	} else if (o->on_token) {
		if ((rv = cid_slot_token(slot, &tok)) == CKR_OK)
			rv = cid_tok_destroy_object(tok, o->store_id);
	}
	if (rv == CKR_OK)
		cid_obj_remove(slot, o);
	cid_mutex_unlock(slot->lock);
	return rv;
}
