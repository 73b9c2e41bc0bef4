/* Builds the list of token providers from the configuration.  The only
 * place that knows which backends exist, so the front never does. */
#ifndef CAREID_TOKEN_REGISTRY_H
#define CAREID_TOKEN_REGISTRY_H

#include <stddef.h>

#include "common/config.h"
#include "backend/backend.h"

CK_RV cid_providers_open(const cid_config *cfg, cid_provider ***list, size_t *count);
/* Releases every provider.  In a forked child, pass abandon = true: the
 * parent's open files and databases must not be touched. */
void cid_providers_close(cid_provider **list, size_t count, int abandon);

#endif
