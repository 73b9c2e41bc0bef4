/* Lookups in a slot's object cache that do not walk every object.
 *
 * An object is filed under the exact bytes of its CKA_CLASS, CKA_ID and
 * CKA_LABEL, a session object under its owning session, and a token
 * object under its backend id.  The index
 * only narrows: a search still checks each candidate against the whole
 * template, so two values sharing a hash cost a comparison, never a wrong
 * answer.  All calls with slot->lock held. */
#ifndef CAREID_P11_OBJINDEX_H
#define CAREID_P11_OBJINDEX_H

#include <stddef.h>

#include "p11/internal.h"

void cid_ix_init(cid_objindex *ix);
/* Files o under its keys.  An allocation failure marks the index broken
 * (searches fall back to a scan) instead of failing the caller. */
void cid_ix_add(cid_objindex *ix, cid_object *o);
/* Takes o out of every chain it is in; a no-op for an unfiled object. */
void cid_ix_del(cid_objindex *ix, cid_object *o);
/* Forgets every chain; objects still filed must be dropped with it. */
void cid_ix_free(cid_objindex *ix);

/* The candidates for a template: SIZE_MAX when no indexed attribute can
 * narrow it (the caller scans), else their number, the first in *first
 * and the chain to follow in *kind (cid_ix_next). */
size_t cid_ix_select(const cid_objindex *ix, const CK_ATTRIBUTE *t, CK_ULONG n, cid_object **first,
                     int *kind);
static inline cid_object *cid_ix_next(const cid_object *o, int kind)
{
	return o->ix[kind].next;
}
/* The first session object owned by session h (follow CID_IX_OWNER), or
 * NULL; *usable is false when the index is broken and the caller scans. */
cid_object *cid_ix_owned(const cid_objindex *ix, CK_SESSION_HANDLE h, bool *usable);
/* The token object the backend knows as id (follow CID_IX_STORE: there is
 * at most one), or NULL; *usable as above. */
cid_object *cid_ix_stored(const cid_objindex *ix, uint64_t id, bool *usable);

#endif
