/* The per-slot object cache: token objects as the backend reported them,
 * the application's session objects, and the token's CKO_PROFILE object.
 *
 * Handles come from one module-wide counter and are never reused, so a
 * stale handle can never name a different object.  The slot's map holds
 * one reference to each live object; lookups take another, so an object
 * removed while a signature is running stays valid for that signature.
 *
 * Which handles die when (written down here because the spec spreads it
 * over several sections):
 *   C_DestroyObject        that object
 *   C_CloseSession         the session objects that session created
 *   C_Logout               every private object, token or session, forever
 *                          (after the next login they get new handles)
 *   another process        token objects it destroyed; objects it only
 *                          changed keep their handles (matched by store id)
 *   token removal / init   everything on the slot */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p11/objects.h"
#include "p11/objindex.h"

/* ---- objects ------------------------------------------------------------ */

static CK_OBJECT_HANDLE new_handle(void)
{
	CK_OBJECT_HANDLE h;

	do
		h = (CK_OBJECT_HANDLE)atomic_fetch_add(&cid_m.next_object, 1) + 1;
	while (h == CK_INVALID_HANDLE);
	return h;
}

/* Reads the fields cached outside the attribute set. */
static void refresh_fields(cid_object *o)
{
	CK_ULONG cls = CKO_DATA;

	(void)cid_attrs_ulong(&o->attrs, CKA_CLASS, &cls);
	o->cls = cls;
	o->on_token = cid_attrs_bool(&o->attrs, CKA_TOKEN, false);
	o->is_private = cid_attrs_bool(&o->attrs, CKA_PRIVATE, true);
}

/* Takes over attrs (left empty). */
cid_object *cid_obj_alloc(cid_slot *slot, cid_attrs *attrs)
{
	cid_object *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	atomic_init(&o->refs, 1);
	o->slot = slot;
	o->attrs = *attrs;
	cid_attrs_init(attrs);
	refresh_fields(o);
	return o;
}

static void obj_free(cid_object *o)
{
	cid_attrs_clear(&o->attrs);
	cid_key_unref(&o->key);
	free(o);
}

void cid_obj_put(cid_object **o)
{
	if (!o || !*o)
		return;
	if (atomic_fetch_sub(&(*o)->refs, 1) == 1)
		obj_free(*o);
	*o = NULL;
}

CK_RV cid_obj_insert(cid_slot *slot, cid_object *o)
{
	o->handle = new_handle();
	if (cid_hmap_put(&slot->objects, o->handle, o) != 0)
		return CKR_HOST_MEMORY;
	cid_ix_add(&slot->index, o);
	return CKR_OK;
}

/* Ends an object's life in the cache; holders of references keep it. */
void cid_obj_remove(cid_slot *slot, cid_object *o)
{
	o->dead = true;
	cid_ix_del(&slot->index, o);
	cid_hmap_del(&slot->objects, o->handle);
	cid_obj_put(&o);
}

/* Every change of a cached object's attributes comes here, so that the
 * fields read from them, the index and the key built from them follow. */
void cid_obj_replace_attrs(cid_slot *slot, cid_object *o, cid_attrs *next)
{
	cid_attrs old = o->attrs;

	cid_ix_del(&slot->index, o);
	o->attrs = *next;
	*next = old;
	refresh_fields(o);
	cid_key_unref(&o->key);
	cid_ix_add(&slot->index, o);
}

/* After an allocation failure left the index incomplete. */
static void reindex(cid_slot *slot)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; cid_hmap_next(&slot->objects, &i, &k, &v);)
		cid_ix_del(&slot->index, v);
	cid_ix_free(&slot->index);
	for (size_t i = 0; cid_hmap_next(&slot->objects, &i, &k, &v) && !slot->index.broken;)
		cid_ix_add(&slot->index, v);
	if (!slot->index.broken)
		CID_INFO("slot %lu: object index rebuilt", (unsigned long)slot->id);
}

bool cid_obj_visible(const cid_object *o)
{
	return !o->dead && (!o->is_private || cid_slot_who(o->slot) == CKU_USER);
}

/* ---- the profile object ------------------------------------------------- */

/* NSS shows a token's certificates before login only when the token says
 * it is a "public certificates token"; this object says so. */
static CK_RV add_profile(cid_slot *slot)
{
	static const char uid[] = "careid-profile-public-certificates";
	cid_attrs a = CID_ATTRS_INIT;
	cid_object *o;
	CK_RV rv = cid_attrs_set_ulong(&a, CKA_CLASS, CKO_PROFILE);

	if (rv == CKR_OK) rv = cid_attrs_set_ulong(&a, CKA_PROFILE_ID, CKP_PUBLIC_CERTIFICATES_TOKEN);
	if (rv == CKR_OK) rv = cid_attrs_set_bool(&a, CKA_TOKEN, true);
	if (rv == CKR_OK) rv = cid_attrs_set_bool(&a, CKA_PRIVATE, false);
	if (rv == CKR_OK) rv = cid_attrs_set_bool(&a, CKA_MODIFIABLE, false);
	if (rv == CKR_OK) rv = cid_attrs_set_bool(&a, CKA_COPYABLE, false);
	if (rv == CKR_OK) rv = cid_attrs_set_bool(&a, CKA_DESTROYABLE, false);
	if (rv == CKR_OK) rv = cid_attrs_set(&a, CKA_LABEL, NULL, 0);
	if (rv == CKR_OK) rv = cid_attrs_set(&a, CKA_UNIQUE_ID, uid, sizeof(uid) - 1);
	if (rv != CKR_OK || !(o = cid_obj_alloc(slot, &a))) {
		cid_attrs_clear(&a);
		return CKR_HOST_MEMORY;
	}
	o->synthetic = true;
	if ((rv = cid_obj_insert(slot, o)) != CKR_OK)
		cid_obj_put(&o);
	return rv;
}

static bool has_profile(const cid_slot *slot)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; cid_hmap_next(&slot->objects, &i, &k, &v);)
		if (((cid_object *)v)->synthetic && ((cid_object *)v)->cls == CKO_PROFILE)
			return true;
	return false;
}

/* ---- loading from the backend ------------------------------------------- */

typedef struct {
	uint64_t id;
	cid_attrs attrs;
	bool used;
	bool gone;      /* a change report: the object no longer exists */
} loaded;

typedef struct {
	loaded *v;
	size_t n, cap;
} load_list;

static void load_list_free(load_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		cid_attrs_clear(&l->v[i].attrs);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* A backend that does not keep CKA_UNIQUE_ID (a card) still gets one that
 * is stable for the object: its store id. */
static CK_RV fill_loaded(uint64_t id, cid_attrs *a)
{
	CK_RV rv = CKR_OK;

	if (!cid_attrs_get(a, CKA_TOKEN))
		rv = cid_attrs_set_bool(a, CKA_TOKEN, true);
	if (rv == CKR_OK && !cid_attrs_get(a, CKA_UNIQUE_ID)) {
		char uid[24];
		int n = snprintf(uid, sizeof(uid), "s%016llx", (unsigned long long)id);
		rv = cid_attrs_set(a, CKA_UNIQUE_ID, uid, (CK_ULONG)n);
	}
	return rv;
}

static CK_RV load_sink(void *ctx, uint64_t id, const cid_attrs *attrs)
{
	load_list *l = ctx;
	CK_ULONG cls;
	CK_RV rv;

	if (id == 0 || (attrs && cid_attrs_ulong(attrs, CKA_CLASS, &cls) != CKR_OK)) {
		CID_WARN("skipped: stored object %llu has no valid class", (unsigned long long)id);
		return CKR_OK;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		loaded *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return CKR_HOST_MEMORY;
		l->v = v;
		l->cap = cap;
	}
	loaded *e = &l->v[l->n];
	e->id = id;
	e->used = false;
	e->gone = attrs == NULL;
	cid_attrs_init(&e->attrs);
	if (e->gone) {
		l->n++;
		return CKR_OK;
	}
	if ((rv = cid_attrs_copy(&e->attrs, attrs)) == CKR_OK)
		rv = fill_loaded(id, &e->attrs);
	if (rv != CKR_OK) {
		cid_attrs_clear(&e->attrs);
		return rv;
	}
	l->n++;
	return CKR_OK;
}

/* Brings the token objects in line with a fresh load: objects that are
 * still stored keep their handles (and lose their cached key if their
 * attributes changed), the others die, new ones get handles. */
static CK_RV merge_loaded(cid_slot *slot, load_list *l)
{
	cid_hmap idx;
	uint64_t k;
	void *v;
	CK_RV rv = CKR_OK;

	cid_hmap_init(&idx);
	for (size_t i = 0; i < l->n; i++)
		if (cid_hmap_put(&idx, l->v[i].id, &l->v[i]) != 0) {
			cid_hmap_free(&idx);
			return CKR_HOST_MEMORY;
		}

	for (size_t i = 0; cid_hmap_next(&slot->objects, &i, &k, &v);) {
		cid_object *o = v;
		loaded *e;

		if (!o->on_token || o->synthetic)
			continue;
		e = cid_hmap_get(&idx, o->store_id);
		if (!e || e->used) {
			cid_obj_remove(slot, o);
			continue;
		}
		e->used = true;
		if (!cid_attrs_equal(&o->attrs, &e->attrs))
			cid_obj_replace_attrs(slot, o, &e->attrs);
	}
	cid_hmap_free(&idx);

	for (size_t i = 0; i < l->n && rv == CKR_OK; i++) {
		cid_object *o;

		if (l->v[i].used)
			continue;
		if (!(o = cid_obj_alloc(slot, &l->v[i].attrs)))
			return CKR_HOST_MEMORY;
		o->store_id = l->v[i].id;
		o->on_token = true;
		if ((rv = cid_obj_insert(slot, o)) != CKR_OK)
			cid_obj_put(&o);
	}
	return rv;
}

/* The cached object the backend knows as id. */
static cid_object *stored(cid_slot *slot, uint64_t id)
{
	bool usable;
	cid_object *o = cid_ix_stored(&slot->index, id, &usable);
	uint64_t k;
	void *v;

	if (usable)
		return o;
	for (size_t i = 0; cid_hmap_next(&slot->objects, &i, &k, &v);) {
		o = v;
		if (o->on_token && !o->synthetic && o->store_id == id)
			return o;
	}
	return NULL;
}

/* Applies a report of changes only: the objects it does not name stay as
 * they are, with their handles. */
static CK_RV apply_changes(cid_slot *slot, load_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		cid_object *o = stored(slot, l->v[i].id);

		if (l->v[i].gone) {
			if (o)
				cid_obj_remove(slot, o);
		} else if (o) {
			if (!cid_attrs_equal(&o->attrs, &l->v[i].attrs))
				cid_obj_replace_attrs(slot, o, &l->v[i].attrs);
		} else {
			CK_RV rv;

			if (!(o = cid_obj_alloc(slot, &l->v[i].attrs)))
				return CKR_HOST_MEMORY;
			o->store_id = l->v[i].id;
			o->on_token = true;
			if ((rv = cid_obj_insert(slot, o)) != CKR_OK) {
				cid_obj_put(&o);
				return rv;
			}
		}
	}
	return CKR_OK;
}

/* A full load (changes_only false) or a report of changes. */
static CK_RV reload_as(cid_slot *slot, cid_tok *tok, bool changes_only)
{
	load_list l = { 0 };
	bool whole = true;
	CK_RV rv = changes_only ? cid_tok_load_changes(tok, load_sink, &l, &whole)
	                        : cid_tok_load_objects(tok, load_sink, &l);

	if (rv == CKR_OK && whole)
		rv = merge_loaded(slot, &l);
	else if (rv == CKR_OK)
		rv = apply_changes(slot, &l);
	/* A change report that could not be applied whole leaves the cache
	 * short of the backend's state: the next use loads everything. */
	if (rv != CKR_OK && changes_only)
		slot->objects_loaded = false;
	if (rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT)
		/* Not a fault: the backend has told of the removal. */
		CID_DEBUG("slot %lu: token gone while its objects were loaded", (unsigned long)slot->id);
	else if (rv != CKR_OK)
		CID_ERROR("slot %lu: the token's objects could not be read (0x%lx)", (unsigned long)slot->id,
		          (unsigned long)rv);
	load_list_free(&l);
	return rv;
}

static CK_RV reload(cid_slot *slot, cid_tok *tok)
{
	return reload_as(slot, tok, false);
}

static CK_RV sync(cid_slot *slot)
{
	cid_tok *tok;
	bool changed = false;
	CK_RV rv = cid_slot_token(slot, &tok);

	if (rv != CKR_OK)
		return rv;
	if (!slot->objects_loaded) {
		if (!has_profile(slot) && (rv = add_profile(slot)) != CKR_OK)
			return rv;
		if ((rv = reload(slot, tok)) == CKR_OK && (rv = cid_record_sync(slot)) == CKR_OK)
			slot->objects_loaded = true;
		return rv;
	}
	if ((rv = cid_tok_changed(tok, &changed)) != CKR_OK || !changed)
		return rv;
	CID_DEBUG("token objects changed elsewhere, loading the changes");
	return reload_as(slot, tok, true);
}

CK_RV cid_objs_sync(cid_slot *slot)
{
	CK_RV rv = sync(slot);

	if (slot->index.broken)
		reindex(slot);
	return rv;
}

static void drop_where(cid_slot *slot, bool (*pred)(const cid_object *, const void *), const void *arg)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; cid_hmap_next(&slot->objects, &i, &k, &v);)
		if (pred(v, arg))
			cid_obj_remove(slot, v);
}

static bool is_private_obj(const cid_object *o, const void *arg)
{
	(void)arg;
	return o->is_private && !o->synthetic;
}

static bool owned_by(const cid_object *o, const void *arg)
{
	return !o->on_token && o->owner == *(const CK_SESSION_HANDLE *)arg;
}

static bool any_obj(const cid_object *o, const void *arg)
{
	(void)o;
	(void)arg;
	return true;
}

CK_RV cid_objs_login_changed(cid_slot *slot)
{
	cid_tok *tok;
	CK_RV rv;

	/* Done before asking the backend, so that a failing reload cannot
	 * leave private handles usable after logout. */
	if (cid_slot_who(slot) != CKU_USER)
		drop_where(slot, is_private_obj, NULL);
	if (!slot->objects_loaded)
		return cid_objs_sync(slot);
	if ((rv = cid_slot_token(slot, &tok)) != CKR_OK)
		return rv;
	/* A failed reload is tried again at the next use of the objects, so
	 * that a login whose load failed once still shows its private
	 * objects later. */
	if ((rv = reload(slot, tok)) != CKR_OK || (rv = cid_record_sync(slot)) != CKR_OK)
		slot->objects_loaded = false;
	return rv;
}

void cid_objs_drop_all(cid_slot *slot)
{
	drop_where(slot, any_obj, NULL);
	cid_hmap_free(&slot->objects);
	cid_hmap_init(&slot->objects);
	cid_ix_free(&slot->index);
	cid_ix_init(&slot->index);
	slot->objects_loaded = false;
}

/* Walks only that session's objects, so closing a session costs the same
 * beside 10 or 10,000 token objects. */
void cid_objs_drop_session(cid_slot *slot, CK_SESSION_HANDLE owner)
{
	bool usable;
	cid_object *o = cid_ix_owned(&slot->index, owner, &usable);

	if (!usable) {
		drop_where(slot, owned_by, &owner);
		return;
	}
	while (o) {
		cid_object *next = cid_ix_next(o, CID_IX_OWNER);
		cid_obj_remove(slot, o);
		o = next;
	}
}

/* ---- access ------------------------------------------------------------- */

CK_RV cid_obj_get(cid_session *s, CK_OBJECT_HANDLE h, cid_object **out)
{
	cid_slot *slot = s->slot;
	cid_object *o;
	CK_RV rv = CKR_OBJECT_HANDLE_INVALID;

	*out = NULL;
	if (h == CK_INVALID_HANDLE)
		return rv;
	cid_mutex_lock(slot->lock);
	o = cid_hmap_get(&slot->objects, h);
	if (o && cid_obj_visible(o)) {
		atomic_fetch_add(&o->refs, 1);
		*out = o;
		rv = CKR_OK;
	}
	cid_mutex_unlock(slot->lock);
	return rv;
}

/* A private key the token keeps (a card's): the crypto layer calls back
 * here for the primitive.  The slot lock is held around the token call so
 * the token cannot be released under it; a card is a serial device, so
 * this costs nothing. */
typedef struct held_key {
	cid_slot *slot;
	uint64_t epoch;
	uint64_t store_id;
} held_key;

static CK_RV held_key_op(void *ctx, cid_ext_kind kind, const uint8_t *in, size_t inlen, uint8_t *out,
                         size_t *outlen)
{
	held_key *hk = ctx;
	CK_RV rv;

	cid_mutex_lock(hk->slot->lock);
	if (hk->slot->tok == NULL || hk->slot->epoch != hk->epoch)
		rv = CKR_DEVICE_REMOVED;
	else
		rv = cid_tok_key_op(hk->slot->tok, hk->store_id, kind, in, inlen, out, outlen);
	cid_mutex_unlock(hk->slot->lock);
	return rv;
}

static CK_RV build_key(cid_object *o, CK_KEY_TYPE kt)
{
	cid_tok *t = o->slot->tok;
	held_key *hk;
	CK_RV rv;

	if (o->cls != CKO_PRIVATE_KEY || !o->on_token || t == NULL || !cid_tok_holds_keys(t))
		return cid_key_from_attrs(o->cls, kt, &o->attrs, &o->key);
	hk = malloc(sizeof(*hk));
	if (hk == NULL)
		return CKR_HOST_MEMORY;
	*hk = (held_key){ o->slot, o->slot->epoch, o->store_id };
	rv = cid_key_external(kt, &o->attrs, held_key_op, hk, free, &o->key);
	if (rv != CKR_OK)
		free(hk);
	return rv;
}

CK_RV cid_obj_key(cid_object *o, cid_key **out)
{
	CK_KEY_TYPE kt;
	CK_RV rv = CKR_OK;

	*out = NULL;
	if (o->cls != CKO_PUBLIC_KEY && o->cls != CKO_PRIVATE_KEY)
		return CKR_KEY_HANDLE_INVALID;
	cid_mutex_lock(o->slot->lock);
	if (!o->key) {
		rv = cid_attrs_ulong(&o->attrs, CKA_KEY_TYPE, &kt);
		if (rv == CKR_OK)
			rv = build_key(o, kt);
		if (rv != CKR_OK)
			CID_WARN("object %lu: key cannot be built (0x%lx)", (unsigned long)o->handle,
			         (unsigned long)rv);
	}
	if (rv == CKR_OK)
		*out = cid_key_ref(o->key);
	cid_mutex_unlock(o->slot->lock);
	return rv;
}

CK_RV cid_obj_attr(cid_object *o, CK_ATTRIBUTE_TYPE t, void *buf, CK_ULONG *len)
{
	const CK_ATTRIBUTE *at;
	CK_RV rv = CKR_OK;

	cid_mutex_lock(o->slot->lock);
	at = cid_attrs_get(&o->attrs, t);
	if (!at) {
		rv = CKR_ATTRIBUTE_TYPE_INVALID;
	} else if (buf && *len < at->ulValueLen) {
		rv = CKR_BUFFER_TOO_SMALL;
	} else if (buf && at->ulValueLen) {
		memcpy(buf, at->pValue, at->ulValueLen);
	}
	if (at)
		*len = at->ulValueLen;
	cid_mutex_unlock(o->slot->lock);
	return rv;
}

bool cid_obj_bool(cid_object *o, CK_ATTRIBUTE_TYPE t, bool dflt)
{
	bool v;

	cid_mutex_lock(o->slot->lock);
	v = cid_attrs_bool(&o->attrs, t, dflt);
	cid_mutex_unlock(o->slot->lock);
	return v;
}
