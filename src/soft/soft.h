/* The soft token ("virtual smartcard"): one encrypted SQLite database per
 * token in a directory.  Its only public face is a provider. */
#ifndef CAREID_SOFT_SOFT_H
#define CAREID_SOFT_SOFT_H

#include <stdint.h>

#include "backend/backend.h"

/* dir is created (0700) when missing.  kdf_cost is log2 of the scrypt cost
 * used for tokens created from now on. */
CK_RV cid_soft_provider_new(const char *dir, uint32_t kdf_cost, cid_provider **out);

#endif
