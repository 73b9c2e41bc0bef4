/* The configuration file parser (src/common/config.c), reading the input
 * as the file CAREID_CONF names.  The file is an in-memory one, so that
 * the harness runs the module's own reading code (fopen, fgets) with no
 * disk in the loop.  A file is either refused whole or gives a
 * configuration within the documented ranges. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/config.h"
#include "fuzz_io.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int conf_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];

	(void)argc;
	(void)argv;
	fuzz_quiet();
	conf_fd = memfd_create("careid-fuzz.conf", MFD_CLOEXEC);
	if (conf_fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", conf_fd);
	setenv("CAREID_CONF", path, 1);
	/* The default token directory is only computed, never created. */
	setenv("HOME", "/nonexistent/careid-fuzz", 1);
	unsetenv("XDG_DATA_HOME");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cid_config cfg;
	CK_RV rv;

	FUZZ_CHECK(ftruncate(conf_fd, 0) == 0);
	FUZZ_CHECK(size == 0 || pwrite(conf_fd, data, size, 0) == (ssize_t)size);
	memset(&cfg, 0xA5, sizeof(cfg));
	rv = cid_config_load(&cfg);
	if (rv == CKR_OK) {
		FUZZ_CHECK(cfg.token_dir != NULL && cfg.token_dir[0] == '/');
		FUZZ_CHECK(cfg.kdf_cost >= CID_KDF_COST_MIN && cfg.kdf_cost <= CID_KDF_COST_MAX);
		/* A value is one line's text, never more than a line holds. */
		FUZZ_CHECK(strlen(cfg.token_dir) < 1024);
	} else {
		FUZZ_CHECK(rv == CKR_GENERAL_ERROR || rv == CKR_HOST_MEMORY);
		FUZZ_CHECK(cfg.token_dir == NULL);
	}
	cid_config_free(&cfg);
	FUZZ_CHECK(cfg.token_dir == NULL);
	return 0;
}
