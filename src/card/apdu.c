/* APDU encoding and the response-assembly rules of ISO 7816-4 (T=1 cards
 * leave GET RESPONSE to the host: 61xx). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/apdu.h"
#include "common/log.h"
#include "common/mem.h"

/* Bounds the GET RESPONSE loop: 64 KiB in 256-byte pieces and then some. */
#define MAX_ROUNDS 300
#define SHORT_RESP (256 + 2)
#define EXT_RESP (65536 + 2)

CK_RV cid_io_begin(cid_card_io *io)
{
	CK_RV rv = CKR_OK;

	if (io->tx_depth == 0 && io->ops->begin != NULL)
		rv = io->ops->begin(io);
	if (rv == CKR_OK)
		io->tx_depth++;
	return rv;
}

void cid_io_end(cid_card_io *io)
{
	if (io->tx_depth == 0)
		return;
	if (--io->tx_depth == 0 && io->ops->end != NULL)
		(void)io->ops->end(io);
}

CK_RV cid_apdu_encode(const cid_apdu *a, bool extended, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t n = 4, need;

	if (a == NULL || out == NULL || outlen == NULL || (a->data == NULL && a->lc != 0))
		return CKR_ARGUMENTS_BAD;
	if (a->le > CID_APDU_LE_ALL || (!extended && a->lc > CID_APDU_SHORT_MAX_LC) || a->lc > 0xffff)
		return CKR_DATA_LEN_RANGE;
	if (!extended)
		need = 4 + (a->lc ? 1 + a->lc : 0) + (a->le ? 1 : 0);
	else
		need = 4 + (a->lc ? 3 + a->lc : 0) + (a->le ? (a->lc ? 2 : 3) : 0);
	if (cap < need)
		return CKR_BUFFER_TOO_SMALL;
	out[0] = a->cla;
	out[1] = a->ins;
	out[2] = a->p1;
	out[3] = a->p2;
	if (!extended) {
		if (a->lc) {
			out[n++] = (uint8_t)a->lc;
			memcpy(out + n, a->data, a->lc);
			n += a->lc;
		}
		/* 256 and above are all "00": the card says 61xx for the rest. */
		if (a->le)
			out[n++] = a->le >= 256 ? 0 : (uint8_t)a->le;
	} else {
		if (a->lc) {
			out[n++] = 0;
			out[n++] = (uint8_t)(a->lc >> 8);
			out[n++] = (uint8_t)a->lc;
			memcpy(out + n, a->data, a->lc);
			n += a->lc;
		}
		if (a->le) {
			size_t le = a->le >= 65536 ? 0 : a->le;

			if (!a->lc)
				out[n++] = 0;
			out[n++] = (uint8_t)(le >> 8);
			out[n++] = (uint8_t)le;
		}
	}
	*outlen = n;
	return CKR_OK;
}

static void trace_cmd(const cid_apdu *a, size_t lc, bool chained)
{
	char hex[2 * 24 + 1] = "";

	if (!cid_log_enabled(CID_LOG_DEBUG))
		return;
	if (!a->secret)
		for (size_t i = 0; i < lc && i < 24; i++)
			snprintf(hex + 2 * i, 3, "%02X", a->data[i]);
	CID_DEBUG("> %02X %02X %02X %02X Lc=%zu%s %s%s", a->cla | (chained ? CID_APDU_CHAIN_BIT : 0), a->ins,
	          a->p1, a->p2, lc, chained ? " (chained)" : "", a->secret ? "[secret]" : hex,
	          !a->secret && lc > 24 ? "..." : "");
}

/* One command-response pair at the transport. */
static CK_RV exchange(cid_card_io *io, bool extended, const cid_apdu *a, uint8_t *cmd, size_t cmdcap,
                      uint8_t *r, size_t rcap, size_t *rl)
{
	size_t cl = 0;
	CK_RV rv = cid_apdu_encode(a, extended, cmd, cmdcap, &cl);

	if (rv != CKR_OK)
		return rv;
	*rl = rcap;
	rv = io->ops->transmit(io, cmd, cl, r, rl);
	cid_wipe(cmd, cl);
	if (rv != CKR_OK)
		return rv;
	if (*rl < 2 || *rl > rcap) {
		CID_WARN("malformed response (%zu bytes)", *rl);
		return CKR_DEVICE_ERROR;
	}
	return CKR_OK;
}

static CK_RV append(uint8_t *resp, size_t cap, size_t *len, const uint8_t *d, size_t n)
{
	if (n > cap - *len) {
		CID_WARN("card response exceeds the %zu bytes expected", cap);
		return CKR_DEVICE_ERROR;
	}
	if (n > 0)
		memcpy(resp + *len, d, n);
	*len += n;
	return CKR_OK;
}

static CK_RV run(cid_card_io *io, bool extended, const cid_apdu *a, uint8_t *resp, size_t cap,
                 size_t *resplen, uint16_t *sw, uint8_t *cmd, size_t cmdcap, uint8_t *r, size_t rcap)
{
	size_t block = extended ? 0xffff : CID_APDU_SHORT_MAX_LC;
	size_t off = 0, rl = 0, got = 0;
	cid_apdu c = *a;
	bool resent = false;
	CK_RV rv;

	/* Every block but the last carries the chaining bit and no Le. */
	while (a->lc - off > block) {
		c.cla = (uint8_t)(a->cla | CID_APDU_CHAIN_BIT);
		c.data = a->data + off;
		c.lc = block;
		c.le = 0;
		trace_cmd(&c, block, true);
		rv = exchange(io, extended, &c, cmd, cmdcap, r, rcap, &rl);
		if (rv != CKR_OK)
			return rv;
		*sw = (uint16_t)(r[rl - 2] << 8 | r[rl - 1]);
		cid_wipe(r, rl);
		if (*sw != 0x9000) {
			*resplen = 0;
			return CKR_OK;
		}
		off += block;
	}
	c = *a;
	/* A command without data has data NULL, and NULL + 0 is undefined. */
	c.data = off > 0 ? a->data + off : a->data;
	c.lc = a->lc - off;
	if (!extended && c.le > 256)
		c.le = 256;
	trace_cmd(&c, c.lc, false);
	for (int round = 0;; round++) {
		if (round >= MAX_ROUNDS) {
			CID_WARN("card keeps asking for GET RESPONSE");
			return CKR_DEVICE_ERROR;
		}
		rv = exchange(io, extended, &c, cmd, cmdcap, r, rcap, &rl);
		if (rv != CKR_OK)
			return rv;
		*sw = (uint16_t)(r[rl - 2] << 8 | r[rl - 1]);
		if ((*sw & 0xff00) == 0x6c00 && !resent) {
			/* Wrong Le: the same command again with the length the
			 * card asked for; nothing of the first answer counts. */
			resent = true;
			c.le = (*sw & 0xff) == 0 ? 256 : (*sw & 0xff);
			continue;
		}
		rv = append(resp, cap, &got, r, rl - 2);
		cid_wipe(r, rl);
		if (rv != CKR_OK) {
			cid_wipe(resp, got);
			return rv;
		}
		if ((*sw & 0xff00) != 0x6100)
			break;
		c = (cid_apdu){ .cla = (uint8_t)(a->cla & 0x03), .ins = 0xC0, .le = (*sw & 0xff) ? (*sw & 0xff) : 256 };
	}
	CID_DEBUG("< %zu bytes, SW %04X", got, *sw);
	*resplen = got;
	return CKR_OK;
}

CK_RV cid_apdu_transceive(cid_card_io *io, bool extended, const cid_apdu *a, uint8_t *resp, size_t cap,
                          size_t *resplen, uint16_t *sw)
{
	size_t cmdcap = extended ? 4 + 3 + 0xffff + 2 : 4 + 1 + 255 + 1;
	size_t rcap = extended ? EXT_RESP : SHORT_RESP;
	uint8_t *cmd, *r;
	CK_RV rv;

	if (io == NULL || a == NULL || sw == NULL || resplen == NULL || (resp == NULL && cap != 0) ||
	    (a->data == NULL && a->lc != 0))
		return CKR_ARGUMENTS_BAD;
	*resplen = 0;
	*sw = 0;
	cmd = malloc(cmdcap);
	r = malloc(rcap);
	if (cmd == NULL || r == NULL) {
		free(cmd);
		free(r);
		return CKR_HOST_MEMORY;
	}
	rv = cid_io_begin(io);
	if (rv == CKR_OK) {
		rv = run(io, extended, a, resp, cap, resplen, sw, cmd, cmdcap, r, rcap);
		cid_io_end(io);
	}
	cid_free_secret(&cmd, cmdcap);
	cid_free_secret(&r, rcap);
	return rv;
}
