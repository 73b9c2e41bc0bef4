#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/private_dir.h"

CK_RV cid_private_dir(const char *dir, const char *what)
{
	char *p;
	struct stat sb;
	CK_RV rv = CKR_OK;

	if (dir == NULL || dir[0] != '/')
		return CKR_ARGUMENTS_BAD;
	if ((p = strdup(dir)) == NULL)
		return CKR_HOST_MEMORY;
	for (char *q = p + 1; rv == CKR_OK && *q != '\0'; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			CID_ERROR("cannot create %s: %s", p, strerror(errno));
			rv = CKR_GENERAL_ERROR;
		}
		*q = '/';
	}
	if (rv == CKR_OK && mkdir(p, 0700) != 0 && errno != EEXIST) {
		CID_ERROR("cannot create %s %s: %s", what, p, strerror(errno));
		rv = CKR_GENERAL_ERROR;
	}
	if (rv == CKR_OK && (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		CID_ERROR("%s %s is not a directory", what, p);
		rv = CKR_GENERAL_ERROR;
	}
	if (rv == CKR_OK)
		cid_private_dir_warn(p, (unsigned)sb.st_mode, what);
	free(p);
	return rv;
}

void cid_private_dir_warn(const char *dir, unsigned mode, const char *what)
{
	if ((mode & 077) != 0)
		CID_WARN("%s %s is accessible to other users (mode %03o); 0700 is expected", what, dir, mode & 0777);
}
