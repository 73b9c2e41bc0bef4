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
	assert_string_equal("/x/data/careid/card-audit", c.card_audit_dir);
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
	assert_string_equal("/srv/card-audit", c.card_audit_dir);
	assert_int_equal(12, c.kdf_cost);
	assert_false(c.soft_tokens);
	cid_config_free(&c);
	assert_null(c.card_audit_dir);
}

/* The card trails sit beside the token directory unless named, so that a
 * configuration naming only token_dir keeps all of careid's files there. */
static void card_audit_dir(void **state)
{
	static const char *const cases[][2] = {
		{ "token_dir = /srv/t//\n", "/srv/card-audit" },
		{ "token_dir = /tokens\n", "/card-audit" },
		{ "token_dir = /\n", "/card-audit" },
		{ "token_dir = /a/b\ncard_audit_dir = /var/log/careid/cards\n", "/var/log/careid/cards" },
	};
	cid_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_conf(cases[i][0]);
		assert_int_equal(CKR_OK, cid_config_load(&c));
		assert_string_equal(cases[i][1], c.card_audit_dir);
		cid_config_free(&c);
	}
	write_conf("card_audit_dir = cards\n");
	assert_int_equal(CKR_GENERAL_ERROR, cid_config_load(&c));
	assert_null(c.card_audit_dir);
}

static void reads_issuer(void **state)
{
	cid_config c;

	(void)state;
	write_conf("issuer_cert = /etc/careid/issuer.pem\nissuer_key = /etc/careid/issuer.key\n"
	           "issuer_org = St Mary's Hospital = NHS  # O of every card\n");
	assert_int_equal(CKR_OK, cid_config_load(&c));
	assert_string_equal("/etc/careid/issuer.pem", c.issuer_cert);
	assert_string_equal("/etc/careid/issuer.key", c.issuer_key);
	assert_string_equal("St Mary's Hospital = NHS", c.issuer_org);
	cid_config_free(&c);
	assert_null(c.issuer_cert);
	assert_null(c.issuer_org);

	/* A key on any PKCS#11 token; the last of two lines wins. */
	write_conf("issuer_key = /old.key\nissuer_key = PKCS11:token=ra;object=issuer;type=private\n");
	assert_int_equal(CKR_OK, cid_config_load(&c));
	assert_string_equal("PKCS11:token=ra;object=issuer;type=private", c.issuer_key);
	assert_null(c.issuer_cert);
	assert_null(c.issuer_org);
	cid_config_free(&c);

	unsetenv("CAREID_CONF");
	assert_int_equal(CKR_OK, cid_config_load(&c));
	assert_null(c.issuer_cert);
	assert_null(c.issuer_key);
	assert_null(c.issuer_org);
	cid_config_free(&c);
}

static void org_rule(void **state)
{
	char longest[CID_ISSUER_ORG_MAX + 2];

	(void)state;
	memset(longest, 'a', sizeof(longest));
	longest[CID_ISSUER_ORG_MAX] = '\0';
	assert_true(cid_config_org_ok(longest));
	assert_true(cid_config_org_ok("X"));
	assert_true(cid_config_org_ok("H\xc3\xb4pital Saint-Lou"));
	longest[CID_ISSUER_ORG_MAX] = 'a';
	longest[CID_ISSUER_ORG_MAX + 1] = '\0';
	assert_false(cid_config_org_ok(longest));
	assert_false(cid_config_org_ok(""));
	assert_false(cid_config_org_ok(" leading"));
	assert_false(cid_config_org_ok("trail "));
	assert_false(cid_config_org_ok("a#b"));
	assert_false(cid_config_org_ok("tab\there"));
	assert_false(cid_config_org_ok("del\x7f"));
	/* Not UTF-8: a stray continuation byte, a cut sequence, an overlong
	 * '/', a surrogate, past U+10FFFF, a Latin-1 byte. */
	assert_false(cid_config_org_ok("a\x80" "b"));
	assert_false(cid_config_org_ok("a\xc3"));
	assert_false(cid_config_org_ok("\xc0\xaf"));
	assert_false(cid_config_org_ok("\xed\xa0\x80"));
	assert_false(cid_config_org_ok("\xf4\x90\x80\x80"));
	assert_false(cid_config_org_ok("H\xf4pital"));
	assert_true(cid_config_org_ok("\xe2\x82\xac \xf0\x9f\x8f\xa5"));
}

static void refuses_bad_files(void **state)
{
	static const char *const bad[] = {
		"kdf_cost = 9\n", "kdf_cost = 23\n", "kdf_cost = 1x\n",
		"token_dir = relative/path\n", "soft_tokens = maybe\n", "no equals sign\n",
		"issuer_cert = issuer.pem\n", "issuer_cert =\n", "issuer_key = issuer.key\n",
		"issuer_key = https://ra.example/key\n", "issuer_key =\n", "issuer_org =\n",
		"issuer_org = 01234567890123456789012345678901234567890123\n",
		"token_dir = /t\nissuer_org = a\x01" "b\n",
	};
	cid_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_conf(bad[i]);
		assert_int_equal(CKR_GENERAL_ERROR, cid_config_load(&c));
		assert_null(c.token_dir);
		assert_null(c.issuer_cert);
		assert_null(c.issuer_key);
		assert_null(c.issuer_org);
	}
	/* A good key before a bad one is not left behind. */
	write_conf("issuer_cert = /a.pem\nissuer_key = /a.key\nissuer_org = a\nkdf_cost = 99\n");
	assert_int_equal(CKR_GENERAL_ERROR, cid_config_load(&c));
	assert_null(c.issuer_cert);
	assert_null(c.issuer_key);
	assert_null(c.issuer_org);
	setenv("CAREID_CONF", "/nonexistent/careid.conf", 1);
	assert_int_equal(CKR_GENERAL_ERROR, cid_config_load(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_without_file),
		cmocka_unit_test_setup_teardown(reads_values, setup, teardown),
		cmocka_unit_test_setup_teardown(card_audit_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(reads_issuer, setup, teardown),
		cmocka_unit_test(org_rule),
		cmocka_unit_test_setup_teardown(refuses_bad_files, setup, teardown),
	};
	setenv("CAREID_LOG", "none", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
