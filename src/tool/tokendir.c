/* Where the module keeps soft-token files: read with the module's own
 * configuration code (src/common/config.c), so that the tool and the module
 * can never disagree about CAREID_CONF, token_dir or the default place. */
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "tool/tool.h"

char *tool_token_dir(void)
{
	cid_config cfg;
	char *dir = NULL;

	if (cid_config_load(&cfg) != CKR_OK)
		return NULL;
	if (cfg.token_dir != NULL)
		dir = strdup(cfg.token_dir);
	cid_config_free(&cfg);
	return dir;
}
