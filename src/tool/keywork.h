/* keywork.c: the token work of issue, renew, repair and cancel. */
#ifndef CAREID_TOOL_KEYWORK_H
#define CAREID_TOOL_KEYWORK_H

#include <stdint.h>
#include <time.h>

#include "tool/issuer.h"
#include "tool/tool.h"

/* A key pair made on the token and its SubjectPublicKeyInfo. */
typedef struct {
	CK_OBJECT_HANDLE pub, priv;
	uint8_t spki[91];
} tool_key;

/* CKR_OK -> 0; otherwise the error named with what, and the exit status
 * (3 for a passcode, 1 for a refused passcode format, 4 else). */
int tool_ck(tool_ctx *ctx, const char *what, CK_RV rv);
/* A P-256 pair on the token (user logged in), CKA_ID id, with label. */
int tool_keypair(tool_ctx *ctx, CK_SESSION_HANDLE s, CK_BYTE id, const char *label, tool_key *k);
int tool_store_cert(tool_ctx *ctx, CK_SESSION_HANDLE s, CK_BYTE id, const char *label, const tool_issued *c);
/* With the holder logged in: two pairs (ids a and b), the issuer's two
 * certificates for them from now, stored; out is the caller's to free
 * (tool_issued_free) whatever the result. */
int tool_new_pair(tool_ctx *ctx, CK_SESSION_HANDLE s, const tool_issuer *iss, const char *uuid, CK_BYTE a, CK_BYTE b,
                  time_t now, tool_issued out[2]);
/* Encodes r, has the issuer sign it and writes it (CKO_CAREID_LIFECYCLE),
 * noted in the issuer's register (register.h); r->seq may be raised above
 * the register's first. */
int tool_write_record(tool_ctx *ctx, CK_SESSION_HANDLE s, const tool_issuer *iss, cid_lifecycle *r);

#endif
