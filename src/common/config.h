/* Module configuration.
 *
 * Read once per C_Initialize from the file named by CAREID_CONF, if set.
 * With no file at all the module still works: soft tokens live in
 * $XDG_DATA_HOME/careid/tokens (or ~/.local/share/careid/tokens).
 *
 * File format: "key = value" lines, '#' starts a comment.  Keys:
 *   token_dir   directory of soft-token files (made 0700, with its parents,
 *               by the first C_InitToken; until then no soft tokens)
 *   soft_tokens yes|no  offer soft tokens at all (default yes)
 *   card_readers yes|no offer PC/SC card readers (default yes)
 *   kdf_cost    log2 of the scrypt cost for NEW tokens, 10..22 (default 15);
 *               existing tokens keep the cost they were made with
 *   log_level   as CAREID_LOG (the environment wins when both are set)
 *   issuer_cert the registration authority's CA certificate (PEM), an
 *               absolute path
 *   issuer_key  its private key: an absolute path to a PEM file, or a
 *               pkcs11: URI (RFC 7512) naming a key on any PKCS#11 token
 *   issuer_org  the organisation, the O of every card certificate's
 *               subject: 1..CID_ISSUER_ORG_MAX bytes of UTF-8, no control
 *               character
 *   card_admin_file  the file holding the card management key and PUK
 *               for RA work on cards (careid-tool only; docs/lifecycle.md)
 *   card_audit_dir  where the host keeps each card's audit trail (P14), an
 *               absolute path; by default card-audit beside token_dir
 *               (made 0700 at a card's first event; common/host_trail.h)
 *   (careid-tool issuer init prints the three issuer_* lines; the module
 *   uses issuer_cert to check lifecycle records and issues nothing.)
 * Unknown keys are logged and ignored, so that an older module can read a
 * newer file. */
#ifndef CAREID_COMMON_CONFIG_H
#define CAREID_COMMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "pkcs11.h"

typedef struct cid_config {
	char *token_dir;
	bool soft_tokens;
	bool card_readers;
	uint32_t kdf_cost;
	char *issuer_cert;          /* NULL: no issuer, records unverified */
	char *issuer_key;
	char *issuer_org;
	char *card_admin_file;  /* the tool's: the module never opens it */
	char *card_audit_dir;
} cid_config;

#define CID_KDF_COST_DEFAULT 15
#define CID_KDF_COST_MIN     10
#define CID_KDF_COST_MAX     22

/* The issuer's own CN is "<org> Care Identity issuer", and X.509 bounds a
 * CN at 64 characters (RFC 5280, ub-common-name): 64 - 21. */
#define CID_ISSUER_ORG_MAX   43

/* True when org can be issuer_org: 1..CID_ISSUER_ORG_MAX bytes of UTF-8, no
 * control character, no '#' (the comment mark of this file), no blank at either end
 * (the reader trims them away). */
bool cid_config_org_ok(const char *org);

/* CKR_OK with defaults when no file is named; CKR_GENERAL_ERROR with a log
 * line naming the file and line when the named file is unreadable or
 * malformed (a half-read configuration is worse than none). */
CK_RV cid_config_load(cid_config *cfg);
void cid_config_free(cid_config *cfg);

#endif
