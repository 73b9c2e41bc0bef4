#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/audit_chain.h"

static void put_be(uint8_t *b, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

CK_RV cid_audit_seed(cid_audit_sha256 h, const char *serial, uint8_t out[CID_AUDIT_HASH_LEN])
{
	/* The tag's terminating NUL is hashed too. */
	static const char tag[] = "careid/audit/v1";
	const cid_piece in[] = { { tag, sizeof(tag) }, { serial, strlen(serial) } };

	if (h == NULL || serial == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	return h(in, sizeof(in) / sizeof(in[0]), out);
}

/* Length-prefixed fields, so that no two different records hash alike. */
CK_RV cid_audit_record_hash(cid_audit_sha256 h, const uint8_t prev[CID_AUDIT_HASH_LEN], uint64_t seq,
                            int64_t at, const char *event, const char *detail,
                            uint8_t out[CID_AUDIT_HASH_LEN])
{
	uint8_t s8[8], t8[8], el[4], dl[4];
	size_t elen, dlen;

	if (h == NULL || prev == NULL || event == NULL || detail == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	elen = strlen(event);
	dlen = strlen(detail);
	put_be(s8, seq, 8);
	put_be(t8, (uint64_t)at, 8);
	put_be(el, (uint32_t)elen, 4);
	put_be(dl, (uint32_t)dlen, 4);
	const cid_piece in[] = {
		{ prev, CID_AUDIT_HASH_LEN }, { s8, 8 }, { t8, 8 }, { el, 4 },
		{ event, elen }, { dl, 4 }, { detail, dlen },
	};
	return h(in, sizeof(in) / sizeof(in[0]), out);
}

CK_RV cid_audit_walk_start(cid_audit_walk *w, cid_audit_sha256 h, const char *serial, cid_audit_check *chk)
{
	if (w == NULL || chk == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(w, 0, sizeof(*w));
	memset(chk, 0, sizeof(*chk));
	w->h = h;
	w->next = 1;
	w->chk = chk;
	return cid_audit_seed(h, serial, w->prev);
}

__attribute__((format(printf, 3, 4))) static CK_RV broken(cid_audit_walk *w, uint64_t at, const char *fmt, ...)
{
	va_list ap;

	w->chk->first_bad = at;
	va_start(ap, fmt);
	vsnprintf(w->chk->reason, sizeof(w->chk->reason), fmt, ap);
	va_end(ap);
	return CKR_SIGNATURE_INVALID;
}

CK_RV cid_audit_walk_step(cid_audit_walk *w, const cid_audit_record *r)
{
	uint8_t want[CID_AUDIT_HASH_LEN];
	CK_RV rv;

	if (w == NULL || r == NULL)
		return CKR_ARGUMENTS_BAD;
	if (w->chk->first_bad != 0)
		return CKR_SIGNATURE_INVALID;
	w->chk->records++;
	if (r->seq != w->next)
		return broken(w, w->next, "record %llu is missing or out of place (the record found there is %llu)",
		              (unsigned long long)w->next, (unsigned long long)r->seq);
	rv = cid_audit_record_hash(w->h, w->prev, r->seq, r->time, r->event, r->detail, want);
	if (rv != CKR_OK)
		return rv;
	if (memcmp(want, r->hash, CID_AUDIT_HASH_LEN) != 0)
		return broken(w, r->seq, "record %llu was altered, or a record before it was reordered",
		              (unsigned long long)r->seq);
	memcpy(w->before, w->prev, CID_AUDIT_HASH_LEN);
	memcpy(w->prev, want, CID_AUDIT_HASH_LEN);
	memcpy(w->chk->head, want, CID_AUDIT_HASH_LEN);
	w->next++;
	return CKR_OK;
}

CK_RV cid_audit_walk_end(cid_audit_walk *w, bool has_head, uint64_t head_seq,
                         const uint8_t head[CID_AUDIT_HASH_LEN], bool head_may_lag)
{
	uint64_t last;

	if (w == NULL || (has_head && head == NULL))
		return CKR_ARGUMENTS_BAD;
	if (w->chk->first_bad != 0)
		return CKR_SIGNATURE_INVALID;
	last = w->next - 1;
	if (!has_head || head_seq == 0) {
		if (last == 0 || (head_may_lag && last == 1))
			return CKR_OK;
		return broken(w, 1, "the trail holds %llu records but its keeper remembers none",
		              (unsigned long long)last);
	}
	if (last + 1 == head_seq)
		return broken(w, head_seq,
		              "the trail ends at record %llu but its head is record %llu: record %llu was removed",
		              (unsigned long long)last, (unsigned long long)head_seq, (unsigned long long)head_seq);
	if (last < head_seq)
		return broken(w, last + 1,
		              "the trail ends at record %llu but its head is record %llu: records %llu to %llu were removed",
		              (unsigned long long)last, (unsigned long long)head_seq, (unsigned long long)last + 1,
		              (unsigned long long)head_seq);
	if (last == head_seq && memcmp(head, w->prev, CID_AUDIT_HASH_LEN) == 0)
		return CKR_OK;
	if (head_may_lag && last == head_seq + 1 && memcmp(head, w->before, CID_AUDIT_HASH_LEN) == 0)
		return CKR_OK;
	if (last > head_seq)
		return broken(w, head_seq + 1, "the trail runs to record %llu past its head, record %llu",
		              (unsigned long long)last, (unsigned long long)head_seq);
	return broken(w, last, "record %llu does not match the head its keeper remembers",
	              (unsigned long long)last);
}
