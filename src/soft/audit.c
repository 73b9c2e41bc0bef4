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

/* The module's SHA-256, in its own library context. */
static CK_RV sha256(const cid_piece *pieces, size_t n, uint8_t out[CID_AUDIT_HASH_LEN])
{
	return cid_sha256(pieces, n, out);
}

CK_RV soft_audit_append(sqlite3 *db, const char *serial, const char *event, const char *fmt, ...)
{
	char detail[CID_AUDIT_DETAIL_MAX];
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
		rv = cid_audit_seed(sha256, serial, prev);
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
	rv = cid_audit_record_hash(sha256, prev, (uint64_t)seq, at, event, detail, hash);
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

/* Walks the trail in one read transaction; with w, checks it too. */
static CK_RV walk(const char *path, cid_audit_walk *w, cid_audit_sink sink, void *ctx)
{
	char serial[SOFT_SERIAL_LEN + 1];
	uint8_t *head = NULL;
	size_t headlen = 0;
	int64_t head_seq = 0;
	bool found = false;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	CK_RV rv;
	int rc = SQLITE_DONE;

	if (path == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = soft_db_open(path, true, &db);
	if (rv != CKR_OK)
		return CKR_DEVICE_ERROR;
	rv = soft_tx_begin(db, false);
	if (rv == CKR_OK && soft_db_check(db, path, serial) != CKR_OK)
		rv = CKR_DEVICE_ERROR;
	if (rv == CKR_OK && w != NULL)
		rv = cid_audit_walk_start(w, sha256, serial, w->chk);
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
		rv = w != NULL ? cid_audit_walk_step(w, &r) : sink(ctx, &r);
	}
	if (rv == CKR_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		rv = soft_db_rv(db, rc, "audit read");
	if (w != NULL && rv == CKR_OK) {
		bool head_ok = head != NULL && headlen == CID_AUDIT_HASH_LEN;
		static const uint8_t none[CID_AUDIT_HASH_LEN];

		rv = cid_audit_walk_end(w, found && head_seq > 0, (uint64_t)head_seq, head_ok ? head : none, false);
	}
	if (w != NULL && rv == CKR_SIGNATURE_INVALID)
		CID_WARN("%s: audit trail altered: %s", path, w->chk->reason);
	free(head);
	sqlite3_finalize(st);
	soft_tx_rollback(db);
	sqlite3_close(db);
	return rv;
}

CK_RV cid_soft_audit_verify(const char *path, cid_audit_check *check)
{
	cid_audit_walk w = { .chk = check };

	if (check == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(check, 0, sizeof(*check));
	return walk(path, &w, NULL, NULL);
}

CK_RV cid_soft_audit_foreach(const char *path, cid_audit_sink sink, void *ctx)
{
	if (sink == NULL)
		return CKR_ARGUMENTS_BAD;
	return walk(path, NULL, sink, ctx);
}
