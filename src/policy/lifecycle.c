/* The lifecycle record's encoding and the rules P7-P12 (lifecycle.h).
 *
 * Encoding: the 6 bytes "CIDLR\x01", then one field after another, each a
 * tag byte, a length byte and the value, every field present exactly once
 * and in tag order, so that one record has one encoding and a signature
 * over it means one thing.  Integers are 8 bytes big-endian (two's
 * complement), flags and counts one byte, text without a terminator. */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/lifecycle.h"

#define DAY 86400

enum {
	T_UUID = 1, T_SERIAL, T_KIND, T_ISSUED, T_ACCESS_END, T_CERTS_END, T_RENEWALS, T_CANCELLED,
	T_SEQ, T_BY, T_END
};

static const uint8_t magic[6] = { 'C', 'I', 'D', 'L', 'R', 1 };

bool cid_lifecycle_uuid_valid(const char *uuid)
{
	if (uuid == NULL || strlen(uuid) != CID_POLICY_UUID_DIGITS)
		return false;
	for (size_t i = 0; i < CID_POLICY_UUID_DIGITS; i++)
		if (uuid[i] < '0' || uuid[i] > '9')
			return false;
	return true;
}

/* Printable ASCII only: the serial and the issuer's name reach logs. */
static bool text_valid(const char *s, size_t max, bool may_be_empty)
{
	size_t n = strnlen(s, max + 1);

	if (n > max || (n == 0 && !may_be_empty))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool record_valid(const cid_lifecycle *r)
{
	if (!cid_lifecycle_uuid_valid(r->uuid) || !text_valid(r->serial, CID_LIFECYCLE_SERIAL_MAX, false) ||
	    !text_valid(r->issued_by, CID_LIFECYCLE_BY_MAX, true))
		return false;
	if (r->kind != CID_CARD_STANDARD && r->kind != CID_CARD_TEMPORARY && r->kind != CID_CARD_CONTRACTOR)
		return false;
	if (r->kind != CID_CARD_STANDARD && r->access_end == 0)
		return false;
	return r->self_renewals <= 255 && r->issued_at >= 0 && r->access_end >= 0 && r->certs_end >= 0;
}

typedef struct buf {
	uint8_t *p;
	size_t n, cap;
	bool bad;
} buf;

static void put(buf *b, uint8_t tag, const void *v, size_t len)
{
	if (b->bad || len > 255 || b->n + 2 + len > b->cap) {
		b->bad = true;
		return;
	}
	b->p[b->n++] = tag;
	b->p[b->n++] = (uint8_t)len;
	memcpy(b->p + b->n, v, len);
	b->n += len;
}

static void put_int(buf *b, uint8_t tag, uint64_t v)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(v >> (56 - 8 * i));
	put(b, tag, be, 8);
}

CK_RV cid_lifecycle_encode(const cid_lifecycle *r, uint8_t **out, size_t *len)
{
	buf b = { 0 };
	uint8_t kind, renewals, cancelled;

	if (r == NULL || out == NULL || len == NULL || !record_valid(r))
		return CKR_ARGUMENTS_BAD;
	b.cap = sizeof(magic) + 10 * 2 + CID_POLICY_UUID_DIGITS + CID_LIFECYCLE_SERIAL_MAX + 3 + 4 * 8 +
	        CID_LIFECYCLE_BY_MAX;
	if (!(b.p = malloc(b.cap)))
		return CKR_HOST_MEMORY;
	memcpy(b.p, magic, sizeof(magic));
	b.n = sizeof(magic);
	kind = (uint8_t)r->kind;
	renewals = (uint8_t)r->self_renewals;
	cancelled = r->cancelled ? 1 : 0;
	put(&b, T_UUID, r->uuid, strlen(r->uuid));
	put(&b, T_SERIAL, r->serial, strlen(r->serial));
	put(&b, T_KIND, &kind, 1);
	put_int(&b, T_ISSUED, (uint64_t)r->issued_at);
	put_int(&b, T_ACCESS_END, (uint64_t)r->access_end);
	put_int(&b, T_CERTS_END, (uint64_t)r->certs_end);
	put(&b, T_RENEWALS, &renewals, 1);
	put(&b, T_CANCELLED, &cancelled, 1);
	put_int(&b, T_SEQ, r->seq);
	put(&b, T_BY, r->issued_by, strlen(r->issued_by));
	if (b.bad) {
		free(b.p);
		return CKR_GENERAL_ERROR;
	}
	*out = b.p;
	*len = b.n;
	return CKR_OK;
}

static bool get_int(const uint8_t *v, size_t len, uint64_t *out)
{
	if (len != 8)
		return false;
	*out = 0;
	for (int i = 0; i < 8; i++)
		*out = *out << 8 | v[i];
	return true;
}

static bool get_text(const uint8_t *v, size_t len, char *out, size_t max)
{
	if (len > max || memchr(v, 0, len) != NULL)
		return false;
	memcpy(out, v, len);
	out[len] = '\0';
	return true;
}

CK_RV cid_lifecycle_decode(const uint8_t *in, size_t len, cid_lifecycle *r)
{
	size_t pos = sizeof(magic);
	uint8_t want = T_UUID;
	uint64_t u = 0;

	if (in == NULL || r == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(r, 0, sizeof(*r));
	if (len < sizeof(magic) || memcmp(in, magic, sizeof(magic)) != 0)
		return CKR_DATA_INVALID;
	while (pos < len) {
		uint8_t tag, n;
		const uint8_t *v;
		bool ok;

		if (len - pos < 2 || (tag = in[pos]) != want || (n = in[pos + 1]) > len - pos - 2)
			return CKR_DATA_INVALID;
		v = in + pos + 2;
		switch (tag) {
		case T_UUID: ok = get_text(v, n, r->uuid, CID_POLICY_UUID_DIGITS); break;
		case T_SERIAL: ok = get_text(v, n, r->serial, CID_LIFECYCLE_SERIAL_MAX); break;
		case T_KIND: ok = n == 1; r->kind = (cid_card_kind)(ok ? v[0] : 0xff); break;
		case T_ISSUED: ok = get_int(v, n, &u); r->issued_at = (int64_t)u; break;
		case T_ACCESS_END: ok = get_int(v, n, &u); r->access_end = (int64_t)u; break;
		case T_CERTS_END: ok = get_int(v, n, &u); r->certs_end = (int64_t)u; break;
		case T_RENEWALS: ok = n == 1; r->self_renewals = ok ? v[0] : 0; break;
		case T_CANCELLED: ok = n == 1 && v[0] <= 1; r->cancelled = ok && v[0] == 1; break;
		case T_SEQ: ok = get_int(v, n, &r->seq); break;
		default: ok = get_text(v, n, r->issued_by, CID_LIFECYCLE_BY_MAX); break;
		}
		if (!ok)
			return CKR_DATA_INVALID;
		pos += 2u + n;
		want++;
	}
	if (want != T_END || !record_valid(r))
		return CKR_DATA_INVALID;
	return CKR_OK;
}

/* ---- the rules ------------------------------------------------------------ */

static cid_verdict allowed(void)
{
	return (cid_verdict){ CKR_OK, NULL, NULL, 0 };
}

static cid_verdict refused(CK_RV rv, const char *rule, const char *why, int64_t from)
{
	return (cid_verdict){ rv, rule, why, from };
}

/* Refusals every procedure shares: a cancelled token, an ended access. */
static bool ended(const cid_lifecycle *r, int64_t now, cid_verdict *v)
{
	if (r->cancelled) {
		*v = refused(CKR_PIN_LOCKED, "P10", "the token is cancelled", 0);
		return true;
	}
	if (r->access_end != 0 && now >= r->access_end) {
		*v = r->kind == CID_CARD_CONTRACTOR
		     ? refused(CKR_PIN_EXPIRED, "P12", "the contractor's access period has ended", 0)
		     : refused(CKR_PIN_EXPIRED, "P11", "the access period of this card has ended", 0);
		return true;
	}
	return false;
}

cid_verdict cid_lifecycle_login(const cid_lifecycle *r, int64_t now)
{
	cid_verdict v;

	return ended(r, now, &v) ? v : allowed();
}

int64_t cid_lifecycle_days_left(const cid_lifecycle *r, int64_t now)
{
	int64_t d = r->certs_end - now;

	/* Rounded down, also below zero: one second past the end is day -1. */
	return d >= 0 ? d / DAY : -((-d + DAY - 1) / DAY);
}

bool cid_lifecycle_window_open(const cid_lifecycle *r, int64_t now)
{
	return r->certs_end != 0 && now < r->certs_end &&
	       now >= r->certs_end - (int64_t)CID_POLICY_RENEWAL_WINDOW_DAYS * DAY;
}

bool cid_lifecycle_alert_due(const cid_lifecycle *r, int64_t now)
{
	return r->certs_end != 0 && now >= r->certs_end - (int64_t)CID_POLICY_RENEWAL_WINDOW_DAYS * DAY;
}

cid_verdict cid_lifecycle_may_self_renew(const cid_lifecycle *r, int64_t now)
{
	cid_verdict v;

	if (ended(r, now, &v))
		return v;
	if (r->kind == CID_CARD_TEMPORARY)
		return refused(CKR_FUNCTION_REJECTED, "P11", "a temporary card is not renewed", 0);
	if (r->certs_end == 0 || now >= r->certs_end)
		return refused(CKR_FUNCTION_REJECTED, "P9", "the certificates have expired: the card needs repair in person",
		               0);
	if (!cid_lifecycle_window_open(r, now))
		return refused(CKR_FUNCTION_REJECTED, "P7", "renewal opens 90 days before the certificates end",
		               r->certs_end - (int64_t)CID_POLICY_RENEWAL_WINDOW_DAYS * DAY);
	if (r->self_renewals >= CID_POLICY_MAX_SELF_RENEWALS)
		return refused(CKR_FUNCTION_REJECTED, "P8",
		               "both self-renewals are used: the next renewal is done in person", 0);
	return allowed();
}

void cid_lifecycle_renewed(cid_lifecycle *r, int64_t certs_end, bool in_person, int64_t now)
{
	r->certs_end = certs_end;
	if (in_person) {
		r->self_renewals = 0;
		r->issued_at = now;
	} else {
		r->self_renewals++;
	}
	r->seq++;
}

void cid_lifecycle_repaired(cid_lifecycle *r, int64_t certs_end, int64_t now)
{
	cid_lifecycle_renewed(r, certs_end, true, now);
}

void cid_lifecycle_cancelled(cid_lifecycle *r)
{
	r->cancelled = true;
	r->seq++;
}

int64_t cid_policy_add_months(int64_t t, int months)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	time_t tt = (time_t)t;
	struct tm tm;
	int y, m, last;

	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	m = tm.tm_mon + months;
	y = tm.tm_year + 1900 + (m >= 0 ? m / 12 : -((11 - m) / 12));
	m = ((m % 12) + 12) % 12;
	last = mdays[m] + (m == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	if (tm.tm_mday > last)
		tm.tm_mday = last;
	tt = timegm(&tm);
	return tt == (time_t)-1 ? -1 : (int64_t)tt;
}

/* The first second of the UTC day after t. */
static int64_t next_day(int64_t t)
{
	return (t / DAY + 1) * DAY;
}

const char *cid_lifecycle_change(const cid_lifecycle *old, const cid_lifecycle *new_rec)
{
	if (old == NULL || strcmp(old->uuid, new_rec->uuid) != 0 || strcmp(old->serial, new_rec->serial) != 0)
		return "issued";
	if (new_rec->cancelled && !old->cancelled)
		return "cancelled";
	if (new_rec->issued_at != old->issued_at)
		return "renewed-in-person";
	if (new_rec->self_renewals == old->self_renewals + 1 && new_rec->certs_end != old->certs_end)
		return "renewed";
	return "record-updated";
}

cid_verdict cid_lifecycle_issue(cid_lifecycle *r, cid_card_kind kind, const char *uuid, const char *serial,
                                const char *by, int64_t now, int64_t certs_end, unsigned hours,
                                int64_t until)
{
	cid_lifecycle n = { 0 };

	if (!cid_lifecycle_uuid_valid(uuid))
		return refused(CKR_ARGUMENTS_BAD, "P13", "the UUID is not 12 digits", 0);
	n.kind = kind;
	n.issued_at = now;
	n.certs_end = certs_end;
	n.seq = r->seq + 1;
	switch (kind) {
	case CID_CARD_STANDARD:
		if (hours || until)
			return refused(CKR_ARGUMENTS_BAD, NULL, "a standard card has no access end", 0);
		break;
	case CID_CARD_TEMPORARY:
		if (hours == 0 || until)
			return refused(CKR_ARGUMENTS_BAD, "P11", "a temporary card needs its hours (1 to 72)", 0);
		if (hours > CID_POLICY_TAC_MAX_HOURS)
			return refused(CKR_FUNCTION_REJECTED, "P11", "a temporary card is issued for at most 72 hours", 0);
		n.access_end = now + (int64_t)hours * 3600;
		break;
	case CID_CARD_CONTRACTOR:
		if (hours)
			return refused(CKR_ARGUMENTS_BAD, "P12", "a contractor card ends on a date, not after hours", 0);
		if (until && next_day(until) <= now)
			return refused(CKR_ARGUMENTS_BAD, "P12", "the contract end date is past", 0);
		n.access_end = until ? next_day(until) : cid_policy_add_months(now, CID_POLICY_CONTRACTOR_MONTHS);
		if (n.access_end <= 0)
			return refused(CKR_ARGUMENTS_BAD, "P12", "the contract end date cannot be represented", 0);
		break;
	default:
		return refused(CKR_ARGUMENTS_BAD, NULL, "unknown kind of card", 0);
	}
	memcpy(n.uuid, uuid, CID_POLICY_UUID_DIGITS + 1);
	if (!serial || !text_valid(serial, CID_LIFECYCLE_SERIAL_MAX, false) ||
	    !text_valid(by ? by : "", CID_LIFECYCLE_BY_MAX, true))
		return refused(CKR_ARGUMENTS_BAD, NULL, "the token serial or the issuer's name is not printable text", 0);
	strcpy(n.serial, serial);
	strcpy(n.issued_by, by ? by : "");
	*r = n;
	return allowed();
}
