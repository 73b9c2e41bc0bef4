/* Listing soft tokens through PKCS#11 as new processes do, one module
 * life after another, with the status cache beside the tokens in use: a
 * change made by another process between two listings is what the next
 * listing reports; and many slots, each found by its id. */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)

/* Every token file and log in the directory dated years back, as tokens
 * left alone are: their statuses may then be kept. */
static void age_tokens(const th_env *env)
{
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char dir[300], p[600];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tokens", env->dir);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".token") == NULL || strstr(de->d_name, "-shm") != NULL)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
	}
	closedir(d);
}

static bool cache_exists(const th_env *env)
{
	char p[600];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/tokens/.careid-status", env->dir);
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0777) == 0600;
}

/* One module life: C_Initialize, the token's flags, C_Finalize. */
static CK_FLAGS listed_flags(th_env *env, const char *label)
{
	CK_TOKEN_INFO ti;
	CK_UTF8CHAR want[32];

	CK(env->f->C_Initialize(NULL));
	CK(env->f->C_GetTokenInfo(th_slot_of(env, label), &ti));
	th_pad(want, sizeof(want), label);
	assert_memory_equal(ti.label, want, 32);
	CK(env->f->C_Finalize(NULL));
	return ti.flags;
}

/* A wrong user passcode, offered by a process of its own. */
static void wrong_pin_elsewhere(th_env *env, const char *label)
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		CK_RV rv = env->f->C_Initialize(NULL);

		if (rv == CKR_OK)
			rv = env->f->C_OpenSession(th_slot_of(env, label), CKF_SERIAL_SESSION, NULL, NULL, &s);
		if (rv == CKR_OK)
			rv = env->f->C_Login(s, CKU_USER, PIN("000000")) == CKR_PIN_INCORRECT ? CKR_OK : CKR_GENERAL_ERROR;
		if (env->f->C_Finalize(NULL) != CKR_OK)
			rv = CKR_GENERAL_ERROR;
		_exit(rv == CKR_OK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_listing_sees_another_process(void **state)
{
	th_env *env = TH_ENV(state);
	CK_FLAGS fl;

	(void)th_new_token(env, "kept card");
	CK(env->f->C_Finalize(NULL));
	age_tokens(env);
	assert_false(cache_exists(env));
	fl = listed_flags(env, "kept card");
	assert_false(fl & CKF_USER_PIN_COUNT_LOW);
	/* That listing read the token and left its status beside it. */
	assert_true(cache_exists(env));
	fl = listed_flags(env, "kept card");
	assert_false(fl & CKF_USER_PIN_COUNT_LOW);

	/* Another process spends a try; its times are set back after. */
	wrong_pin_elsewhere(env, "kept card");
	age_tokens(env);
	for (int life = 0; life < 3; life++) {
		fl = listed_flags(env, "kept card");
		assert_true(fl & CKF_USER_PIN_COUNT_LOW);
		assert_false(fl & CKF_USER_PIN_FINAL_TRY);
	}
	/* And another, this time listed as soon as it is done. */
	wrong_pin_elsewhere(env, "kept card");
	fl = listed_flags(env, "kept card");
	assert_true(fl & CKF_USER_PIN_FINAL_TRY);
	age_tokens(env);
	fl = listed_flags(env, "kept card");
	assert_true(fl & CKF_USER_PIN_FINAL_TRY);
	fl = listed_flags(env, "kept card");
	assert_true(fl & CKF_USER_PIN_FINAL_TRY);

	CK(env->f->C_Initialize(NULL));
}

/* More tokens than the slot table first has room for: every slot is
 * found by its id, keeps it in the next module life, and holds its own
 * token. */
#define MANY 40
static void test_many_slots(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID ids[MANY + 8], again[MANY + 8];
	CK_ULONG n = MANY + 8, m = MANY + 8;
	char label[32];
	int labelled[MANY] = { 0 };

	for (int i = 0; i < MANY; i++) {
		snprintf(label, sizeof(label), "many-%02d", i);
		(void)th_new_token_no_user(env, label);
	}
	CK(env->f->C_Finalize(NULL));
	for (int life = 0; life < 2; life++) {
		CK(env->f->C_Initialize(NULL));
		CK(env->f->C_GetSlotList(CK_TRUE, life == 0 ? ids : again, life == 0 ? &n : &m));
		for (CK_ULONG i = 0; i < (life == 0 ? n : m); i++) {
			CK_SLOT_ID id = life == 0 ? ids[i] : again[i];
			CK_TOKEN_INFO ti;
			int k = -1;

			for (CK_ULONG j = 0; j < i; j++)
				assert_int_not_equal(life == 0 ? ids[j] : again[j], id);
			CK(env->f->C_GetTokenInfo(id, &ti));
			if (!(ti.flags & CKF_TOKEN_INITIALIZED))
				continue;
			assert_int_equal(sscanf((const char *)ti.label, "many-%2d", &k), 1);
			assert_true(k >= 0 && k < MANY);
			if (life == 0)
				labelled[k] = (int)i + 1;
			else
				assert_int_equal(ids[labelled[k] - 1], id);
		}
		assert_int_equal(env->f->C_GetTokenInfo(0x0ffffff0, &(CK_TOKEN_INFO){ 0 }), CKR_SLOT_ID_INVALID);
		CK(env->f->C_Finalize(NULL));
	}
	assert_int_equal(n, MANY + 1);
	assert_int_equal(m, MANY + 1);
	for (int i = 0; i < MANY; i++)
		assert_true(labelled[i] > 0);
	CK(env->f->C_Initialize(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listing_sees_another_process, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_many_slots, th_setup, th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
