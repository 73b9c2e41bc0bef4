/* The transport half of the card: APDU parsing (short and extended),
 * command chaining, response splitting with 61xx / GET RESPONSE, and the
 * APDU trace.  The reader talks T=1, which leaves all of this to the card. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "vcard/vcard.h"

/* T=1 only, and eight historical bytes "careidVC"; the last byte is TCK. */
static const uint8_t ATR[] = {
	0x3B, 0x88, 0x80, 0x01, 'c', 'a', 'r', 'e', 'i', 'd', 'V', 'C', 0x00
};

size_t vc_atr(const uint8_t **atr)
{
	static uint8_t full[sizeof(ATR)];

	if (full[0] == 0) {
		uint8_t tck = 0;

		memcpy(full, ATR, sizeof(ATR));
		for (size_t i = 1; i < sizeof(ATR) - 1; i++)
			tck ^= ATR[i];
		full[sizeof(ATR) - 1] = tck;
	}
	*atr = full;
	return sizeof(full);
}

void vc_card_init(struct vc_card *c)
{
	memset(c, 0, sizeof(*c));
}

/* Power off, power on, reset, removal: everything volatile goes. */
void vc_card_reset(struct vc_card *c)
{
	OPENSSL_cleanse(&c->ss, sizeof(c->ss));
	c->chain_on = false;
	c->chain_len = 0;
	OPENSSL_cleanse(c->chain, sizeof(c->chain));
	c->pend_off = c->pend_len = 0;
	OPENSSL_cleanse(c->pend, sizeof(c->pend));
}

void vc_card_note(struct vc_card *c, const char *event)
{
	if (c->apdu_log != NULL) {
		fprintf(c->apdu_log, "# %s\n", event);
		fflush(c->apdu_log);
	}
}

/* Instructions whose data are secrets: PINs, PUKs, management keys. */
static bool secret_ins(uint8_t ins)
{
	return ins == 0x20 || ins == 0x24 || ins == 0x2C || ins == 0xFF;
}

static void log_hex(FILE *f, const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02X", v[i]);
}

static void log_command(struct vc_card *c, const uint8_t *in, size_t n)
{
	if (c->apdu_log == NULL)
		return;
	fputs("> ", c->apdu_log);
	if (n >= 5 && secret_ins(in[1])) {
		log_hex(c->apdu_log, in, 4);
		fputs(" **", c->apdu_log);
	} else {
		log_hex(c->apdu_log, in, n);
	}
	fputc('\n', c->apdu_log);
}

static void log_response(struct vc_card *c, const struct vc_buf *out)
{
	if (c->apdu_log == NULL)
		return;
	fputs("< ", c->apdu_log);
	if (out->len > 2) {
		log_hex(c->apdu_log, out->p, out->len - 2);
		fputc(' ', c->apdu_log);
	}
	log_hex(c->apdu_log, out->p + out->len - 2, 2);
	fputc('\n', c->apdu_log);
	fflush(c->apdu_log);
}

static void write_count(const struct vc_card *c)
{
	char tmp[4096];
	FILE *f;

	if (c->count_file == NULL ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", c->count_file) >= sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	fprintf(f, "%lu\n", c->apdu_count);
	if (fclose(f) == 0)
		(void)rename(tmp, c->count_file);
}

/* ISO 7816-3 cases 1-4, short and extended.  0 or -1 (wrong length). */
static int parse(const uint8_t *in, size_t n, struct vc_apdu *a)
{
	memset(a, 0, sizeof(*a));
	if (n < 4)
		return -1;
	a->cla = in[0];
	a->ins = in[1];
	a->p1 = in[2];
	a->p2 = in[3];
	if (n == 4)
		return 0;
	if (n == 5) {
		a->ne = in[4] ? in[4] : 256;
		return 0;
	}
	if (in[4] != 0) {
		a->lc = in[4];
		if (n == 5 + a->lc) {
			a->data = in + 5;
			return 0;
		}
		if (n == 6 + a->lc) {
			a->data = in + 5;
			a->ne = in[5 + a->lc] ? in[5 + a->lc] : 256;
			return 0;
		}
		return -1;
	}
	a->extended = true;
	if (n == 7) {
		size_t le = (size_t)in[5] << 8 | in[6];

		a->ne = le ? le : 65536;
		return 0;
	}
	a->lc = (size_t)in[5] << 8 | in[6];
	if (a->lc == 0 || n < 7 + a->lc)
		return -1;
	a->data = in + 7;
	if (n == 7 + a->lc)
		return 0;
	if (n == 9 + a->lc) {
		size_t le = (size_t)in[7 + a->lc] << 8 | in[8 + a->lc];

		a->ne = le ? le : 65536;
		return 0;
	}
	return -1;
}

static void put_sw(struct vc_buf *out, uint16_t sw)
{
	vc_buf_byte(out, (uint8_t)(sw >> 8));
	vc_buf_byte(out, (uint8_t)sw);
}

/* Sends up to ne pending bytes, then 9000 or 61xx for what is left. */
static void send_pending(struct vc_card *c, size_t ne, struct vc_buf *out)
{
	size_t left = c->pend_len - c->pend_off;
	size_t take = left < ne ? left : ne;

	vc_buf_put(out, c->pend + c->pend_off, take);
	c->pend_off += take;
	left -= take;
	if (left == 0) {
		c->pend_off = c->pend_len = 0;
		put_sw(out, SW_OK);
	} else {
		put_sw(out, (uint16_t)(0x6100 | (left > 255 ? 0 : left)));
	}
}

static void serve(struct vc_card *c, const uint8_t *in, size_t n, struct vc_buf *out)
{
	struct vc_apdu a;
	struct vc_buf r;
	uint16_t sw;
	bool chained = false;

	if (parse(in, n, &a) != 0) {
		put_sw(out, SW_WRONG_LENGTH);
		return;
	}
	if ((a.cla & ~0x10) != 0) {
		put_sw(out, SW_CLA_UNKNOWN);
		return;
	}
	if (a.ins == 0xC0 && a.cla == 0) {
		if (c->pend_len == 0) {
			put_sw(out, SW_CONDITIONS);
			return;
		}
		if (a.p1 != 0 || a.p2 != 0) {
			put_sw(out, SW_WRONG_P1P2);
			return;
		}
		send_pending(c, a.ne ? a.ne : 256, out);
		return;
	}
	c->pend_off = c->pend_len = 0;

	/* A chain continues only while INS, P1 and P2 stay the same. */
	if (c->chain_on && (a.ins != c->chain_ins || a.p1 != c->chain_p1 || a.p2 != c->chain_p2)) {
		c->chain_on = false;
		c->chain_len = 0;
	}
	if (a.cla & 0x10) {
		if (!c->chain_on) {
			c->chain_on = true;
			c->chain_ins = a.ins;
			c->chain_p1 = a.p1;
			c->chain_p2 = a.p2;
			c->chain_len = 0;
		}
		if (a.lc > sizeof(c->chain) - c->chain_len) {
			c->chain_on = false;
			c->chain_len = 0;
			put_sw(out, SW_WRONG_LENGTH);
			return;
		}
		/* A link without data (Lc absent) has no data pointer. */
		if (a.lc > 0)
			memcpy(c->chain + c->chain_len, a.data, a.lc);
		c->chain_len += a.lc;
		put_sw(out, SW_OK);
		return;
	}
	if (c->chain_on) {
		if (a.lc > sizeof(c->chain) - c->chain_len) {
			c->chain_on = false;
			c->chain_len = 0;
			put_sw(out, SW_WRONG_LENGTH);
			return;
		}
		if (a.lc > 0)
			memcpy(c->chain + c->chain_len, a.data, a.lc);
		c->chain_len += a.lc;
		a.data = c->chain;
		a.lc = c->chain_len;
		c->chain_on = false;
		chained = true;
	} else if (a.lc > VC_CMD_MAX) {
		put_sw(out, SW_WRONG_LENGTH);
		return;
	}
	if (a.data == NULL)
		a.data = (const uint8_t *)"";

	vc_buf_init(&r, c->pend, sizeof(c->pend));
	sw = piv_dispatch(c, &a, &r);
	if (r.err)
		sw = SW_UNKNOWN;
	if (chained)
		OPENSSL_cleanse(c->chain, c->chain_len);
	c->chain_len = 0;
	if (sw != SW_OK || r.err || r.len == 0) {
		OPENSSL_cleanse(c->pend, r.len);
		put_sw(out, sw);
		return;
	}
	c->pend_off = 0;
	c->pend_len = r.len;
	/* Without Le a host still wants the data (and every T=1 client in use
	 * sends case 1/3 commands for GET VERSION and the like): give what a
	 * short Le would allow. */
	send_pending(c, a.ne ? a.ne : 256, out);
}

void vc_card_process(struct vc_card *c, const uint8_t *in, size_t n, struct vc_buf *out)
{
	log_command(c, in, n);
	serve(c, in, n, out);
	if (out->err) {
		/* Never reached with the sizes above; still answer something. */
		out->err = false;
		out->len = 0;
		put_sw(out, SW_UNKNOWN);
	}
	c->apdu_count++;
	log_response(c, out);
	write_count(c);
}
