/* Reading a soft token's audit trail (P14), for the admin tool.
 *
 * Each record carries SHA-256(previous hash || its own fields); the first
 * one chains from a value derived from the token serial, and the token's
 * meta table remembers the last sequence number and hash.  Editing,
 * deleting, reordering or transplanting rows, or cutting the tail without
 * also rewriting the head, breaks the chain.  Someone able to rewrite the
 * whole file can rebuild a consistent chain: keep an exported head hash
 * elsewhere to detect that. */
#ifndef CAREID_SOFT_SOFT_AUDIT_H
#define CAREID_SOFT_SOFT_AUDIT_H

#include <stdint.h>

#include "pkcs11.h"

#define CID_AUDIT_HASH_LEN 32

typedef struct cid_audit_record {
	uint64_t seq;          /* 1, 2, 3... */
	int64_t time;          /* seconds since the epoch, host clock */
	const char *event;     /* e.g. "login-ok", "login-failed", "locked" */
	const char *detail;    /* non-secret context, e.g. "who=user tries_left=2" */
	uint8_t hash[CID_AUDIT_HASH_LEN];
} cid_audit_record;

/* Strings in the record are borrowed for the call.  A non-CKR_OK return
 * stops the iteration and is passed back. */
typedef CK_RV (*cid_audit_sink)(void *ctx, const cid_audit_record *rec);

typedef struct cid_audit_check {
	uint64_t records;      /* rows read */
	uint64_t first_bad;    /* 0 when intact, else the first sequence that fails */
	uint8_t head[CID_AUDIT_HASH_LEN]; /* hash of the last good record */
} cid_audit_check;

/* Verifies the chain of the token file at path (read-only; no passcode
 * needed).  CKR_OK when intact; CKR_SIGNATURE_INVALID with check->first_bad
 * set when the trail was altered; CKR_DEVICE_ERROR when the file is not a
 * readable token. */
CK_RV cid_soft_audit_verify(const char *path, cid_audit_check *check);

/* Reports every record in order, without verifying (verify first). */
CK_RV cid_soft_audit_foreach(const char *path, cid_audit_sink sink, void *ctx);

#endif
