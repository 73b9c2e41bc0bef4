/* lifecycle_gate.h: reads the token's record, checks that the configured
 * issuer signed it and that it belongs to this token, and applies the
 * login rules.  A holder can edit a soft token's file; the signature is
 * what keeps them from lengthening a temporary card or resetting the
 * renewal count.  Without an issuer a record is still obeyed, since it
 * can only restrict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/audit_chain.h"
#include "common/log.h"
#include "policy/lifecycle.h"
#include "token/lifecycle_gate.h"

static void audit(cid_token *be, const char *event, const char *detail)
{
	if (be->ops->audit != NULL && be->ops->audit(be, event, detail) != CKR_OK)
		CID_WARN("the %s event could not be added to the token's audit trail", event);
}

/* The serial as the token reports it, blanks trimmed. */
static void serial_text(const cid_token_status *st, char out[sizeof(st->serial) + 1])
{
	size_t n = sizeof(st->serial);

	memcpy(out, st->serial, n);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static CK_RV refuse(cid_token *be, const char *name, CK_RV rv, const char *rule, const char *why)
{
	char detail[160];

	CID_WARN("login to token %s refused%s%s: %s", name, rule ? " by " : "", rule ? rule : "", why);
	snprintf(detail, sizeof(detail), "who=user rule=%s %s", rule ? rule : "-", why);
	audit(be, "login-refused", detail);
	return rv;
}

typedef enum { REC_NONE, REC_DAMAGED, REC_UNSIGNED, REC_OK } rec_state;

/* The token's record, decoded into r when *state is REC_OK (or
 * REC_UNSIGNED: decoded, but iss did not sign it).  iss NULL checks no
 * signature. */
static CK_RV read_record(cid_token *be, const cid_issuer *iss, cid_lifecycle *r, rec_state *state)
{
	uint8_t *rec = NULL, *sig = NULL;
	size_t rlen = 0, slen = 0;
	CK_RV rv;

	*state = REC_NONE;
	if (be->ops->get_record == NULL)
		return CKR_OK;
	if ((rv = be->ops->get_record(be, &rec, &rlen, &sig, &slen)) != CKR_OK)
		return rv;
	if (rec != NULL)
		*state = cid_lifecycle_decode(rec, rlen, r) != CKR_OK                      ? REC_DAMAGED
		         : iss != NULL && cid_issuer_verify(iss, rec, rlen, sig, slen) != CKR_OK ? REC_UNSIGNED
		                                                                             : REC_OK;
	free(rec);
	free(sig);
	return CKR_OK;
}

/* The SO logs in to write the first record, to service a returned card
 * and to unblock: only a cancelled token refuses the SO too (P10).  A
 * forged "cancelled" would only lock out its forger, so no signature is
 * needed for that. */
CK_RV cid_lifecycle_gate_so(cid_token *be)
{
	char name[CID_TOKEN_NAME_LEN];
	cid_token_status st;
	cid_lifecycle r;
	rec_state state;
	CK_RV rv = read_record(be, NULL, &r, &state);

	if (rv != CKR_OK || state != REC_OK || !r.cancelled)
		return rv;
	if ((rv = be->ops->status(be, &st)) != CKR_OK)
		return rv;
	cid_token_name(name, st.label, sizeof(st.label), st.serial, sizeof(st.serial));
	CID_WARN("SO login to token %s refused by P10: the token is cancelled", name);
	audit(be, "login-refused", "who=so rule=P10 the token is cancelled");
	return CKR_PIN_LOCKED;
}

CK_RV cid_lifecycle_gate(cid_token *be, const cid_issuer *iss, int64_t now, cid_gate *out)
{
	char name[CID_TOKEN_NAME_LEN], serial[sizeof(((cid_token_status *)0)->serial) + 1];
	cid_token_status st;
	cid_lifecycle r;
	cid_verdict v;
	rec_state state;
	CK_RV rv;

	memset(out, 0, sizeof(*out));
	if ((rv = be->ops->status(be, &st)) != CKR_OK)
		return rv;
	cid_token_name(name, st.label, sizeof(st.label), st.serial, sizeof(st.serial));
	if ((rv = read_record(be, iss, &r, &state)) != CKR_OK)
		return rv;
	if (state == REC_NONE && iss == NULL)
		return CKR_OK;
	if (state != REC_OK)
		return refuse(be, name, CKR_FUNCTION_FAILED, NULL,
		              state == REC_NONE       ? "it has no lifecycle record, and an issuer is configured"
		              : state == REC_DAMAGED ? "its lifecycle record is damaged"
		                                     : "its lifecycle record is not signed by the configured issuer");
	serial_text(&st, serial);
	if (strcmp(serial, r.serial) != 0)
		return refuse(be, name, CKR_FUNCTION_FAILED, NULL, "its lifecycle record belongs to another token");
	if (iss == NULL)
		CID_DEBUG("token %s: lifecycle record applied unverified (no issuer configured)", name);
	v = cid_lifecycle_login(&r, now);
	if (v.rv != CKR_OK)
		return refuse(be, name, v.rv, v.rule, v.why);
	out->has_record = true;
	out->days_left = cid_lifecycle_days_left(&r, now);
	out->alert = cid_lifecycle_alert_due(&r, now);
	if (out->alert) {
		char detail[64];

		if (out->days_left >= 0)
			CID_WARN("token %s: its certificates end in %lld days; renew them (careid-tool renew, P7)", name,
			         (long long)out->days_left);
		else
			CID_WARN("token %s: its certificates have ended; the card needs repair in person (P9)", name);
		snprintf(detail, sizeof(detail), "days_left=%lld", (long long)out->days_left);
		audit(be, "expiry-alert", detail);
	}
	return CKR_OK;
}

CK_RV cid_lifecycle_gate_check(cid_token *be, const cid_issuer *iss, const uint8_t *rec, size_t rlen,
                               const uint8_t *sig, size_t slen, bool *cancelled)
{
	char serial[sizeof(((cid_token_status *)0)->serial) + 1];
	cid_token_status st;
	cid_lifecycle r;
	CK_RV rv;

	if (rec == NULL || sig == NULL || slen == 0 || cid_lifecycle_decode(rec, rlen, &r) != CKR_OK) {
		CID_WARN("refused: the lifecycle record is malformed or has no signature");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (iss != NULL && cid_issuer_verify(iss, rec, rlen, sig, slen) != CKR_OK) {
		CID_WARN("refused: the lifecycle record is not signed by the configured issuer");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if ((rv = be->ops->status(be, &st)) != CKR_OK)
		return rv;
	serial_text(&st, serial);
	if (strcmp(serial, r.serial) != 0) {
		CID_WARN("refused: the lifecycle record names token %s, not %s", r.serial, serial);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	*cancelled = r.cancelled;
	return CKR_OK;
}

CK_RV cid_lifecycle_gate_unlock(cid_token *be, const cid_issuer *iss, int64_t now)
{
	char name[CID_TOKEN_NAME_LEN];
	cid_token_status st;
	cid_lifecycle r;
	rec_state state;
	CK_RV rv;

	if ((rv = be->ops->status(be, &st)) != CKR_OK)
		return rv;
	cid_token_name(name, st.label, sizeof(st.label), st.serial, sizeof(st.serial));
	if ((rv = read_record(be, iss, &r, &state)) != CKR_OK)
		return rv;
	if (state == REC_NONE && iss == NULL)
		return CKR_OK;
	if (state != REC_OK) {
		CID_WARN("unlock code for token %s refused: %s", name,
		         state == REC_NONE ? "it has no lifecycle record"
		                           : "its lifecycle record is damaged or not the issuer's");
		return CKR_FUNCTION_REJECTED;
	}
	if (cid_lifecycle_login(&r, now).rv != CKR_OK || r.certs_end == 0 || now >= r.certs_end) {
		CID_WARN("unlock code for token %s refused (P4): %s", name,
		         r.cancelled ? "the token is cancelled"
		         : r.access_end && now >= r.access_end ? "its access period has ended"
		         : "its certificates have ended; the card needs repair in person (P9)");
		return CKR_FUNCTION_REJECTED;
	}
	return CKR_OK;
}

void cid_lifecycle_gate_note_change(cid_token *be, const uint8_t *old, size_t oldlen, const uint8_t *rec,
                                    size_t rlen)
{
	static const char *const kinds[] = { "standard", "temporary", "contractor" };
	cid_lifecycle was, now;
	bool had = old != NULL && cid_lifecycle_decode(old, oldlen, &was) == CKR_OK;
	char detail[CID_AUDIT_DETAIL_MAX];

	if (cid_lifecycle_decode(rec, rlen, &now) != CKR_OK)
		return;
	snprintf(detail, sizeof(detail), "uuid=%s kind=%s seq=%llu self_renewals=%u access_end=%lld certs_end=%lld by=%s",
	         now.uuid, (unsigned)now.kind < 3 ? kinds[now.kind] : "?", (unsigned long long)now.seq,
	         now.self_renewals, (long long)now.access_end, (long long)now.certs_end, now.issued_by);
	audit(be, cid_lifecycle_change(had ? &was : NULL, &now), detail);
}
