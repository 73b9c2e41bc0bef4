#include <stdlib.h>
#include <string.h>

#include "common/attrs.h"
#include "common/mem.h"

void cid_attrs_init(cid_attrs *a)
{
	a->v = NULL;
	a->n = 0;
	a->cap = 0;
}

void cid_attrs_clear(cid_attrs *a)
{
	for (size_t i = 0; i < a->n; i++)
		cid_free_secret(&a->v[i].pValue, a->v[i].ulValueLen);
	free(a->v);
	cid_attrs_init(a);
}

static CK_ATTRIBUTE *find(const cid_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].type == t)
			return &a->v[i];
	return NULL;
}

CK_RV cid_attrs_set(cid_attrs *a, CK_ATTRIBUTE_TYPE t, const void *val, CK_ULONG len)
{
	CK_ATTRIBUTE *slot = find(a, t);
	void *copy;

	if (val == NULL && len != 0)
		return CKR_ARGUMENTS_BAD;
	copy = cid_memdup(val, len);
	if (copy == NULL)
		return CKR_HOST_MEMORY;
	if (slot == NULL) {
		if (a->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 16;
			CK_ATTRIBUTE *v = realloc(a->v, cap * sizeof(*v));

			if (v == NULL) {
				free(copy);
				return CKR_HOST_MEMORY;
			}
			a->v = v;
			a->cap = cap;
		}
		slot = &a->v[a->n++];
		slot->type = t;
	} else {
		cid_free_secret(&slot->pValue, slot->ulValueLen);
	}
	slot->pValue = copy;
	slot->ulValueLen = len;
	return CKR_OK;
}

CK_RV cid_attrs_set_bool(cid_attrs *a, CK_ATTRIBUTE_TYPE t, bool v)
{
	CK_BBOOL b = v ? CK_TRUE : CK_FALSE;

	return cid_attrs_set(a, t, &b, sizeof(b));
}

CK_RV cid_attrs_set_ulong(cid_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	return cid_attrs_set(a, t, &v, sizeof(v));
}

void cid_attrs_remove(cid_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	CK_ATTRIBUTE *slot = find(a, t);

	if (slot == NULL)
		return;
	cid_free_secret(&slot->pValue, slot->ulValueLen);
	*slot = a->v[--a->n];
}

const CK_ATTRIBUTE *cid_attrs_get(const cid_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	return find(a, t);
}

bool cid_attrs_bool(const cid_attrs *a, CK_ATTRIBUTE_TYPE t, bool dflt)
{
	const CK_ATTRIBUTE *at = find(a, t);

	if (at == NULL || at->ulValueLen != sizeof(CK_BBOOL))
		return dflt;
	return *(const CK_BBOOL *)at->pValue != CK_FALSE;
}

CK_RV cid_attrs_ulong(const cid_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG *out)
{
	const CK_ATTRIBUTE *at = find(a, t);

	if (at == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if (at->ulValueLen != sizeof(CK_ULONG))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(out, at->pValue, sizeof(CK_ULONG));
	return CKR_OK;
}

CK_RV cid_attrs_copy(cid_attrs *dst, const cid_attrs *src)
{
	cid_attrs tmp = CID_ATTRS_INIT;

	for (size_t i = 0; i < src->n; i++) {
		CK_RV rv = cid_attrs_set(&tmp, src->v[i].type, src->v[i].pValue, src->v[i].ulValueLen);

		if (rv != CKR_OK) {
			cid_attrs_clear(&tmp);
			return rv;
		}
	}
	cid_attrs_clear(dst);
	*dst = tmp;
	return CKR_OK;
}

CK_RV cid_attrs_add_template(cid_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	if (tmpl == NULL && n != 0)
		return CKR_ARGUMENTS_BAD;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_RV rv = cid_attrs_set(a, tmpl[i].type, tmpl[i].pValue, tmpl[i].ulValueLen);

		if (rv != CKR_OK)
			return rv;
	}
	return CKR_OK;
}

bool cid_attrs_match(const cid_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++) {
		const CK_ATTRIBUTE *at = find(a, tmpl[i].type);

		if (at == NULL || at->ulValueLen != tmpl[i].ulValueLen)
			return false;
		if (at->ulValueLen != 0 &&
		    (tmpl[i].pValue == NULL || memcmp(at->pValue, tmpl[i].pValue, at->ulValueLen) != 0))
			return false;
	}
	return true;
}

const CK_ATTRIBUTE *cid_tmpl_find(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE t)
{
	if (tmpl == NULL)
		return NULL;
	for (CK_ULONG i = 0; i < n; i++)
		if (tmpl[i].type == t)
			return &tmpl[i];
	return NULL;
}

/* ---- storage encoding --------------------------------------------------- */

#define ENC_HDR 12u   /* u64 type + u32 length */

static void put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

CK_RV cid_attrs_encode(const cid_attrs *a, uint8_t **out, size_t *outlen)
{
	size_t len = 0, off = 0;
	uint8_t *buf;

	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].ulValueLen > UINT32_MAX)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		len += ENC_HDR + a->v[i].ulValueLen;
	}
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		return CKR_HOST_MEMORY;
	for (size_t i = 0; i < a->n; i++) {
		put_be(buf + off, a->v[i].type, 8);
		put_be(buf + off + 8, a->v[i].ulValueLen, 4);
		off += ENC_HDR;
		if (a->v[i].ulValueLen != 0)
			memcpy(buf + off, a->v[i].pValue, a->v[i].ulValueLen);
		off += a->v[i].ulValueLen;
	}
	*out = buf;
	*outlen = len;
	return CKR_OK;
}

CK_RV cid_attrs_decode(cid_attrs *a, const uint8_t *in, size_t len)
{
	cid_attrs tmp = CID_ATTRS_INIT;
	size_t off = 0;

	if (in == NULL && len != 0)
		return CKR_DATA_INVALID;
	while (off < len) {
		uint64_t type, vlen;
		CK_RV rv;

		if (len - off < ENC_HDR)
			goto bad;
		type = get_be(in + off, 8);
		vlen = get_be(in + off + 8, 4);
		off += ENC_HDR;
		if (vlen > len - off || find(&tmp, (CK_ATTRIBUTE_TYPE)type) != NULL)
			goto bad;
		rv = cid_attrs_set(&tmp, (CK_ATTRIBUTE_TYPE)type, in + off, (CK_ULONG)vlen);
		if (rv != CKR_OK) {
			cid_attrs_clear(&tmp);
			return rv;
		}
		off += vlen;
	}
	cid_attrs_clear(a);
	*a = tmp;
	return CKR_OK;
bad:
	cid_attrs_clear(&tmp);
	return CKR_DATA_INVALID;
}
