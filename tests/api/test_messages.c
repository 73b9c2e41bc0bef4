/* The log lines a person reads (CAREID_LOG, CAREID_LOG_FILE), on a soft
 * token: a token is named by its label with its serial in brackets; one
 * line per wrong passcode, saying how many tries are left and, at none,
 * who can unblock it; a malformed passcode says why it was not checked and
 * that no try was spent; no internal function names but in a debug trace.
 * The card's lines, in the same words, are checked by tests/card/messages.sh. */
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define RW (CKF_SERIAL_SESSION | CKF_RW_SESSION)
#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)
#define LABEL "123456789012"
#define WRONG "000111"
#define WRONG_SO "00011122"

typedef struct fx {
	th_env *env;
	char log[400];
	long seen;             /* bytes of the log already looked at */
	CK_SLOT_ID slot;
	char name[96];         /* token "LABEL" [serial ...] */
	char lines[16][512];   /* the lines since the last take_lines */
	int n;
} fx;

/* The lines written since the last call, each without its "careid[pid] "
 * prefix (so "warn: token ..."). */
static int take_lines(fx *f)
{
	FILE *fp = fopen(f->log, "r");
	char buf[1024];

	f->n = 0;
	if (fp == NULL)
		return 0;
	assert_int_equal(fseek(fp, f->seen, SEEK_SET), 0);
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		char *p = strchr(buf, ']');

		assert_true(strncmp(buf, "careid[", 7) == 0);
		assert_non_null(p);
		assert_true(f->n < 16);
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(f->lines[f->n++], sizeof(f->lines[0]), "%s", p + 2);
	}
	f->seen = ftell(fp);
	fclose(fp);
	return f->n;
}

/* Exactly one new line, and it is want (after "level: token-name: "). */
static void expect_line(fx *f, const char *level, const char *want)
{
	char full[512];

	snprintf(full, sizeof(full), "%s: %s: %s", level, f->name, want);
	if (take_lines(f) != 1)
		fail_msg("expected the one line \"%s\", got %d lines%s%s", full, f->n, f->n ? ", first: " : "",
		         f->n ? f->lines[0] : "");
	assert_string_equal(f->lines[0], full);
}

static void expect_nothing(fx *f)
{
	if (take_lines(f) != 0)
		fail_msg("expected no line, got %d, first: %s", f->n, f->lines[0]);
}

/* A module loaded with its log in a file of the test directory at level,
 * and one token (SO and user passcodes set) labelled LABEL. */
static int setup_level(void **state, const char *level)
{
	fx *f = calloc(1, sizeof(*f));
	void *envp = NULL;
	CK_TOKEN_INFO ti;

	assert_non_null(f);
	th_setup_loaded(&envp);
	f->env = envp;
	snprintf(f->log, sizeof(f->log), "%s/careid.log", f->env->dir);
	setenv("CAREID_LOG_FILE", f->log, 1);
	setenv("CAREID_LOG", level, 1);
	CK(f->env->f->C_Initialize(NULL));
	f->slot = th_new_token(f->env, LABEL);
	CK(f->env->f->C_GetTokenInfo(f->slot, &ti));
	snprintf(f->name, sizeof(f->name), "token \"%s\" [serial %.16s]", LABEL, (const char *)ti.serialNumber);
	(void)take_lines(f);
	*state = f;
	return 0;
}

static int setup_warn(void **state)
{
	return setup_level(state, "warn");
}

static int setup_debug(void **state)
{
	return setup_level(state, "debug");
}

static int teardown(void **state)
{
	fx *f = *state;
	void *envp = f->env;

	th_teardown(&envp);
	unsetenv("CAREID_LOG_FILE");
	setenv("CAREID_LOG", "error", 1);
	free(f);
	return 0;
}

static CK_SESSION_HANDLE open_rw(fx *f)
{
	CK_SESSION_HANDLE s;

	CK(f->env->f->C_OpenSession(f->slot, RW, NULL, NULL, &s));
	return s;
}

static CK_FLAGS flags(fx *f)
{
	CK_TOKEN_INFO ti;

	CK(f->env->f->C_GetTokenInfo(f->slot, &ti));
	return ti.flags;
}

static void test_serial_is_the_token_info_serial(void **state)
{
	fx *f = *state;
	regex_t re;

	/* 16 hex digits: the whole field, no padding to trim. */
	assert_int_equal(regcomp(&re, "^token \"123456789012\" \\[serial [0-9a-f]{16}\\]$", REG_EXTENDED), 0);
	assert_int_equal(regexec(&re, f->name, 0, NULL, 0), 0);
	regfree(&re);
}

static void test_wrong_passcode_one_line_each(void **state)
{
	fx *f = *state;
	CK_SESSION_HANDLE s = open_rw(f);

	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "wrong passcode, 2 tries left");
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "wrong passcode, 1 try left");
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_LOCKED);
	expect_line(f, "warn", "wrong passcode, no tries left: the passcode is blocked; the sponsor can unblock it");
	assert_true(flags(f) & CKF_USER_PIN_LOCKED);

	/* Blocked: even the right passcode is not checked, and says so. */
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)), CKR_PIN_LOCKED);
	expect_line(f, "warn", "passcode not checked: no tries left, the passcode is blocked; the sponsor can unblock it");

	/* The sponsor's unblock and the next login are not warnings. */
	CK(f->env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)));
	CK(f->env->f->C_InitPIN(s, PIN(TH_USER_PIN)));
	CK(f->env->f->C_Logout(s));
	CK(f->env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)));
	expect_nothing(f);
	CK(f->env->f->C_CloseSession(s));
}

/* A right passcode resets the count, and the lines follow the count. */
static void test_count_restarts_after_success(void **state)
{
	fx *f = *state;
	CK_SESSION_HANDLE s = open_rw(f);

	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "wrong passcode, 2 tries left");
	CK(f->env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)));
	CK(f->env->f->C_Logout(s));
	expect_nothing(f);
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "wrong passcode, 2 tries left");
	CK(f->env->f->C_CloseSession(s));
}

static void test_malformed_passcode_costs_nothing(void **state)
{
	fx *f = *state;
	CK_SESSION_HANDLE s = open_rw(f);

	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN("12345")), CKR_PIN_INCORRECT);
	expect_line(f, "warn",
	            "passcode not checked, no try spent: passcodes are 6 to 8 digits and this one has 5 characters");
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN("123456789")), CKR_PIN_INCORRECT);
	expect_line(f, "warn",
	            "passcode not checked, no try spent: passcodes are 6 to 8 digits and this one has 9 characters");
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN("12a456")), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "passcode not checked, no try spent: passcodes are 6 to 8 digits and this one has "
	                       "a character that is not a digit");
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "", 0), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "passcode not checked, no try spent: passcodes are 6 to 8 digits and none was given");
	/* No try was spent: the counter is full, and the next wrong one is
	 * the first. */
	assert_false(flags(f) & CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "wrong passcode, 2 tries left");
	CK(f->env->f->C_CloseSession(s));
}

static void test_so_passcode(void **state)
{
	fx *f = *state;
	CK_SESSION_HANDLE s = open_rw(f);

	assert_int_equal(f->env->f->C_Login(s, CKU_SO, PIN(WRONG_SO)), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "wrong SO passcode, 2 tries left");
	assert_int_equal(f->env->f->C_Login(s, CKU_SO, PIN("1234")), CKR_PIN_INCORRECT);
	expect_line(f, "warn",
	            "SO passcode not checked, no try spent: passcodes are 6 to 8 digits and this one has 4 characters");
	assert_int_equal(f->env->f->C_Login(s, CKU_SO, PIN(WRONG_SO)), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "wrong SO passcode, 1 try left");
	assert_int_equal(f->env->f->C_Login(s, CKU_SO, PIN(WRONG_SO)), CKR_PIN_LOCKED);
	expect_line(f, "warn", "wrong SO passcode, no tries left: the SO passcode is blocked; "
	                       "the token can no longer be administered; make a new one");
	CK(f->env->f->C_CloseSession(s));
}

/* C_SetPIN with a wrong current passcode spends a try: the same line. */
static void test_set_pin_lines(void **state)
{
	fx *f = *state;
	CK_SESSION_HANDLE s = open_rw(f);

	assert_int_equal(f->env->f->C_SetPIN(s, PIN(WRONG), PIN("246810")), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "wrong passcode, 2 tries left");
	assert_int_equal(f->env->f->C_SetPIN(s, PIN(TH_USER_PIN), PIN("12345")), CKR_PIN_LEN_RANGE);
	expect_line(f, "warn", "new passcode refused: passcodes are 6 to 8 digits and this one has 5 characters");
	assert_int_equal(f->env->f->C_SetPIN(s, PIN(TH_USER_PIN), PIN("1234x6")), CKR_PIN_INVALID);
	expect_line(f, "warn",
	            "new passcode refused: passcodes are 6 to 8 digits and this one has a character that is not a digit");
	assert_int_equal(f->env->f->C_SetPIN(s, PIN(TH_USER_PIN), PIN(TH_USER_PIN)), CKR_PIN_INVALID);
	expect_line(f, "warn", "new passcode refused: it is the same as the current one");
	CK(f->env->f->C_SetPIN(s, PIN(TH_USER_PIN), PIN("246810")));
	expect_nothing(f);
	CK(f->env->f->C_CloseSession(s));
}

static void test_init_pin_refused(void **state)
{
	fx *f = *state;
	CK_SESSION_HANDLE s = open_rw(f);

	CK(f->env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)));
	assert_int_equal(f->env->f->C_InitPIN(s, PIN("1234567")), CKR_OK);
	expect_nothing(f);
	assert_int_equal(f->env->f->C_InitPIN(s, PIN("123456789")), CKR_PIN_LEN_RANGE);
	expect_line(f, "warn", "new passcode refused: passcodes are 6 to 8 digits and this one has 9 characters");
	CK(f->env->f->C_CloseSession(s));
}

/* Creating a token whose SO passcode is malformed names it by its label:
 * it has no serial yet. */
static void test_init_token_refused(void **state)
{
	fx *f = *state;
	CK_UTF8CHAR label[32];
	char want[256];

	th_pad(label, sizeof(label), "210987654321");
	assert_int_equal(f->env->f->C_InitToken(th_free_slot(f->env), PIN("1234"), label), CKR_PIN_LEN_RANGE);
	assert_int_equal(take_lines(f), 1);
	snprintf(want, sizeof(want), "warn: token \"210987654321\": new SO passcode refused: passcodes are 6 to 8 "
	                             "digits and this one has 4 characters");
	assert_string_equal(f->lines[0], want);
}

/* Re-initialising with a wrong SO passcode: the token's one line only. */
static void test_reinit_wrong_so(void **state)
{
	fx *f = *state;
	CK_UTF8CHAR label[32];

	th_pad(label, sizeof(label), LABEL);
	assert_int_equal(f->env->f->C_InitToken(f->slot, PIN(WRONG_SO), label), CKR_PIN_INCORRECT);
	expect_line(f, "warn", "wrong SO passcode, 2 tries left");
}

/* A token file other users can read is used, and said so once it is
 * opened. */
static void test_file_mode_warned(void **state)
{
	fx *f = *state;
	CK_TOKEN_INFO ti;
	char path[512], want[600];
	int found = 0;

	CK(f->env->f->C_GetTokenInfo(f->slot, &ti));
	snprintf(path, sizeof(path), "%s/tokens/%.16s.token", f->env->dir, (const char *)ti.serialNumber);
	assert_int_equal(chmod(path, 0644), 0);
	CK(f->env->f->C_Finalize(NULL));
	CK(f->env->f->C_Initialize(NULL));
	f->slot = th_slot_of(f->env, LABEL);
	CK(f->env->f->C_GetTokenInfo(f->slot, &ti));
	take_lines(f);
	snprintf(want, sizeof(want), "warn: token file %s is readable by other users (mode 644); 0600 is expected",
	         path);
	for (int i = 0; i < f->n; i++)
		found += strcmp(f->lines[i], want) == 0;
	assert_int_equal(found, 1);
	assert_int_equal(chmod(path, 0600), 0);
}

/* Only a debug trace carries the function that wrote a line. */
static void test_debug_trace_names_functions(void **state)
{
	fx *f = *state;
	CK_SESSION_HANDLE s = open_rw(f);
	char want[512];
	int wrong = 0;

	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	take_lines(f);
	/* The function that judged the passcode, not the one that wrote the line. */
	snprintf(want, sizeof(want), "warn: verify: %s: wrong passcode, 2 tries left", f->name);
	for (int i = 0; i < f->n; i++)
		wrong += strcmp(f->lines[i], want) == 0;
	assert_int_equal(wrong, 1);
	CK(f->env->f->C_CloseSession(s));
}

/* Without CAREID_LOG_FILE the lines go to stderr, in the same shape: every
 * line at error, warn and info starts with its level and then says what
 * happened, never "function_name: ". */
static void test_stderr_and_no_function_names(void **state)
{
	fx *f = *state;
	char path[400], line[1024];
	CK_SESSION_HANDLE s;
	regex_t shape, func;
	int saved, fd, n = 0, wrong = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/stderr.txt", f->env->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);

	CK(f->env->f->C_Finalize(NULL));
	unsetenv("CAREID_LOG_FILE");
	setenv("CAREID_LOG", "info", 1);
	CK(f->env->f->C_Initialize(NULL));
	f->slot = th_slot_of(f->env, LABEL);
	CK(f->env->f->C_OpenSession(f->slot, RW, NULL, NULL, &s));
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	assert_int_equal(f->env->f->C_Login(s, CKU_USER, PIN("12345")), CKR_PIN_INCORRECT);
	CK(f->env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)));
	CK(f->env->f->C_CloseSession(s));
	CK(f->env->f->C_Finalize(NULL));

	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);

	assert_int_equal(regcomp(&shape, "^careid\\[[0-9]+\\] (error|warn|info): ", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&func, "^careid\\[[0-9]+\\] [a-z]+: [A-Za-z_][A-Za-z_0-9]*: ", REG_EXTENDED), 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		if (regexec(&shape, line, 0, NULL, 0) != 0 || regexec(&func, line, 0, NULL, 0) == 0)
			fail_msg("line not for a person: %s", line);
		wrong += strstr(line, "wrong passcode") != NULL;
	}
	fclose(fp);
	regfree(&shape);
	regfree(&func);
	/* The wrong passcode, the malformed one, the login. */
	assert_true(n >= 3);
	assert_int_equal(wrong, 1);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup_warn, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_serial_is_the_token_info_serial),
		T(test_wrong_passcode_one_line_each),
		T(test_count_restarts_after_success),
		T(test_malformed_passcode_costs_nothing),
		T(test_so_passcode),
		T(test_set_pin_lines),
		T(test_init_pin_refused),
		T(test_init_token_refused),
		T(test_reinit_wrong_so),
		T(test_file_mode_warned),
		T(test_stderr_and_no_function_names),
		cmocka_unit_test_setup_teardown(test_debug_trace_names_functions, setup_debug, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
