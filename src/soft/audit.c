/* The append-only, hash-chained audit trail of a soft token. */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/crypto.h"
#include "soft/soft_audit.h"
#include "soft/soft_int.h"

#define AUDIT_DETAIL_MAX 256

static void put_u64(uint8_t b[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static void put_u32(uint8_t b[4], uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

/* The chain starts from the serial so that rows cannot be moved from one
 * token's trail into another's. */
static CK_RV chain_start(const char *serial, uint8_t out[CID_AUDIT_HASH_LEN])
{
	static const char tag[] = "careid/audit/v1";
	const cid_piece in[] = { { tag, sizeof(tag) }, { serial, strlen(serial) } };

	return cid_sha256(in, sizeof(in) / sizeof(in[0]), out);
}

/* Length-prefixed fields, so that no two different records hash alike. */
static CK_RV record_hash(const uint8_t prev[CID_AUDIT_HASH_LEN], uint64_t seq, int64_t at,
                         const char *event, const char *detail, uint8_t out[CID_AUDIT_HASH_LEN])
{
	uint8_t n8[8], n4a[4], n4b[4], t8[8];
	size_t elen = strlen(event), dlen = strlen(detail);

	put_u64(n8, seq);
	put_u64(t8, (uint64_t)at);
	put_u32(n4a, (uint32_t)elen);
	put_u32(n4b, (uint32_t)dlen);
	const cid_piece in[] = {
		{ prev, CID_AUDIT_HASH_LEN }, { n8, 8 }, { t8, 8 }, { n4a, 4 },
		{ event, elen }, { n4b, 4 }, { detail, dlen },
	};
	return cid_sha256(in, sizeof(in) / sizeof(in[0]), out);
}

CK_RV soft_audit_append(sqlite3 *db, const char *serial, const char *event, const char *fmt, ...)
{
	char detail[AUDIT_DETAIL_MAX];
	uint8_t prev[CID_AUDIT_HASH_LEN], hash[CID_AUDIT_HASH_LEN];
	uint8_t *head = NULL;
	size_t headlen = 0;
	int64_t seq = 0, at = (int64_t)time(NULL);
	bool found;
	sqlite3_stmt *st = NULL;
	va_list ap;
	CK_RV rv;
	int rc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);

	rv = soft_meta_int(db, SOFT_META_AUDIT_SEQ, &seq, &found);
	if (rv != CKR_OK)
		return rv;
	if (!found || seq == 0) {
		seq = 0;
		rv = chain_start(serial, prev);
	} else {
		rv = soft_meta_blob(db, SOFT_META_AUDIT_HASH, &head, &headlen);
		if (rv == CKR_OK && (head == NULL || headlen != CID_AUDIT_HASH_LEN)) {
			CID_ERROR("audit head of token %s is damaged", serial);
			rv = CKR_DEVICE_ERROR;
		}
		if (rv == CKR_OK)
			memcpy(prev, head, CID_AUDIT_HASH_LEN);
		free(head);
	}
	if (rv != CKR_OK)
		return rv;
	seq++;
	rv = record_hash(prev, (uint64_t)seq, at, event, detail, hash);
	if (rv != CKR_OK)
		return rv;

	rc = sqlite3_prepare_v2(db, "INSERT INTO audit (seq, at, event, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 5, hash, sizeof(hash), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return soft_db_rv(db, rc, "audit append");
	rv = soft_meta_set_int(db, SOFT_META_AUDIT_SEQ, seq);
	if (rv == CKR_OK)
		rv = soft_meta_set_blob(db, SOFT_META_AUDIT_HASH, hash, sizeof(hash));
	/* The event's own line, worded for people, is the caller's; this
	 * echo is for tracing the trail itself. */
	if (rv == CKR_OK)
		CID_DEBUG("token %s: audit %s %s", serial, event, detail);
	return rv;
}

/* Walks the trail in one read transaction; verify decides what to check. */
static CK_RV walk(const char *path, bool verify, cid_audit_check *chk, cid_audit_sink sink, void *ctx)
{
	char serial[SOFT_SERIAL_LEN + 1];
	uint8_t prev[CID_AUDIT_HASH_LEN], want[CID_AUDIT_HASH_LEN];
	uint8_t *head = NULL;
	size_t headlen = 0;
	int64_t head_seq = 0;
	bool found = false;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t expect = 1;
	CK_RV rv;
	int rc;

	if (path == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = soft_db_open(path, true, &db);
	if (rv != CKR_OK)
		return CKR_DEVICE_ERROR;
	rv = soft_tx_begin(db, false);
	if (rv == CKR_OK && soft_db_check(db, path, serial) != CKR_OK)
		rv = CKR_DEVICE_ERROR;
	if (rv == CKR_OK)
		rv = chain_start(serial, prev);
	if (rv == CKR_OK)
		rv = soft_meta_int(db, SOFT_META_AUDIT_SEQ, &head_seq, &found);
	if (rv == CKR_OK)
		rv = soft_meta_blob(db, SOFT_META_AUDIT_HASH, &head, &headlen);
	if (rv == CKR_OK) {
		rc = sqlite3_prepare_v2(db, "SELECT seq, at, event, detail, hash FROM audit ORDER BY seq", -1,
		                        &st, NULL);
		if (rc != SQLITE_OK)
			rv = soft_db_rv(db, rc, "audit read");
	}
	while (rv == CKR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cid_audit_record r;
		const void *h = sqlite3_column_blob(st, 4);
		int hlen = sqlite3_column_bytes(st, 4);

		r.seq = (uint64_t)sqlite3_column_int64(st, 0);
		r.time = sqlite3_column_int64(st, 1);
		r.event = (const char *)sqlite3_column_text(st, 2);
		r.detail = (const char *)sqlite3_column_text(st, 3);
		if (r.event == NULL)
			r.event = "";
		if (r.detail == NULL)
			r.detail = "";
		memset(r.hash, 0, sizeof(r.hash));
		if (h != NULL && hlen == CID_AUDIT_HASH_LEN)
			memcpy(r.hash, h, CID_AUDIT_HASH_LEN);
		if (verify) {
			chk->records++;
			rv = record_hash(prev, r.seq, r.time, r.event, r.detail, want);
			if (rv != CKR_OK)
				break;
			if (r.seq != expect || h == NULL || hlen != CID_AUDIT_HASH_LEN ||
			    memcmp(want, h, CID_AUDIT_HASH_LEN) != 0) {
				chk->first_bad = expect;
				CID_WARN("%s: audit trail altered at record %llu", path,
				         (unsigned long long)expect);
				break;
			}
			memcpy(prev, want, CID_AUDIT_HASH_LEN);
			memcpy(chk->head, want, CID_AUDIT_HASH_LEN);
		} else {
			rv = sink(ctx, &r);
		}
		expect++;
	}
	if (rv == CKR_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		rv = soft_db_rv(db, rc, "audit read");
	/* The head in meta catches a trail cut short at its end. */
	if (verify && rv == CKR_OK && chk->first_bad == 0) {
		uint64_t last = expect - 1;

		if ((found ? (uint64_t)head_seq : 0) != last ||
		    (last > 0 && (head == NULL || headlen != CID_AUDIT_HASH_LEN ||
		                  memcmp(head, prev, CID_AUDIT_HASH_LEN) != 0))) {
			chk->first_bad = last + 1;
			CID_WARN("%s: audit trail does not end where the token says it does", path);
		}
	}
	if (verify && rv == CKR_OK && chk->first_bad != 0)
		rv = CKR_SIGNATURE_INVALID;
	free(head);
	sqlite3_finalize(st);
	soft_tx_rollback(db);
	sqlite3_close(db);
	return rv;
}

CK_RV cid_soft_audit_verify(const char *path, cid_audit_check *check)
{
	if (check == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(check, 0, sizeof(*check));
	return walk(path, true, check, NULL, NULL);
}

CK_RV cid_soft_audit_foreach(const char *path, cid_audit_sink sink, void *ctx)
{
	if (sink == NULL)
		return CKR_ARGUMENTS_BAD;
	return walk(path, false, NULL, sink, ctx);
}
