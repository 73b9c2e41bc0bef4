/* The issuer's register: the last lifecycle record it signed for each
 * token, kept beside issuer_cert (register.json), so that a token whose
 * record is older than the register's was restored from a copy.
 *
 * A soft token is a file its holder can copy: restoring a copy made before
 * two self-renewals would give the renewals back (P8), and one made before
 * a cancel would give back a cancelled token (P10).  The module cannot see
 * that (the copy is signed by the issuer, and the holder owns the host);
 * the issuer can, at the next procedure: a self-renewal of a token whose
 * record is older than the register's is refused, and a token the register
 * says was cancelled is neither renewed nor repaired (docs/lifecycle.md). */
#ifndef CAREID_TOOL_REGISTER_H
#define CAREID_TOOL_REGISTER_H

#include <stdbool.h>

#include "policy/lifecycle.h"

/* Before a renewal or repair of the token whose record is cur: 0, or
 * EXIT_REFUSED with the reason told (rule P8 or P10), or EXIT_OTHER when
 * the register cannot be read.  self_service: a self-renewal, refused on
 * a token restored from an older copy too. */
int tool_register_check(const cid_lifecycle *cur, bool self_service);

/* Before a record is signed: raises r->seq above what the register holds
 * for the token, so that a record made at the desk for a restored token
 * is newer than every record before it. */
int tool_register_raise(cid_lifecycle *r);

/* After a record was written to the token. */
int tool_register_note(const cid_lifecycle *r);

#endif
