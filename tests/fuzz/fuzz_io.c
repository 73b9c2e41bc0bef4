/* The fuzz-driven card transport (fuzz_io.h) and the helpers every
 * harness shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fuzz_io.h"

_Noreturn void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

void fuzz_quiet(void)
{
	/* The environment wins, so that a crash can be replayed with a trace
	 * (CAREID_LOG=debug ./fuzz_x crash-file). */
	setenv("CAREID_LOG", "none", 0);
	cid_log_setup();
}

static CK_RV f_transmit(cid_card_io *io, const uint8_t *cmd, size_t cmdlen, uint8_t *resp, size_t *resplen)
{
	static const CK_RV errors[] = { CKR_DEVICE_ERROR, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT };
	fuzz_io *f = (fuzz_io *)io;
	size_t len;

	FUZZ_CHECK(f->begins > f->ends);
	FUZZ_CHECK(cmd != NULL && cmdlen >= 4);
	FUZZ_CHECK(resp != NULL && resplen != NULL);
	f->transmits++;
	if (f->n < 2)
		return CKR_DEVICE_ERROR;
	len = (size_t)f->p[0] << 8 | f->p[1];
	f->p += 2;
	f->n -= 2;
	if (f->p[-2] == 0xFF)
		return errors[f->p[-1] % (sizeof(errors) / sizeof(errors[0]))];
	if (len > f->n)
		len = f->n;
	/* A reader never returns more than the buffer it was given. */
	if (len > *resplen)
		len = *resplen;
	memcpy(resp, f->p, len);
	f->p += len;
	f->n -= len;
	*resplen = len;
	return CKR_OK;
}

static CK_RV f_begin(cid_card_io *io)
{
	fuzz_io *f = (fuzz_io *)io;

	FUZZ_CHECK(f->begins == f->ends);
	f->begins++;
	return CKR_OK;
}

static CK_RV f_end(cid_card_io *io)
{
	fuzz_io *f = (fuzz_io *)io;

	f->ends++;
	FUZZ_CHECK(f->begins == f->ends);
	return CKR_OK;
}

static void f_release(cid_card_io *io)
{
	(void)io;
}

static const struct cid_card_io_ops fuzz_ops = { f_transmit, f_begin, f_end, f_release };

void fuzz_io_init(fuzz_io *f, const uint8_t *data, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->base.ops = &fuzz_ops;
	f->p = data;
	f->n = len;
}

uint8_t fuzz_io_byte(fuzz_io *f)
{
	uint8_t b;

	if (f->n == 0)
		return 0;
	b = f->p[0];
	f->p++;
	f->n--;
	return b;
}

void fuzz_io_done(const fuzz_io *f)
{
	FUZZ_CHECK(f->begins == f->ends);
	FUZZ_CHECK(f->base.tx_depth == 0);
}
