/* The audit trail the host keeps for a card (P14).
 *
 * A card cannot keep a trail of its own (PIV has no such object, and the
 * holder could not be stopped from erasing one), so every program on the
 * host that uses the card through careid appends to one trail per card in
 * a directory of the host (card_audit_dir, careid.conf(5)).  Each card has
 * two files named for its serial: SERIAL.trail, one record a line
 *
 *     seq TAB time TAB event TAB detail TAB hash-in-hex LF
 *
 * chained as audit_chain.h says, and SERIAL.head, "seq hash-in-hex LF",
 * the last record's sequence and hash.  A record is appended first and the
 * head moved after it, each step synced, under an exclusive lock on the
 * trail file (flock), so that concurrent processes append in turn; a
 * process stopped between the two steps leaves a record one past the head,
 * which the next append and verify accept because it chains; one stopped
 * during the append leaves an unterminated line, which is dropped.
 *
 * Events and details are non-secret (never a passcode, key or code); tabs
 * and control characters in them are stored as '?'. */
#ifndef CAREID_COMMON_HOST_TRAIL_H
#define CAREID_COMMON_HOST_TRAIL_H

#include <stdint.h>

#include "common/audit_chain.h"

/* A serial a trail can be named for: 1..32 of [0-9A-Za-z]. */
bool cid_host_trail_serial_ok(const char *serial);

/* Appends one record to the card's trail in dir (an absolute path, made
 * 0700 with its parents when missing).  CKR_DEVICE_ERROR, with a log line,
 * when the files cannot be written or the trail does not end at its head
 * (edited, cut, or its head lost): nothing is appended to a trail that no
 * longer checks, so that what was done to it stays visible. */
CK_RV cid_host_trail_append(const char *dir, const char *serial, cid_audit_sha256 h, int64_t at,
                            const char *event, const char *detail);

/* Reports every record in order without checking the chain (verify
 * first).  No trail yet: CKR_OK and no record.  CKR_DEVICE_ERROR with a
 * log line naming the file and line when a line cannot be read. */
CK_RV cid_host_trail_foreach(const char *dir, const char *serial, cid_audit_sink sink, void *ctx);

/* Checks the chain and the head.  CKR_OK when intact (no trail yet is
 * intact, with check->records 0); CKR_SIGNATURE_INVALID with
 * check->first_bad and check->reason set when a record was edited,
 * removed or reordered, or a line cannot be read; CKR_DEVICE_ERROR when
 * the files cannot be read. */
CK_RV cid_host_trail_verify(const char *dir, const char *serial, cid_audit_sha256 h, cid_audit_check *check);

#endif
