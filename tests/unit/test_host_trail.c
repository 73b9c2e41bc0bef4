/* The host-kept card audit trail (common/host_trail.h) and the chain it
 * shares with the soft token (common/audit_chain.h): appends, and every
 * way a trail can be edited, cut, reordered, torn or moved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/audit_chain.h"
#include "common/host_trail.h"

#define SERIAL "12345678"

static char dir[256];

static CK_RV sha256(const cid_piece *pieces, size_t n, uint8_t out[CID_AUDIT_HASH_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(c, pieces[i].p, pieces[i].len) == 1;
	ok = ok && EVP_DigestFinal_ex(c, out, NULL) == 1;
	EVP_MD_CTX_free(c);
	return ok ? CKR_OK : CKR_FUNCTION_FAILED;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/careid-trail-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	/* A missing parent is made too. */
	strcat(dir, "/cards");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	*strrchr(dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *file_of(const char *serial, const char *suffix)
{
	static char p[2][300];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s%s", dir, serial, suffix);
	return p[i];
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The lines of the trail, so that tests can edit them. */
static int lines(char *text, char **out, int max)
{
	int n = 0;

	for (char *p = strtok(text, "\n"); p != NULL && n < max; p = strtok(NULL, "\n"))
		out[n++] = p;
	return n;
}

static void write_lines(char **l, int n)
{
	FILE *f = fopen(file_of(SERIAL, ".trail"), "w");

	assert_non_null(f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s\n", l[i]);
	fclose(f);
}

static void append_n(const char *serial, int n)
{
	for (int i = 0; i < n; i++) {
		char detail[32];

		snprintf(detail, sizeof(detail), "who=user tries_left=%d", i);
		assert_int_equal(CKR_OK, cid_host_trail_append(dir, serial, sha256, 1000 + i, "login-failed", detail));
	}
}

static CK_RV verify(cid_audit_check *chk)
{
	return cid_host_trail_verify(dir, SERIAL, sha256, chk);
}

typedef struct {
	int n;
	uint64_t seq[16];
	char event[16][80];
	char detail[16][300];
} seen;

static CK_RV collect(void *ctx, const cid_audit_record *r)
{
	seen *s = ctx;

	if (s->n >= 16)
		return CKR_GENERAL_ERROR;
	s->seq[s->n] = r->seq;
	snprintf(s->event[s->n], sizeof(s->event[0]), "%s", r->event);
	snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s", r->detail);
	s->n++;
	return CKR_OK;
}

static void appends_and_verifies(void **state)
{
	cid_audit_check chk;
	seen s = { 0 };
	struct stat sb;

	(void)state;
	/* Nothing yet: intact and empty, and nothing made. */
	assert_int_equal(CKR_OK, verify(&chk));
	assert_int_equal(0, chk.records);
	assert_int_equal(CKR_OK, cid_host_trail_foreach(dir, SERIAL, collect, &s));
	assert_int_equal(0, s.n);
	assert_int_not_equal(0, stat(dir, &sb));

	assert_int_equal(CKR_OK, cid_host_trail_append(dir, SERIAL, sha256, 100, "login-ok", "who=user"));
	assert_int_equal(CKR_OK, cid_host_trail_append(dir, SERIAL, sha256, -5, "pin-changed", "a\tb\nc\x7f"));
	assert_int_equal(CKR_OK, cid_host_trail_append(dir, SERIAL, sha256, 200, "expiry-alert", ""));
	assert_int_equal(0, stat(dir, &sb));
	assert_int_equal(0700, sb.st_mode & 0777);
	assert_int_equal(0, stat(file_of(SERIAL, ".trail"), &sb));
	assert_int_equal(0600, sb.st_mode & 0777);

	assert_int_equal(CKR_OK, verify(&chk));
	assert_int_equal(3, chk.records);
	assert_int_equal(0, chk.first_bad);
	assert_int_equal(CKR_OK, cid_host_trail_foreach(dir, SERIAL, collect, &s));
	assert_int_equal(3, s.n);
	assert_int_equal(2, s.seq[1]);
	assert_string_equal("pin-changed", s.event[1]);
	/* Control characters would split a line: stored as '?'. */
	assert_string_equal("a?b?c?", s.detail[1]);
	assert_string_equal("", s.detail[2]);
}

static void long_detail_is_cut_at_a_character(void **state)
{
	char detail[400];
	seen s = { 0 };
	cid_audit_check chk;

	(void)state;
	memset(detail, 'x', sizeof(detail));
	/* A two-byte character straddling the limit goes whole. */
	detail[CID_AUDIT_DETAIL_MAX - 1] = '\xc3';
	detail[CID_AUDIT_DETAIL_MAX] = '\xa9';
	detail[sizeof(detail) - 1] = '\0';
	assert_int_equal(CKR_OK, cid_host_trail_append(dir, SERIAL, sha256, 1, "login-ok", detail));
	assert_int_equal(CKR_OK, cid_host_trail_foreach(dir, SERIAL, collect, &s));
	assert_int_equal(1, s.n);
	assert_int_equal(CID_AUDIT_DETAIL_MAX - 1, strlen(s.detail[0]));
	assert_int_equal(CKR_OK, verify(&chk));
}

static void edited_record_is_found(void **state)
{
	char *l[16], *text, *tab;
	cid_audit_check chk;
	int n;

	(void)state;
	append_n(SERIAL, 5);
	text = slurp(file_of(SERIAL, ".trail"));
	n = lines(text, l, 16);
	assert_int_equal(5, n);
	tab = strstr(l[2], "tries_left=2");
	assert_non_null(tab);
	tab[strlen("tries_left=")] = '3';
	write_lines(l, n);
	free(text);
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_int_equal(3, chk.first_bad);
	assert_non_null(strstr(chk.reason, "record 3 was altered"));
}

static void removed_and_reordered_records_are_found(void **state)
{
	char *l[16], *text, *keep;
	cid_audit_check chk;
	int n;

	(void)state;
	append_n(SERIAL, 5);
	text = slurp(file_of(SERIAL, ".trail"));
	n = lines(text, l, 16);
	/* Record 2 taken out. */
	keep = l[1];
	memmove(&l[1], &l[2], (size_t)(n - 2) * sizeof(l[0]));
	write_lines(l, n - 1);
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_int_equal(2, chk.first_bad);
	assert_non_null(strstr(chk.reason, "record 2 is missing"));
	/* Records 2 and 3 swapped. */
	memmove(&l[2], &l[1], (size_t)(n - 2) * sizeof(l[0]));
	l[1] = l[2];
	l[2] = keep;
	write_lines(l, n);
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_int_equal(2, chk.first_bad);
	free(text);
}

static void cut_tail_is_found_and_not_written_over(void **state)
{
	char *l[16], *text;
	cid_audit_check chk;
	int n;

	(void)state;
	append_n(SERIAL, 5);
	text = slurp(file_of(SERIAL, ".trail"));
	n = lines(text, l, 16);
	write_lines(l, n - 2);
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_int_equal(4, chk.first_bad);
	assert_non_null(strstr(chk.reason, "records 4 to 5 were removed"));
	write_lines(l, n - 1);
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_non_null(strstr(chk.reason, "record 5 was removed"));
	/* New events would hide the cut: refused, the trail left as found. */
	assert_int_equal(CKR_DEVICE_ERROR, cid_host_trail_append(dir, SERIAL, sha256, 9, "login-ok", "who=user"));
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_int_equal(4, chk.records);
	free(text);
}

static void head_lost_or_damaged(void **state)
{
	cid_audit_check chk;

	(void)state;
	append_n(SERIAL, 3);
	spit(file_of(SERIAL, ".head"), "3 not-a-hash\n");
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_non_null(strstr(chk.reason, "head"));
	assert_int_equal(CKR_DEVICE_ERROR, cid_host_trail_append(dir, SERIAL, sha256, 9, "login-ok", "who=user"));
	assert_int_equal(0, unlink(file_of(SERIAL, ".head")));
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_non_null(strstr(chk.reason, "remembers none"));
	assert_int_equal(CKR_DEVICE_ERROR, cid_host_trail_append(dir, SERIAL, sha256, 9, "login-ok", "who=user"));
}

/* A process stopped between the append and the head's move. */
static void head_one_behind_is_accepted(void **state)
{
	cid_audit_check chk;
	char *old;

	(void)state;
	append_n(SERIAL, 3);
	old = slurp(file_of(SERIAL, ".head"));
	append_n(SERIAL, 1);
	spit(file_of(SERIAL, ".head"), old);
	assert_int_equal(CKR_OK, verify(&chk));
	assert_int_equal(4, chk.records);
	append_n(SERIAL, 1);
	assert_int_equal(CKR_OK, verify(&chk));
	assert_int_equal(5, chk.records);
	/* Two behind is not an interrupted append. */
	append_n(SERIAL, 2);
	spit(file_of(SERIAL, ".head"), old);
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	free(old);
}

/* A process stopped during the append leaves half a line. */
static void torn_line_is_dropped(void **state)
{
	cid_audit_check chk;
	seen s = { 0 };
	FILE *f;

	(void)state;
	append_n(SERIAL, 2);
	f = fopen(file_of(SERIAL, ".trail"), "a");
	assert_non_null(f);
	fputs("3\t1002\tlogin-f", f);
	fclose(f);
	assert_int_equal(CKR_OK, verify(&chk));
	assert_int_equal(2, chk.records);
	append_n(SERIAL, 1);
	assert_int_equal(CKR_OK, verify(&chk));
	assert_int_equal(3, chk.records);
	assert_int_equal(CKR_OK, cid_host_trail_foreach(dir, SERIAL, collect, &s));
	assert_int_equal(3, s.n);
	assert_string_equal("who=user tries_left=0", s.detail[2]);
}

static void unreadable_line(void **state)
{
	char *l[16], *text;
	cid_audit_check chk;
	seen s = { 0 };
	int n;

	(void)state;
	append_n(SERIAL, 3);
	text = slurp(file_of(SERIAL, ".trail"));
	n = lines(text, l, 16);
	l[1] = "2\tnot a time\tx\ty\tz";
	write_lines(l, n);
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_int_equal(2, chk.first_bad);
	assert_non_null(strstr(chk.reason, "cannot be read"));
	assert_int_equal(CKR_DEVICE_ERROR, cid_host_trail_foreach(dir, SERIAL, collect, &s));
	assert_int_equal(1, s.n);
	free(text);
}

/* Another card's trail moved in under this card's name. */
static void transplanted_trail_is_found(void **state)
{
	char *t, *h;
	cid_audit_check chk;

	(void)state;
	append_n("87654321", 2);
	t = slurp(file_of("87654321", ".trail"));
	h = slurp(file_of("87654321", ".head"));
	spit(file_of(SERIAL, ".trail"), t);
	spit(file_of(SERIAL, ".head"), h);
	assert_int_equal(CKR_SIGNATURE_INVALID, verify(&chk));
	assert_int_equal(1, chk.first_bad);
	assert_int_equal(CKR_OK, cid_host_trail_verify(dir, "87654321", sha256, &chk));
	free(t);
	free(h);
}

static void refuses_bad_places(void **state)
{
	char path[300], longest[40];
	cid_audit_check chk;

	(void)state;
	memset(longest, '7', 33);
	longest[33] = '\0';
	assert_false(cid_host_trail_serial_ok(longest));
	longest[32] = '\0';
	assert_true(cid_host_trail_serial_ok(longest));
	assert_false(cid_host_trail_serial_ok(""));
	assert_false(cid_host_trail_serial_ok(NULL));
	assert_false(cid_host_trail_serial_ok("../x"));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_host_trail_append(dir, "a/b", sha256, 1, "e", ""));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_host_trail_append("cards", SERIAL, sha256, 1, "e", ""));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_host_trail_append(dir, SERIAL, sha256, 1, "", ""));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_host_trail_append(dir, SERIAL, NULL, 1, "e", ""));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_host_trail_verify(dir, "a b", sha256, &chk));

	/* A symlink where the trail goes is not followed. */
	append_n(SERIAL, 1);
	assert_int_equal(0, symlink("/etc/passwd", file_of("99", ".trail")));
	assert_int_equal(CKR_DEVICE_ERROR, cid_host_trail_append(dir, "99", sha256, 1, "login-ok", ""));
	assert_int_equal(CKR_DEVICE_ERROR, cid_host_trail_verify(dir, "99", sha256, &chk));

	/* A file where the directory should be. */
	snprintf(path, sizeof(path), "%s/blocked", dir);
	spit(path, "x");
	strcat(path, "/cards");
	assert_int_equal(CKR_DEVICE_ERROR, cid_host_trail_append(path, SERIAL, sha256, 1, "login-ok", ""));
}

/* Processes using the same card append in turn, none lost. */
static void concurrent_processes_append_in_turn(void **state)
{
	enum { KIDS = 4, EACH = 25 };
	cid_audit_check chk;
	pid_t pid[KIDS];

	(void)state;
	append_n(SERIAL, 1);
	for (int k = 0; k < KIDS; k++) {
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0) {
			for (int i = 0; i < EACH; i++)
				if (cid_host_trail_append(dir, SERIAL, sha256, k, "login-ok", "who=user") != CKR_OK)
					_exit(1);
			_exit(0);
		}
	}
	for (int k = 0; k < KIDS; k++) {
		int status = 0;

		assert_int_equal(pid[k], waitpid(pid[k], &status, 0));
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(CKR_OK, verify(&chk));
	assert_int_equal(1 + KIDS * EACH, chk.records);
}

/* The chain's end rules on their own: a soft token moves its head with
 * each record, so one record past it is a break there. */
static void walk_end_rules(void **state)
{
	uint8_t seed[CID_AUDIT_HASH_LEN], h1[CID_AUDIT_HASH_LEN], h2[CID_AUDIT_HASH_LEN];
	cid_audit_record r1 = { 1, 10, "login-ok", "who=user", { 0 } };
	cid_audit_record r2 = { 2, 11, "login-ok", "who=so", { 0 } };
	cid_audit_check chk;
	cid_audit_walk w;

	(void)state;
	assert_int_equal(CKR_OK, cid_audit_seed(sha256, SERIAL, seed));
	assert_int_equal(CKR_OK, cid_audit_record_hash(sha256, seed, 1, 10, "login-ok", "who=user", h1));
	assert_int_equal(CKR_OK, cid_audit_record_hash(sha256, h1, 2, 11, "login-ok", "who=so", h2));
	memcpy(r1.hash, h1, sizeof(h1));
	memcpy(r2.hash, h2, sizeof(h2));

	for (int lag = 0; lag < 2; lag++) {
		assert_int_equal(CKR_OK, cid_audit_walk_start(&w, sha256, SERIAL, &chk));
		assert_int_equal(CKR_OK, cid_audit_walk_step(&w, &r1));
		assert_int_equal(CKR_OK, cid_audit_walk_step(&w, &r2));
		assert_int_equal(lag ? CKR_OK : CKR_SIGNATURE_INVALID, cid_audit_walk_end(&w, true, 1, h1, lag));
	}
	assert_int_equal(CKR_OK, cid_audit_walk_start(&w, sha256, SERIAL, &chk));
	assert_int_equal(CKR_OK, cid_audit_walk_step(&w, &r1));
	assert_int_equal(CKR_OK, cid_audit_walk_step(&w, &r2));
	assert_int_equal(CKR_OK, cid_audit_walk_end(&w, true, 2, h2, false));
	/* The right length but another head: the last record was rewritten. */
	assert_int_equal(CKR_OK, cid_audit_walk_start(&w, sha256, SERIAL, &chk));
	assert_int_equal(CKR_OK, cid_audit_walk_step(&w, &r1));
	assert_int_equal(CKR_OK, cid_audit_walk_step(&w, &r2));
	assert_int_equal(CKR_SIGNATURE_INVALID, cid_audit_walk_end(&w, true, 2, h1, true));
	assert_int_equal(2, chk.first_bad);
	/* After a break, nothing more is taken. */
	assert_int_equal(CKR_OK, cid_audit_walk_start(&w, sha256, SERIAL, &chk));
	assert_int_equal(CKR_SIGNATURE_INVALID, cid_audit_walk_step(&w, &r2));
	assert_int_equal(CKR_SIGNATURE_INVALID, cid_audit_walk_step(&w, &r1));
	assert_int_equal(1, chk.first_bad);
	/* The seed binds the serial. */
	assert_int_equal(CKR_OK, cid_audit_walk_start(&w, sha256, "other", &chk));
	assert_int_equal(CKR_SIGNATURE_INVALID, cid_audit_walk_step(&w, &r1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(appends_and_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(long_detail_is_cut_at_a_character, setup, teardown),
		cmocka_unit_test_setup_teardown(edited_record_is_found, setup, teardown),
		cmocka_unit_test_setup_teardown(removed_and_reordered_records_are_found, setup, teardown),
		cmocka_unit_test_setup_teardown(cut_tail_is_found_and_not_written_over, setup, teardown),
		cmocka_unit_test_setup_teardown(head_lost_or_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(head_one_behind_is_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_line_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(unreadable_line, setup, teardown),
		cmocka_unit_test_setup_teardown(transplanted_trail_is_found, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_bad_places, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_processes_append_in_turn, setup, teardown),
		cmocka_unit_test(walk_end_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
