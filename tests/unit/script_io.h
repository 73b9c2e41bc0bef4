/* A card transport that plays a script: each command the layer under test
 * sends is checked against the next expected one and answered with its
 * scripted response.  Used by the APDU and PIV unit tests. */
#ifndef CAREID_TESTS_SCRIPT_IO_H
#define CAREID_TESTS_SCRIPT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/apdu.h"

#define SCRIPT_STEPS 16

typedef struct script_step {
	uint8_t cmd[700];
	size_t cmdlen;     /* 0: accept any command */
	uint8_t resp[600];
	size_t resplen;
	CK_RV rv;          /* transport result instead of a response */
	bool forever;      /* answer this way to every later command */
} script_step;

typedef struct script_io {
	cid_card_io base;
	script_step s[SCRIPT_STEPS];
	size_t n, pos;
	int begins, ends, transmits;
	CK_RV begin_rv;    /* what beginning a transaction returns */
	/* Check that commands travel inside a transaction and that the
	 * transport never sees nested ones (layers that own transactions). */
	bool check_transactions;
} script_io;

/* Hex with optional spaces into bytes; returns the count. */
size_t script_hex(const char *h, uint8_t *out);
void script_init(script_io *f, bool check_transactions);
/* Appends a step: cmd NULL accepts any command. */
script_step *script_expect(script_io *f, const char *cmd, const char *resp);
/* Every scripted command was sent, and transactions are balanced. */
void script_done(const script_io *f);

#endif
