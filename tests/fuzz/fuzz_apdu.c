/* APDU responses, status words and response chaining (src/card/apdu.c,
 * sw.c): one command sent through cid_apdu_transceive to a card that
 * answers with fuzz bytes (fuzz_io.h), so that 61xx GET RESPONSE chains,
 * 6Cxx resends, command chaining and short or oversized answers all come
 * from the input.
 *
 * Input: four parameter bytes, then the card's responses.
 *   0  bit 0 extended lengths, bit 1 secret, bits 2-3 Lc (0, byte 1, 300:
 *      chained on short cards, 70000: too long), bits 4-5 Le (none,
 *      byte 2, 256, all), bits 6-7 response capacity (0, byte 3, 258, 65538)
 *   1  Lc when picked by bits 2-3
 *   2  Le when picked by bits 4-5
 *   3  capacity when picked by bits 6-7 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card/apdu.h"
#include "card/sw.h"
#include "fuzz_io.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/* The encoder on its own: the header is the four bytes given, and the
 * length it reports is the one ISO 7816-4 gives for the case. */
static void encode(const cid_apdu *a, bool extended)
{
	uint8_t out[4 + 3 + 0xffff + 3];
	size_t n = 0, need;
	CK_RV rv = cid_apdu_encode(a, extended, out, sizeof(out), &n);

	if (a->lc > 0xffff || a->le > CID_APDU_LE_ALL || (!extended && a->lc > CID_APDU_SHORT_MAX_LC)) {
		FUZZ_CHECK(rv == CKR_DATA_LEN_RANGE);
		return;
	}
	FUZZ_CHECK(rv == CKR_OK);
	if (!extended)
		need = 4 + (a->lc ? 1 + a->lc : 0) + (a->le ? 1 : 0);
	else
		need = 4 + (a->lc ? 3 + a->lc : 0) + (a->le ? (a->lc ? 2 : 3) : 0);
	FUZZ_CHECK(n == need);
	FUZZ_CHECK(out[0] == a->cla && out[1] == a->ins && out[2] == a->p1 && out[3] == a->p2);
	if (need > 0) {
		size_t n2 = 0;

		FUZZ_CHECK(cid_apdu_encode(a, extended, out, need - 1, &n2) == CKR_BUFFER_TOO_SMALL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t lcs[] = { 0, 0, 300, 70000 }, les[] = { 0, 0, 256, CID_APDU_LE_ALL },
	                    caps[] = { 0, 0, 258, 65538 };
	static uint8_t cmd_data[70000];
	fuzz_io f;
	uint8_t flags, b1, b2, b3, *resp;
	size_t lc, le, cap, rl = 0;
	uint16_t sw = 0;
	bool extended;
	CK_RV rv;

	fuzz_io_init(&f, data, size);
	flags = fuzz_io_byte(&f);
	b1 = fuzz_io_byte(&f);
	b2 = fuzz_io_byte(&f);
	b3 = fuzz_io_byte(&f);
	extended = flags & 1;
	lc = (flags >> 2 & 3) == 1 ? b1 : lcs[flags >> 2 & 3];
	le = (flags >> 4 & 3) == 1 ? b2 : les[flags >> 4 & 3];
	cap = (flags >> 6 & 3) == 1 ? b3 : caps[flags >> 6 & 3];
	memset(cmd_data, 0xA5, lc);

	cid_apdu a = { .cla = 0x00, .ins = 0xCB, .p1 = 0x3F, .p2 = 0xFF, .data = lc ? cmd_data : NULL,
		       .lc = lc, .le = le, .secret = flags & 2 };

	encode(&a, extended);
	/* Exactly cap bytes, so that ASan sees a write past the end. */
	resp = malloc(cap ? cap : 1);
	if (resp == NULL)
		return 0;
	rv = cid_apdu_transceive(&f.base, extended, &a, cap ? resp : NULL, cap, &rl, &sw);
	fuzz_io_done(&f);
	if (rv == CKR_OK) {
		FUZZ_CHECK(rl <= cap);
		/* Every status word has a meaning, 9000 alone being success. */
		CK_RV mapped = cid_sw_rv(sw);
		unsigned tries = 99;

		FUZZ_CHECK((mapped == CKR_OK) == (sw == CID_SW_OK));
		if (cid_sw_tries(sw, &tries))
			FUZZ_CHECK(tries <= 15 && (mapped == CKR_PIN_INCORRECT || mapped == CKR_PIN_LOCKED));
		(void)cid_sw_unsupported(sw);
	} else {
		/* Nothing half-assembled is handed out with an error. */
		FUZZ_CHECK(rl == 0);
		FUZZ_CHECK(rv == CKR_DEVICE_ERROR || rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
		           rv == CKR_DATA_LEN_RANGE || rv == CKR_HOST_MEMORY);
	}
	free(resp);
	return 0;
}
