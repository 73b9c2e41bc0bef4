/* A card transport that answers with fuzz bytes, for the harnesses of the
 * APDU and PIV layers.  The input is a sequence of responses, each a
 * 2-byte big-endian length and that many bytes (a short tail is taken as
 * it is); a length of FFxx makes the transport fail instead (xx picks the
 * error), and an exhausted input is a card that stopped answering.
 *
 * The transport also checks what the layers above must guarantee: every
 * command is sent inside a transaction, is at least a header long, and
 * transactions never nest at the transport.  A breach aborts, which
 * libFuzzer reports as a crash. */
#ifndef CAREID_FUZZ_IO_H
#define CAREID_FUZZ_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/io.h"

typedef struct fuzz_io {
	cid_card_io base;
	const uint8_t *p;
	size_t n;
	unsigned begins, ends, transmits;
} fuzz_io;

void fuzz_io_init(fuzz_io *f, const uint8_t *data, size_t len);
/* Takes one parameter byte from the front of the input (0 when none is left). */
uint8_t fuzz_io_byte(fuzz_io *f);
/* Aborts unless every transaction begun was ended. */
void fuzz_io_done(const fuzz_io *f);

#define FUZZ_CHECK(cond)                                                                        \
	do {                                                                                    \
		if (!(cond))                                                                    \
			fuzz_fail(__FILE__, __LINE__, #cond);                                   \
	} while (0)
_Noreturn void fuzz_fail(const char *file, int line, const char *what);
/* Silences the module's log (it would otherwise write a line per bad input). */
void fuzz_quiet(void);

#endif
