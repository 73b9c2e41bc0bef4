/* An owned, growable set of PKCS#11 attributes: the representation of every
 * object's attributes in the front, the soft token and the crypto layer.
 *
 * Values are copied in and owned by the set.  Clearing wipes every value,
 * because key material travels in these sets.  Each type appears at most
 * once.  Array attributes (CKF_ARRAY_ATTRIBUTE, e.g. CKA_WRAP_TEMPLATE) are
 * not stored: callers refuse them before they get here. */
#ifndef CAREID_COMMON_ATTRS_H
#define CAREID_COMMON_ATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkcs11.h"

typedef struct cid_attrs {
	CK_ATTRIBUTE *v;
	size_t n;
	size_t cap;
} cid_attrs;

#define CID_ATTRS_INIT { NULL, 0, 0 }

void cid_attrs_init(cid_attrs *a);
void cid_attrs_clear(cid_attrs *a);
/* Adds or replaces.  CKR_HOST_MEMORY on allocation failure (set unchanged). */
CK_RV cid_attrs_set(cid_attrs *a, CK_ATTRIBUTE_TYPE t, const void *val, CK_ULONG len);
CK_RV cid_attrs_set_bool(cid_attrs *a, CK_ATTRIBUTE_TYPE t, bool v);
CK_RV cid_attrs_set_ulong(cid_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v);
void cid_attrs_remove(cid_attrs *a, CK_ATTRIBUTE_TYPE t);
const CK_ATTRIBUTE *cid_attrs_get(const cid_attrs *a, CK_ATTRIBUTE_TYPE t);
/* The CK_BBOOL value, or dflt when absent or malformed. */
bool cid_attrs_bool(const cid_attrs *a, CK_ATTRIBUTE_TYPE t, bool dflt);
/* CKR_TEMPLATE_INCOMPLETE when absent, CKR_ATTRIBUTE_VALUE_INVALID when not
 * a CK_ULONG. */
CK_RV cid_attrs_ulong(const cid_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG *out);
CK_RV cid_attrs_copy(cid_attrs *dst, const cid_attrs *src);
/* Sets every attribute of a caller's template (values copied). */
CK_RV cid_attrs_add_template(cid_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* True when every attribute of tmpl is present with an equal value. */
bool cid_attrs_match(const cid_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n);

/* Flat, architecture-independent encoding for storage:
 * repeated { u64be type, u32be len, value }.  CK_ULONG and CK_BBOOL values
 * are stored as the caller gave them (native CK_ULONG), which is fine for a
 * token file used on one machine. */
CK_RV cid_attrs_encode(const cid_attrs *a, uint8_t **out, size_t *outlen);
/* CKR_DATA_INVALID on a malformed encoding; never reads out of bounds. */
CK_RV cid_attrs_decode(cid_attrs *a, const uint8_t *in, size_t len);

/* Looks a type up in a caller's template (NULL when absent). */
const CK_ATTRIBUTE *cid_tmpl_find(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE t);

#endif
