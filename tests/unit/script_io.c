#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "script_io.h"

size_t script_hex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (*h) {
		if (*h == ' ') {
			h++;
			continue;
		}
		assert_int_equal(1, sscanf(h, "%2x", &v));
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static CK_RV s_transmit(cid_card_io *io, const uint8_t *cmd, size_t cmdlen, uint8_t *resp, size_t *resplen)
{
	script_io *f = (script_io *)io;
	script_step *s;

	if (f->check_transactions)
		assert_true(f->begins > f->ends);
	assert_true(f->pos < f->n);
	s = &f->s[f->pos];
	if (!s->forever)
		f->pos++;
	f->transmits++;
	if (s->cmdlen) {
		assert_int_equal(s->cmdlen, cmdlen);
		assert_memory_equal(s->cmd, cmd, cmdlen);
	}
	if (s->rv != CKR_OK)
		return s->rv;
	assert_true(s->resplen <= *resplen);
	memcpy(resp, s->resp, s->resplen);
	*resplen = s->resplen;
	return CKR_OK;
}

static CK_RV s_begin(cid_card_io *io)
{
	script_io *f = (script_io *)io;

	if (f->begin_rv != CKR_OK)
		return f->begin_rv;
	if (f->check_transactions)
		assert_int_equal(f->begins, f->ends);
	f->begins++;
	return CKR_OK;
}

static CK_RV s_end(cid_card_io *io)
{
	script_io *f = (script_io *)io;

	f->ends++;
	if (f->check_transactions)
		assert_int_equal(f->begins, f->ends);
	return CKR_OK;
}

static void s_release(cid_card_io *io)
{
	(void)io;
}

static const struct cid_card_io_ops script_ops = { s_transmit, s_begin, s_end, s_release };

void script_init(script_io *f, bool check_transactions)
{
	memset(f, 0, sizeof(*f));
	f->base.ops = &script_ops;
	f->check_transactions = check_transactions;
}

script_step *script_expect(script_io *f, const char *cmd, const char *resp)
{
	script_step *s;

	assert_true(f->n < SCRIPT_STEPS);
	s = &f->s[f->n++];
	memset(s, 0, sizeof(*s));
	s->cmdlen = cmd ? script_hex(cmd, s->cmd) : 0;
	s->resplen = script_hex(resp, s->resp);
	return s;
}

void script_done(const script_io *f)
{
	assert_int_equal(f->n, f->pos);
	assert_int_equal(f->begins, f->ends);
}
