/* The chains behind objindex.h.  Each kind has a map from key to a head
 * that counts its chain, so that a search picks the shortest of the chains
 * its template names.  Chains are doubly linked through the objects, so
 * filing and unfiling never walk a chain: destroying one of 10,000
 * certificates that share a CKA_CLASS costs the same as destroying the
 * only one. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p11/objindex.h"

typedef struct ix_head {
	cid_object *first;
	size_t n;
} ix_head;

/* The kinds filed by an attribute come first. */
static const CK_ATTRIBUTE_TYPE kind_attr[CID_IX_OWNER] = {
	[CID_IX_CLASS] = CKA_CLASS,
	[CID_IX_ID] = CKA_ID,
	[CID_IX_LABEL] = CKA_LABEL,
};

void cid_ix_init(cid_objindex *ix)
{
	for (int k = 0; k < CID_IX_COUNT; k++)
		cid_hmap_init(&ix->by[k]);
	ix->broken = false;
}

/* FNV-1a over the value, finished with a mix; never 0 or UINT64_MAX, which
 * the map reserves. */
static uint64_t value_key(const void *val, CK_ULONG len)
{
	const unsigned char *p = val;
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)len;

	for (CK_ULONG i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	if (h == 0 || h == UINT64_MAX)
		h = 1;
	return h;
}

static uint64_t object_key(const cid_object *o, int kind)
{
	const CK_ATTRIBUTE *at;

	if (kind == CID_IX_OWNER)
		return !o->on_token && o->owner != 0 && o->owner != UINT64_MAX ? (uint64_t)o->owner : 0;
	if (kind == CID_IX_STORE)
		return o->on_token && !o->synthetic && o->store_id != UINT64_MAX ? o->store_id : 0;
	at = cid_attrs_get(&o->attrs, kind_attr[kind]);
	if (!at || (at->ulValueLen && !at->pValue))
		return 0;
	return value_key(at->pValue, at->ulValueLen);
}

static void unlink_one(cid_objindex *ix, cid_object *o, int kind)
{
	cid_ix_link *l = &o->ix[kind];
	ix_head *h;

	if (l->key == 0)
		return;
	h = cid_hmap_get(&ix->by[kind], l->key);
	if (l->prev)
		l->prev->ix[kind].next = l->next;
	else if (h)
		h->first = l->next;
	if (l->next)
		l->next->ix[kind].prev = l->prev;
	if (h && --h->n == 0) {
		cid_hmap_del(&ix->by[kind], l->key);
		free(h);
	}
	*l = (cid_ix_link){ 0 };
}

static bool link_one(cid_objindex *ix, cid_object *o, int kind)
{
	uint64_t key = object_key(o, kind);
	ix_head *h;

	if (key == 0)
		return true;
	h = cid_hmap_get(&ix->by[kind], key);
	if (!h) {
		if (!(h = calloc(1, sizeof(*h))))
			return false;
		if (cid_hmap_put(&ix->by[kind], key, h) != 0) {
			free(h);
			return false;
		}
	}
	o->ix[kind] = (cid_ix_link){ NULL, h->first, key };
	if (h->first)
		h->first->ix[kind].prev = o;
	h->first = o;
	h->n++;
	return true;
}

void cid_ix_del(cid_objindex *ix, cid_object *o)
{
	if (!o->indexed)
		return;
	for (int k = 0; k < CID_IX_COUNT; k++)
		unlink_one(ix, o, k);
	o->indexed = false;
}

void cid_ix_add(cid_objindex *ix, cid_object *o)
{
	if (ix->broken || o->indexed)
		return;
	memset(o->ix, 0, sizeof(o->ix));
	o->indexed = true;
	for (int k = 0; k < CID_IX_COUNT; k++)
		if (!link_one(ix, o, k)) {
			cid_ix_del(ix, o);
			ix->broken = true;
			CID_WARN("out of memory for the object index: searches scan every object");
			return;
		}
}

void cid_ix_free(cid_objindex *ix)
{
	for (int k = 0; k < CID_IX_COUNT; k++) {
		uint64_t key;
		void *v;

		for (size_t i = 0; cid_hmap_next(&ix->by[k], &i, &key, &v);)
			free(v);
		cid_hmap_free(&ix->by[k]);
	}
	ix->broken = false;
}

size_t cid_ix_select(const cid_objindex *ix, const CK_ATTRIBUTE *t, CK_ULONG n, cid_object **first,
                     int *kind)
{
	size_t best = SIZE_MAX;

	*first = NULL;
	*kind = CID_IX_CLASS;
	if (ix->broken)
		return SIZE_MAX;
	for (CK_ULONG i = 0; i < n && best != 0; i++) {
		const ix_head *h;
		int k;

		for (k = 0; k < CID_IX_OWNER && kind_attr[k] != t[i].type; k++)
			;
		/* A NULL value with a length matches nothing; matching decides. */
		if (k == CID_IX_OWNER || (t[i].ulValueLen && !t[i].pValue))
			continue;
		h = cid_hmap_get(&ix->by[k], value_key(t[i].pValue, t[i].ulValueLen));
		if (!h) {
			best = 0;
			*first = NULL;
		} else if (h->n < best) {
			best = h->n;
			*first = h->first;
			*kind = k;
		}
	}
	return best;
}

static cid_object *first_under(const cid_objindex *ix, int kind, uint64_t key, bool *usable)
{
	const ix_head *head;

	*usable = !ix->broken;
	if (ix->broken || key == 0 || key == UINT64_MAX)
		return NULL;
	head = cid_hmap_get(&ix->by[kind], key);
	return head ? head->first : NULL;
}

cid_object *cid_ix_owned(const cid_objindex *ix, CK_SESSION_HANDLE h, bool *usable)
{
	return first_under(ix, CID_IX_OWNER, (uint64_t)h, usable);
}

cid_object *cid_ix_stored(const cid_objindex *ix, uint64_t id, bool *usable)
{
	return first_under(ix, CID_IX_STORE, id, usable);
}
