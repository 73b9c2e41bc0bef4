/* Where the module keeps soft-token files and the host's card audit
 * trails: read with the module's own configuration code
 * (src/common/config.c), so that the tool and the module can never
 * disagree about CAREID_CONF, token_dir, card_audit_dir or their defaults. */
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "tool/tool.h"

static char *config_dir(bool cards)
{
	cid_config cfg;
	const char *d;
	char *dir = NULL;

	if (cid_config_load(&cfg) != CKR_OK)
		return NULL;
	d = cards ? cfg.card_audit_dir : cfg.token_dir;
	if (d != NULL)
		dir = strdup(d);
	cid_config_free(&cfg);
	return dir;
}

char *tool_token_dir(void)
{
	return config_dir(false);
}

char *tool_card_audit_dir(void)
{
	return config_dir(true);
}
