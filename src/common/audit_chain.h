/* The hash chain of an audit trail (P14), wherever the trail is kept: in
 * a soft token's file, or on the host for a card (host_trail.h).
 *
 * Each record carries SHA-256(previous hash || its own fields, each
 * length-prefixed); the first chains from a value derived from the token
 * serial, so that records cannot be moved from one token's trail into
 * another's.  The keeper also remembers the last sequence number and hash
 * (the head), which catches a trail cut short at its end.  Editing,
 * deleting, reordering or transplanting records breaks the chain; someone
 * able to rewrite the whole trail and its head can rebuild a consistent
 * one, which an exported head kept elsewhere detects (docs/lifecycle.md).
 *
 * The layout lives here alone.  The hash is the caller's: the module
 * brings its own library context's SHA-256, the admin tool its own. */
#ifndef CAREID_COMMON_AUDIT_CHAIN_H
#define CAREID_COMMON_AUDIT_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "pkcs11.h"
#include "common/piece.h"

#define CID_AUDIT_HASH_LEN 32
/* Longer details are cut (at a character boundary) before hashing. */
#define CID_AUDIT_DETAIL_MAX 256

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

/* SHA-256 over the concatenation of n pieces. */
typedef CK_RV (*cid_audit_sha256)(const cid_piece *pieces, size_t n, uint8_t out[CID_AUDIT_HASH_LEN]);

typedef struct cid_audit_check {
	uint64_t records;      /* records read */
	uint64_t first_bad;    /* 0 when intact, else the first sequence that fails */
	uint8_t head[CID_AUDIT_HASH_LEN]; /* hash of the last good record */
	char reason[200];      /* for people, when first_bad is set */
} cid_audit_check;

/* The value the first record chains from. */
CK_RV cid_audit_seed(cid_audit_sha256 h, const char *serial, uint8_t out[CID_AUDIT_HASH_LEN]);

/* The hash of a record with these fields after prev. */
CK_RV cid_audit_record_hash(cid_audit_sha256 h, const uint8_t prev[CID_AUDIT_HASH_LEN], uint64_t seq,
                            int64_t at, const char *event, const char *detail,
                            uint8_t out[CID_AUDIT_HASH_LEN]);

/* Checking a trail read in order: start, one step per record, then end
 * with the head the keeper remembers.  step and end return CKR_OK while
 * intact, CKR_SIGNATURE_INVALID at the first break (first_bad and reason
 * set; later steps are refused the same way), another code when hashing
 * itself failed. */
typedef struct cid_audit_walk {
	cid_audit_sha256 h;
	uint64_t next;
	uint8_t prev[CID_AUDIT_HASH_LEN];
	uint8_t before[CID_AUDIT_HASH_LEN]; /* the hash one record earlier */
	cid_audit_check *chk;
} cid_audit_walk;

CK_RV cid_audit_walk_start(cid_audit_walk *w, cid_audit_sha256 h, const char *serial, cid_audit_check *chk);
CK_RV cid_audit_walk_step(cid_audit_walk *w, const cid_audit_record *r);
/* has_head false: the keeper remembers no head, as for a trail never
 * written.  With head_may_lag, one record past the head is accepted: a
 * keeper that appends before it moves its head (a file on the host) may
 * have stopped in between.  A soft token moves both in one transaction. */
CK_RV cid_audit_walk_end(cid_audit_walk *w, bool has_head, uint64_t head_seq,
                         const uint8_t head[CID_AUDIT_HASH_LEN], bool head_may_lag);

#endif
