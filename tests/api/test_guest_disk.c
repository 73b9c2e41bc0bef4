/* A module is a guest in its host's process: loading it and everything a
 * client does to look around (C_Initialize, C_GetSlotList, C_GetSlotInfo,
 * C_GetTokenInfo, C_WaitForSlotEvent, C_Finalize) create nothing on disk.
 * The token directory, missing, is simply empty (the free slot is still
 * offered), and the first C_InitToken makes it, 0700, with its parents.
 * (Once tokens exist, a listing may keep their statuses in a cache file
 * beside them, in that directory alone: docs/storage-encryption.md.) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)

/* th_setup_loaded's configuration with a token directory two levels below
 * the test directory, neither level existing. */
static void point_at_missing_dir(th_env *env, char *tokens, size_t n)
{
	FILE *f;

	snprintf(tokens, n, "%s/not-yet/tokens", env->dir);
	f = fopen(env->conf, "w");
	assert_non_null(f);
	fprintf(f, "token_dir = %s\nkdf_cost = 10\ncard_readers = no\n", tokens);
	fclose(f);
}

static bool exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* Looks at every slot and token the way a client listing them does. */
static CK_SLOT_ID look_around(th_env *env)
{
	CK_SLOT_ID list[16], free_slot = (CK_SLOT_ID)-1, ev;
	CK_ULONG n = 16;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;

	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n));
	assert_true(n >= 1 && n <= 16);
	CK(env->f->C_GetSlotList(CK_FALSE, list, &n));
	CK(env->f->C_GetSlotList(CK_TRUE, list, &n));
	for (CK_ULONG i = 0; i < n; i++) {
		CK(env->f->C_GetSlotInfo(list[i], &si));
		CK(env->f->C_GetTokenInfo(list[i], &ti));
		if (!(ti.flags & CKF_TOKEN_INITIALIZED))
			free_slot = list[i];
	}
	assert_int_equal(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
	return free_slot;
}

static void test_listing_creates_nothing(void **state)
{
	th_env *env = TH_ENV(state);
	char tokens[512], parent[512];
	CK_SLOT_ID free_slot;

	point_at_missing_dir(env, tokens, sizeof(tokens));
	snprintf(parent, sizeof(parent), "%s/not-yet", env->dir);

	CK(env->f->C_Initialize(NULL));
	assert_false(exists(parent));
	free_slot = look_around(env);
	/* No directory, no tokens, and still a slot to make the first one. */
	assert_int_not_equal(free_slot, (CK_SLOT_ID)-1);
	assert_false(exists(parent));
	CK(env->f->C_Finalize(NULL));
	assert_false(exists(parent));

	/* A second life of the module in the same process changes nothing. */
	CK(env->f->C_Initialize(NULL));
	(void)look_around(env);
	CK(env->f->C_Finalize(NULL));
	assert_false(exists(parent));
}

static void test_init_token_makes_the_dir(void **state)
{
	th_env *env = TH_ENV(state);
	char tokens[512], parent[512];
	CK_UTF8CHAR label[32];
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	struct stat sb;

	point_at_missing_dir(env, tokens, sizeof(tokens));
	snprintf(parent, sizeof(parent), "%s/not-yet", env->dir);
	/* The mode must not depend on the host's umask. */
	umask(022);
	CK(env->f->C_Initialize(NULL));
	slot = look_around(env);

	/* A refused C_InitToken (a 5-digit SO passcode) makes nothing either. */
	th_pad(label, sizeof(label), "123456789012");
	assert_int_equal(env->f->C_InitToken(slot, PIN("12345"), label), CKR_PIN_LEN_RANGE);
	assert_false(exists(parent));

	CK(env->f->C_InitToken(slot, PIN(TH_SO_PIN), label));
	assert_int_equal(stat(tokens, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(parent, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	CK(env->f->C_GetTokenInfo(slot, &ti));
	assert_true(ti.flags & CKF_TOKEN_INITIALIZED);
	assert_memory_equal(ti.label, label, sizeof(label));
	CK(env->f->C_Finalize(NULL));

	/* The token is found again from the directory it made. */
	CK(env->f->C_Initialize(NULL));
	{
		CK_SLOT_ID list[16];
		CK_ULONG n = 16;
		int found = 0;

		CK(env->f->C_GetSlotList(CK_TRUE, list, &n));
		for (CK_ULONG i = 0; i < n; i++) {
			CK(env->f->C_GetTokenInfo(list[i], &ti));
			found += memcmp(ti.label, label, sizeof(label)) == 0;
		}
		assert_int_equal(found, 1);
	}
}

#define T(t) cmocka_unit_test_setup_teardown(t, th_setup_loaded, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_listing_creates_nothing),
		T(test_init_token_makes_the_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
