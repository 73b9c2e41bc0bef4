/* Reading a soft token's audit trail (P14).  The chain is audit_chain.h's;
 * the token's meta table keeps its head, written in the same transaction
 * as each record. */
#ifndef CAREID_SOFT_SOFT_AUDIT_H
#define CAREID_SOFT_SOFT_AUDIT_H

#include <stdint.h>

#include "pkcs11.h"
#include "common/audit_chain.h"

/* Verifies the chain of the token file at path (read-only; no passcode
 * needed).  CKR_OK when intact; CKR_SIGNATURE_INVALID with check->first_bad
 * and check->reason set when the trail was altered; CKR_DEVICE_ERROR when the file is not a
 * readable token. */
CK_RV cid_soft_audit_verify(const char *path, cid_audit_check *check);

/* Reports every record in order, without verifying (verify first). */
CK_RV cid_soft_audit_foreach(const char *path, cid_audit_sink sink, void *ctx);

#endif
