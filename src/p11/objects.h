/* What objstore.c, the attr_*.c files and object_api.c share beyond
 * internal.h: the attribute description table and the checks on a
 * caller's raw template.  Nothing outside these files needs it. */
#ifndef CAREID_P11_OBJECTS_H
#define CAREID_P11_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include "p11/internal.h"

/* How a value is encoded, so that lengths can be checked once. */
typedef enum {
	CID_AK_BYTES,   /* any length */
	CID_AK_BOOL,    /* exactly sizeof(CK_BBOOL) */
	CID_AK_ULONG,   /* exactly sizeof(CK_ULONG) */
	CID_AK_DATE,    /* empty or a CK_DATE of digits */
} cid_attr_kind;

/* Who may change an attribute, and when. */
enum {
	CID_AF_FIXED    = 1u << 0, /* given at creation only */
	CID_AF_COPY     = 1u << 1, /* fixed, except in C_CopyObject */
	CID_AF_MODULE   = 1u << 2, /* the module sets it; never the caller */
	CID_AF_TO_TRUE  = 1u << 3, /* may only go from false to true */
	CID_AF_TO_FALSE = 1u << 4, /* may only go from true to false */
	CID_AF_SECRET   = 1u << 5, /* hidden when sensitive or unextractable */
	CID_AF_SO       = 1u << 6, /* only the security officer may set it true */
};

typedef struct cid_attr_rule {
	CK_ATTRIBUTE_TYPE type;
	cid_attr_kind kind;
	unsigned flags;
} cid_attr_rule;

/* attr_table.c: the rule for t on an object of class cls (and key type kt
 * for keys), or NULL when the attribute does not belong to such objects. */
const cid_attr_rule *cid_rule_find(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, CK_ATTRIBUTE_TYPE t);
/* The encoding of t whatever the class (CID_AK_BYTES when unknown). */
cid_attr_kind cid_attr_kind_of(CK_ATTRIBUTE_TYPE t);
/* CKR_ATTRIBUTE_VALUE_INVALID when the value does not fit the kind. */
CK_RV cid_attr_check_value(const CK_ATTRIBUTE *at);

/* attr_defaults.c: adds the defaults of the class and key type for every
 * attribute the set does not have. */
CK_RV cid_rules_defaults(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, cid_attrs *a);

/* attr_material.c: class-specific derivations at creation (certificate
 * fields from CKA_VALUE, public parts and sizes of keys). */
CK_RV cid_rules_cert(cid_attrs *a);
CK_RV cid_rules_key(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, cid_attrs *a);

/* attr_rules.c: checks a caller's raw template before it is copied into a
 * set: array attributes, NULL values with a length, bad lengths, module-set
 * attributes (unless copying), conflicting duplicates. */
CK_RV cid_rules_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n, bool copying);
/* Whether two sets hold the same attributes with the same values. */
bool cid_attrs_equal(const cid_attrs *a, const cid_attrs *b);

/* objstore.c: whether the object may be seen in the slot's login state
 * (slot->lock held). */
bool cid_obj_visible(const cid_object *o);
/* A new object taking over attrs (left empty); NULL when out of memory. */
cid_object *cid_obj_alloc(cid_slot *slot, cid_attrs *attrs);
/* Gives the object a fresh handle in the slot's map (slot->lock held). */
CK_RV cid_obj_insert(cid_slot *slot, cid_object *o);
/* Ends the object's life in the cache; holders of references keep it. */
void cid_obj_remove(cid_slot *slot, cid_object *o);
/* Gives the object the attributes in next and leaves its old ones there
 * (slot->lock held); its cached key is dropped. */
void cid_obj_replace_attrs(cid_slot *slot, cid_object *o, cid_attrs *next);

/* obj_record.c: the lifecycle object (careid.h).  sync makes it follow
 * the token's record and login (slot->lock held); create is
 * C_CreateObject of that class. */
CK_RV cid_record_sync(cid_slot *slot);
CK_RV cid_record_create(cid_session *s, const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out);

#endif
