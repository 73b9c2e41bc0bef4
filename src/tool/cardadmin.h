/* cardadmin.c: a card's management key and PUK for RA work. */
#ifndef CAREID_TOOL_CARDADMIN_H
#define CAREID_TOOL_CARDADMIN_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint8_t mgmt[32];
	size_t mgmt_len;
	char puk[9];
} tool_card_secrets;

/* 0 with out filled for the card of that serial; -1 with the reason in why
 * (which never holds a secret). */
int tool_card_admin(const char *serial, tool_card_secrets *out, char *why, size_t whylen);
void tool_card_secrets_wipe(tool_card_secrets *s);

#endif
