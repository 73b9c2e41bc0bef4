/* Directories only their owner reaches: the soft tokens' and the host's
 * card audit trails. */
#ifndef CAREID_COMMON_PRIVATE_DIR_H
#define CAREID_COMMON_PRIVATE_DIR_H

#include "pkcs11.h"

/* Makes dir (absolute) and its missing parents 0700.  An existing
 * directory is left as it is, with a warning when others can reach into
 * it; what names the directory in log lines ("token directory").
 * CKR_GENERAL_ERROR, with a log line, when it cannot be made or is not a
 * directory. */
CK_RV cid_private_dir(const char *dir, const char *what);
/* The warning of cid_private_dir for a directory found with this mode. */
void cid_private_dir_warn(const char *dir, unsigned mode, const char *what);

#endif
