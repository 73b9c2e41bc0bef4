#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/config.h"

static char path[64];

static void write_conf(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	setenv("CAREID_CONF", path, 1);
}

static int setup(void **state)
{
	int fd;

	(void)state;
	strcpy(path, "/tmp/careid-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	unsetenv("CAREID_CONF");
	return 0;
}

static void defaults_without_file(void **state)
{
	cid_config c;

	(void)state;
	unsetenv("CAREID_CONF");
	setenv("XDG_DATA_HOME", "/x/data", 1);
	assert_int_equal(CKR_OK, cid_config_load(&c));
	assert_string_equal("/x/data/careid/tokens", c.token_dir);
	assert_true(c.soft_tokens);
	assert_int_equal(CID_KDF_COST_DEFAULT, c.kdf_cost);
	cid_config_free(&c);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(CKR_OK, cid_config_load(&c));
	assert_string_equal("/home/u/.local/share/careid/tokens", c.token_dir);
	cid_config_free(&c);
}

static void reads_values(void **state)
{
	cid_config c;

	(void)state;
	write_conf("# comment\n\n token_dir = /srv/tokens  # trailing\nkdf_cost=12\nsoft_tokens = no\n"
	           "future_key = 1\n");
	assert_int_equal(CKR_OK, cid_config_load(&c));
	assert_string_equal("/srv/tokens", c.token_dir);
	assert_int_equal(12, c.kdf_cost);
	assert_false(c.soft_tokens);
	cid_config_free(&c);
}

static void refuses_bad_files(void **state)
{
	static const char *const bad[] = {
		"kdf_cost = 9\n", "kdf_cost = 23\n", "kdf_cost = 1x\n",
		"token_dir = relative/path\n", "soft_tokens = maybe\n", "no equals sign\n",
	};
	cid_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_conf(bad[i]);
		assert_int_equal(CKR_GENERAL_ERROR, cid_config_load(&c));
		assert_null(c.token_dir);
	}
	setenv("CAREID_CONF", "/nonexistent/careid.conf", 1);
	assert_int_equal(CKR_GENERAL_ERROR, cid_config_load(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_without_file),
		cmocka_unit_test_setup_teardown(reads_values, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_bad_files, setup, teardown),
	};
	setenv("CAREID_LOG", "none", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
