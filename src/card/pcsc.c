/* pcsc-lite: context, reader snapshot, and a cid_card_io on a connected
 * card. */
#include <stdlib.h>
#include <string.h>

#include <winscard.h>

#include "card/pcsc.h"
#include "common/log.h"
#include "common/mem.h"

struct cid_pcsc {
	SCARDCONTEXT ctx;
	bool have_ctx;
	bool said_absent;    /* the "no pcscd" line is logged once per absence */
};

typedef struct pcsc_io {
	cid_card_io base;
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto;
	char *reader;
} pcsc_io;

CK_RV cid_pcsc_rv(long rc, bool connected)
{
	switch (rc) {
	case SCARD_S_SUCCESS:
		return CKR_OK;
	case SCARD_E_NO_MEMORY:
		return CKR_HOST_MEMORY;
	case SCARD_W_REMOVED_CARD:
		return CKR_DEVICE_REMOVED;
	case SCARD_E_NO_SMARTCARD:
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
	case SCARD_E_NO_READERS_AVAILABLE:
		/* The card, its reader or pcscd went away under us. */
		return connected ? CKR_DEVICE_REMOVED : CKR_TOKEN_NOT_PRESENT;
	case SCARD_W_UNRESPONSIVE_CARD:
	case SCARD_W_UNSUPPORTED_CARD:
	case SCARD_E_PROTO_MISMATCH:
		return connected ? CKR_DEVICE_ERROR : CKR_TOKEN_NOT_RECOGNIZED;
	default:
		return CKR_DEVICE_ERROR;
	}
}

/* ---- context and snapshot ------------------------------------------------ */

CK_RV cid_pcsc_new(cid_pcsc **out)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? CKR_HOST_MEMORY : CKR_OK;
}

static void drop_ctx(cid_pcsc *p)
{
	if (p->have_ctx)
		(void)SCardReleaseContext(p->ctx);
	p->have_ctx = false;
}

void cid_pcsc_free(cid_pcsc **p)
{
	if (p == NULL || *p == NULL)
		return;
	drop_ctx(*p);
	free(*p);
	*p = NULL;
}

static bool service_gone(LONG rc)
{
	return rc == SCARD_E_NO_SERVICE || rc == SCARD_E_SERVICE_STOPPED || rc == SCARD_E_INVALID_HANDLE;
}

/* The reader names as pcsc-lite gives them: a list of strings ended by an
 * empty one.  *names NULL: no readers. */
static LONG list_readers(cid_pcsc *p, char **names)
{
	DWORD len = 0;
	LONG rc;

	*names = NULL;
	if (!p->have_ctx) {
		rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
		if (rc != SCARD_S_SUCCESS)
			return rc;
		p->have_ctx = true;
	}
	rc = SCardListReaders(p->ctx, NULL, NULL, &len);
	if (rc != SCARD_S_SUCCESS)
		return rc;
	*names = calloc(1, len + 2);
	if (*names == NULL)
		return SCARD_E_NO_MEMORY;
	rc = SCardListReaders(p->ctx, NULL, *names, &len);
	if (rc != SCARD_S_SUCCESS) {
		free(*names);
		*names = NULL;
	}
	return rc;
}

static CK_RV fill(cid_pcsc *p, const char *names, cid_pcsc_reader **list, size_t *n)
{
	SCARD_READERSTATE *st;
	size_t count = 0, i = 0;
	LONG rc;

	for (const char *s = names; *s != '\0'; s += strlen(s) + 1)
		count++;
	if (count == 0)
		return CKR_OK;
	st = calloc(count, sizeof(*st));
	*list = calloc(count, sizeof(**list));
	if (st == NULL || *list == NULL) {
		free(st);
		free(*list);
		*list = NULL;
		return CKR_HOST_MEMORY;
	}
	for (const char *s = names; *s != '\0'; s += strlen(s) + 1, i++) {
		st[i].szReader = s;
		st[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	/* With every state "unaware" this answers at once; no waiting. */
	rc = SCardGetStatusChange(p->ctx, 0, st, (DWORD)count);
	if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT) {
		free(st);
		free(*list);
		*list = NULL;
		if (service_gone(rc))
			drop_ctx(p);
		CID_INFO("reader status unavailable (0x%lx)", (unsigned long)rc);
		return CKR_OK;
	}
	for (i = 0; i < count; i++) {
		(*list)[i].name = strdup(st[i].szReader);
		(*list)[i].present = (st[i].dwEventState & SCARD_STATE_PRESENT) != 0;
		(*list)[i].events = (uint32_t)((st[i].dwEventState >> 16) & 0xffff);
		if ((*list)[i].name == NULL) {
			cid_pcsc_readers_free(list, count);
			free(st);
			return CKR_HOST_MEMORY;
		}
	}
	free(st);
	*n = count;
	return CKR_OK;
}

CK_RV cid_pcsc_snapshot(cid_pcsc *p, cid_pcsc_reader **list, size_t *n)
{
	char *names = NULL;
	LONG rc;
	CK_RV rv;

	*list = NULL;
	*n = 0;
	rc = list_readers(p, &names);
	if (service_gone(rc) && p->have_ctx) {
		/* pcscd restarted since the context was made: one fresh try. */
		drop_ctx(p);
		rc = list_readers(p, &names);
	}
	if (rc == SCARD_E_NO_SERVICE || rc == SCARD_E_SERVICE_STOPPED) {
		drop_ctx(p);
		if (!p->said_absent)
			CID_INFO("no PC/SC service (pcscd not running): no card readers");
		p->said_absent = true;
		return CKR_OK;
	}
	p->said_absent = false;
	if (rc == SCARD_E_NO_READERS_AVAILABLE)
		return CKR_OK;
	if (rc != SCARD_S_SUCCESS) {
		CID_WARN("listing card readers failed (0x%lx)", (unsigned long)rc);
		if (service_gone(rc))
			drop_ctx(p);
		return CKR_OK;
	}
	rv = fill(p, names, list, n);
	free(names);
	return rv;
}

void cid_pcsc_readers_free(cid_pcsc_reader **list, size_t n)
{
	if (list == NULL || *list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free((*list)[i].name);
	free(*list);
	*list = NULL;
}

/* ---- a connected card ---------------------------------------------------- */

/* Another process reset the card: our handle must be reconnected before it
 * works again, and whatever we had selected or verified is gone. */
static LONG reconnect(pcsc_io *io)
{
	LONG rc = SCardReconnect(io->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
	                         SCARD_LEAVE_CARD, &io->proto);

	if (rc == SCARD_S_SUCCESS) {
		io->base.resets++;
		CID_INFO("card in %s was reset by another process; reconnected", io->reader);
	}
	return rc;
}

static CK_RV io_transmit(cid_card_io *base, const uint8_t *cmd, size_t cmdlen, uint8_t *resp,
                         size_t *resplen)
{
	pcsc_io *io = (pcsc_io *)base;
	DWORD rl = (DWORD)*resplen;
	const SCARD_IO_REQUEST *pci = io->proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	LONG rc = SCardTransmit(io->card, pci, cmd, (DWORD)cmdlen, NULL, resp, &rl);

	if (rc == SCARD_W_RESET_CARD) {
		/* The command did not run; the caller learns of the reset from
		 * the counter and must start its operation again. */
		rc = reconnect(io);
		return rc == SCARD_S_SUCCESS ? CKR_DEVICE_ERROR : cid_pcsc_rv(rc, true);
	}
	if (rc != SCARD_S_SUCCESS) {
		CID_INFO("transmit to %s failed (0x%lx)", io->reader, (unsigned long)rc);
		return cid_pcsc_rv(rc, true);
	}
	*resplen = rl;
	return CKR_OK;
}

static CK_RV io_begin(cid_card_io *base)
{
	pcsc_io *io = (pcsc_io *)base;
	LONG rc = SCardBeginTransaction(io->card);

	if (rc == SCARD_W_RESET_CARD) {
		rc = reconnect(io);
		if (rc == SCARD_S_SUCCESS)
			rc = SCardBeginTransaction(io->card);
	}
	if (rc != SCARD_S_SUCCESS)
		CID_INFO("cannot lock the card in %s (0x%lx)", io->reader, (unsigned long)rc);
	return cid_pcsc_rv(rc, true);
}

static CK_RV io_end(cid_card_io *base)
{
	pcsc_io *io = (pcsc_io *)base;

	return cid_pcsc_rv(SCardEndTransaction(io->card, SCARD_LEAVE_CARD), true);
}

static void io_release(cid_card_io *base)
{
	pcsc_io *io = (pcsc_io *)base;

	if (io == NULL)
		return;
	(void)SCardDisconnect(io->card, SCARD_LEAVE_CARD);
	(void)SCardReleaseContext(io->ctx);
	free(io->reader);
	free(io);
}

static const struct cid_card_io_ops pcsc_io_ops = {
	.transmit = io_transmit,
	.begin = io_begin,
	.end = io_end,
	.release = io_release,
};

CK_RV cid_pcsc_connect(const char *reader, cid_card_io **out)
{
	pcsc_io *io = calloc(1, sizeof(*io));
	LONG rc;

	if (io == NULL)
		return CKR_HOST_MEMORY;
	io->base.ops = &pcsc_io_ops;
	io->reader = strdup(reader);
	if (io->reader == NULL) {
		free(io);
		return CKR_HOST_MEMORY;
	}
	rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &io->ctx);
	if (rc != SCARD_S_SUCCESS) {
		free(io->reader);
		free(io);
		return cid_pcsc_rv(rc, false);
	}
	rc = SCardConnect(io->ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
	                  &io->card, &io->proto);
	if (rc != SCARD_S_SUCCESS) {
		CID_INFO("cannot connect to the card in %s (0x%lx)", reader, (unsigned long)rc);
		(void)SCardReleaseContext(io->ctx);
		free(io->reader);
		free(io);
		return cid_pcsc_rv(rc, false);
	}
	*out = &io->base;
	return CKR_OK;
}
