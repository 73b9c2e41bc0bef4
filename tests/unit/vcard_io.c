#include <stdarg.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vcard_io.h"

static char letter(uint8_t ins)
{
	switch (ins) {
	case 0xA4: return 'S';
	case 0x20: return 'V';
	case 0x87: return 'G';
	default: return '.';
	}
}

static void record(vcard_io *v, const uint8_t *cmd, size_t n)
{
	size_t tl = strlen(v->trace);

	v->total++;
	v->ins[cmd[1]]++;
	if (tl < sizeof(v->trace) - 1)
		v->trace[tl] = letter(cmd[1]);
	v->lastlen = n < sizeof(v->last) ? n : sizeof(v->last);
	memcpy(v->last, cmd, v->lastlen);
}

static CK_RV put_sw(uint16_t sw, uint8_t *resp, size_t *resplen)
{
	if (*resplen < 2)
		return CKR_DEVICE_ERROR;
	resp[0] = (uint8_t)(sw >> 8);
	resp[1] = (uint8_t)sw;
	*resplen = 2;
	return CKR_OK;
}

static CK_RV v_transmit(cid_card_io *io, const uint8_t *cmd, size_t cmdlen, uint8_t *resp, size_t *resplen)
{
	vcard_io *v = (vcard_io *)io;
	static uint8_t mem[VC_RESP_MAX + 2];
	struct vc_buf out;

	/* Layers above own the transactions: a command outside one would
	 * race another program for the card. */
	assert_true(v->begins > v->ends);
	if (v->removed)
		return CKR_DEVICE_REMOVED;
	assert_true(cmdlen >= 4);
	record(v, cmd, cmdlen);
	if (v->other_card)
		return put_sw(cmd[1] == 0xA4 ? SW_NOT_FOUND : SW_INS_UNKNOWN, resp, resplen);
	vc_buf_init(&out, mem, sizeof(mem));
	vc_card_process(v->card, cmd, cmdlen, &out);
	if (out.len > *resplen)
		return CKR_DEVICE_ERROR;
	memcpy(resp, out.p, out.len);
	*resplen = out.len;
	return CKR_OK;
}

static CK_RV v_begin(cid_card_io *io)
{
	vcard_io *v = (vcard_io *)io;

	if (v->removed)
		return CKR_DEVICE_REMOVED;
	/* card/apdu.c nests transactions itself; the transport sees one. */
	assert_int_equal(v->begins, v->ends);
	if (v->reset_pending) {
		v->reset_pending = false;
		io->resets++;
	}
	v->begins++;
	return CKR_OK;
}

static CK_RV v_end(cid_card_io *io)
{
	vcard_io *v = (vcard_io *)io;

	v->ends++;
	assert_int_equal(v->begins, v->ends);
	return CKR_OK;
}

/* The test owns the card: a token giving up its transport leaves it in
 * the reader for the next token. */
static void v_release(cid_card_io *io)
{
	(void)io;
}

static const struct cid_card_io_ops vcard_ops = { v_transmit, v_begin, v_end, v_release };

int vcard_io_open(vcard_io *v, const char *from, const char *work)
{
	memset(v, 0, sizeof(*v));
	v->base.ops = &vcard_ops;
	v->card = malloc(sizeof(*v->card));
	if (v->card == NULL)
		return -1;
	vc_card_init(v->card);
	vc_state_init(&v->card->st, from);
	if (vc_state_load(&v->card->st) != 1) {
		vcard_io_close(v);
		return -1;
	}
	v->card->st.path = work;
	return 0;
}

void vcard_io_close(vcard_io *v)
{
	if (v->card != NULL) {
		vc_card_reset(v->card);
		vc_state_free(&v->card->st);
		free(v->card);
	}
	v->card = NULL;
}

void vcard_io_pull(vcard_io *v)
{
	v->removed = true;
	vc_card_reset(v->card);
}

void vcard_io_insert(vcard_io *v)
{
	v->removed = false;
}

void vcard_io_reset_by_other(vcard_io *v)
{
	vc_card_reset(v->card);
	v->reset_pending = true;
}

void vcard_io_trace_clear(vcard_io *v)
{
	memset(v->trace, 0, sizeof(v->trace));
}
