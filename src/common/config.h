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
 *   issuer_cert PEM certificate of the issuer whose signature lifecycle
 *               records must carry (absolute path; docs/lifecycle.md)
 *   issuer_key  the issuer's private key: a PEM file or a pkcs11: URI
 *               (the administration tool signs with it; the module never
 *               reads it)
 *   issuer_org  the organisation named in the certificates it issues
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
} cid_config;

#define CID_KDF_COST_DEFAULT 15
#define CID_KDF_COST_MIN     10
#define CID_KDF_COST_MAX     22

/* CKR_OK with defaults when no file is named; CKR_GENERAL_ERROR with a log
 * line naming the file and line when the named file is unreadable or
 * malformed (a half-read configuration is worse than none). */
CK_RV cid_config_load(cid_config *cfg);
void cid_config_free(cid_config *cfg);

#endif
