/* A card's events in the trail the host keeps for it (P14): the same
 * events, in the same words, as a soft token records in its own file. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "card/card_int.h"
#include "common/host_trail.h"
#include "common/log.h"
#include "crypto/crypto.h"

static CK_RV sha256(const cid_piece *pieces, size_t n, uint8_t out[CID_AUDIT_HASH_LEN])
{
	return cid_sha256(pieces, n, out);
}

/* Card held. */
static CK_RV append(card_token *t, const char *event, const char *detail)
{
	char serial[40];
	CK_RV rv;

	if (t->trail_dir == NULL)
		return CKR_OK;
	if ((rv = card_ensure_data(t)) != CKR_OK)
		return rv;
	/* Without a serial or a GUID, cards cannot be told apart, and one
	 * trail would mix the events of several. */
	if (!t->data->have_serial && !t->data->have_guid) {
		CID_DEBUG("a card without serial or GUID keeps no host audit trail");
		return CKR_OK;
	}
	card_serial_text(t->data, serial);
	rv = cid_host_trail_append(t->trail_dir, serial, sha256, (int64_t)time(NULL), event, detail);
	if (rv != CKR_OK)
		CID_WARN("card %s: the %s event could not be added to the host's audit trail in %s", serial, event,
		         t->trail_dir);
	return rv;
}

void card_audit(card_token *t, const char *event, const char *fmt, ...)
{
	char detail[CID_AUDIT_DETAIL_MAX + 1];
	va_list ap;

	if (t->trail_dir == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	(void)append(t, event, detail);
}

CK_RV card_audit_event(cid_token *tok, const char *event, const char *detail)
{
	card_token *t = (card_token *)tok;
	CK_RV rv;

	if (event == NULL || detail == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	rv = append(t, event, detail);
	card_end(t);
	return rv;
}
