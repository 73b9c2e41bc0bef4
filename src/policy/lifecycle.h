/* The lifecycle record of a token and the Care Identity rules that read it
 * (P7-P12): what kind of card it is, when it was last issued in person,
 * when access ends, how many self-renewals are used, whether it is
 * cancelled.
 *
 * This file decides; it stores nothing and checks no signature.  The
 * record's bytes (cid_lifecycle_encode) are what the issuer signs and what
 * a backend keeps beside the token; the token layer verifies the signature
 * and asks the functions below at login and at each procedure.  Times are
 * seconds since 1970 UTC from the host's clock (docs/threat-model.md). */
#ifndef CAREID_POLICY_LIFECYCLE_H
#define CAREID_POLICY_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkcs11.h"
#include "policy/policy.h"

typedef enum {
	CID_CARD_STANDARD = 0,
	CID_CARD_TEMPORARY = 1,   /* P11: at most 72 hours */
	CID_CARD_CONTRACTOR = 2,  /* P12: until the contract end */
} cid_card_kind;

#define CID_LIFECYCLE_SERIAL_MAX 32
#define CID_LIFECYCLE_BY_MAX 64

typedef struct cid_lifecycle {
	char uuid[CID_POLICY_UUID_DIGITS + 1];       /* P13: the holder */
	char serial[CID_LIFECYCLE_SERIAL_MAX + 1];   /* the token it belongs to */
	cid_card_kind kind;
	int64_t issued_at;      /* last in-person issue, renewal or repair */
	int64_t access_end;     /* P11/P12: no login from then on; 0: none */
	int64_t certs_end;      /* notAfter of the token's certificates */
	unsigned self_renewals; /* P8: since issued_at */
	bool cancelled;         /* P10 */
	uint64_t seq;           /* grows with every new record of the token */
	char issued_by[CID_LIFECYCLE_BY_MAX + 1];    /* who signed it off */
} cid_lifecycle;

/* The canonical bytes of a record: what the issuer signs.  Caller frees
 * *out.  CKR_ARGUMENTS_BAD for a record that breaks its own rules (a UUID
 * that is not 12 digits, an unknown kind, a temporary card without an
 * end). */
CK_RV cid_lifecycle_encode(const cid_lifecycle *r, uint8_t **out, size_t *len);
/* Strict: CKR_DATA_INVALID for anything but what encode writes. */
CK_RV cid_lifecycle_decode(const uint8_t *in, size_t len, cid_lifecycle *r);
bool cid_lifecycle_uuid_valid(const char *uuid);

/* A verdict names the rule that refused and, when waiting helps, the time
 * from which the refused thing would be allowed (0 otherwise). */
typedef struct cid_verdict {
	CK_RV rv;               /* CKR_OK when allowed */
	const char *rule;       /* "P7".."P12", NULL when allowed */
	const char *why;        /* one sentence for the log and the tool */
	int64_t allowed_from;   /* 0: waiting does not help */
} cid_verdict;

/* At C_Login, once the passcode was right: a cancelled token is refused
 * with CKR_PIN_LOCKED (P10), a token past its access end with
 * CKR_PIN_EXPIRED (P11/P12). */
cid_verdict cid_lifecycle_login(const cid_lifecycle *r, int64_t now);

/* P7: whole days from now to the certificates' end, rounded down (negative
 * once they have ended). */
int64_t cid_lifecycle_days_left(const cid_lifecycle *r, int64_t now);
/* P7: the alert is due at every login from 90 days before the end on. */
bool cid_lifecycle_alert_due(const cid_lifecycle *r, int64_t now);
bool cid_lifecycle_window_open(const cid_lifecycle *r, int64_t now);

/* P7/P8 (and P9-P12): may the holder renew alone now? */
cid_verdict cid_lifecycle_may_self_renew(const cid_lifecycle *r, int64_t now);
/* The record after a renewal to certs_end: alone it counts one more
 * self-renewal; in person (P8) it starts the count again. */
void cid_lifecycle_renewed(cid_lifecycle *r, int64_t certs_end, bool in_person, int64_t now);
/* P9: new certificates after repair; the count starts again. */
void cid_lifecycle_repaired(cid_lifecycle *r, int64_t certs_end, int64_t now);
/* P10. */
void cid_lifecycle_cancelled(cid_lifecycle *r);

/* A new record for an in-person issue.  A temporary card needs hours
 * (1..72; more is refused, P11); a contractor card ends at the end of the
 * UTC day `until` (a time within that day; 0: three months from now, P12)
 * and `until` must not be past.  Standard cards take neither. */
cid_verdict cid_lifecycle_issue(cid_lifecycle *r, cid_card_kind kind, const char *uuid, const char *serial,
                                const char *by, int64_t now, int64_t certs_end, unsigned hours,
                                int64_t until);

/* The procedure that turned old (NULL: the token had no record) into new,
 * as audit trails name it (P14): "issued" (a first record, or another
 * holder's), "cancelled" (P10), "renewed" (a self-renewal, P7/P8),
 * "renewed-in-person" (an in-person renewal or a repair, P8/P9: the record
 * cannot tell them apart), else "record-updated". */
const char *cid_lifecycle_change(const cid_lifecycle *old, const cid_lifecycle *new_rec);

/* Calendar arithmetic in UTC: t plus months, the day of the month kept, or
 * the last day of a shorter month (31 January + 1 month = 28/29 February).
 * -1 when the result does not fit. */
int64_t cid_policy_add_months(int64_t t, int months);

#endif
