/* Crash safety of the soft token: a child presents a passcode (right,
 * wrong, or changing it) and is killed at a random moment of the check.
 * After every kill the token file must still be sound: SQLite's integrity
 * check passes, the user try counter never rose without a right passcode
 * having finished, exactly one of the old and new passcodes logs in, and
 * the audit chain verifies.
 *
 * Rounds: CAREID_SOAK_ROUNDS (default 200, for CI; the long run is
 * CAREID_SOAK_ROUNDS=3100, docs/fuzzing.md). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/log.h"
#include "soft/soft_audit.h"
#include "soft_fixture.h"

/* scrypt 2^10 and kills 0..20 ms after the fork (open plus check): the delays
 * land before, inside and after it. */
#define SOAK_KDF_COST 10
#define MAX_DELAY_US 20000

enum { OP_RIGHT, OP_WRONG, OP_CHANGE };

static const char *const pins[2] = { "123456", "654321" };

static bool integrity_ok(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	bool ok = false;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		goto out;
	ok = sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok;
}

/* Runs op in a child on its own connection; true when it ran to the end. */
static bool kill_round(cid_provider *p, const char *key, int op, int cur)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		cid_token *c = NULL;
		CK_RV rv;

		if (p->ops->open(p, key, &c) != CKR_OK)
			_exit(2);
		if (op == OP_RIGHT)
			rv = login(c, CKU_USER, pins[cur]);
		else if (op == OP_WRONG)
			rv = login(c, CKU_USER, "000000") == CKR_PIN_INCORRECT ? CKR_OK : CKR_GENERAL_ERROR;
		else
			rv = c->ops->set_pin(c, CKU_USER, (const CK_UTF8CHAR *)pins[cur], 6,
			                     (const CK_UTF8CHAR *)pins[!cur], 6);
		_exit(rv == CKR_OK ? 0 : 3);
	}
	usleep((useconds_t)(rand() % (MAX_DELAY_US + 1)));
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		fprintf(stderr, "round: child op %d failed (exit %d)\n", op, WEXITSTATUS(status));
		return false;
	}
	return WIFEXITED(status);
}

/* Which passcodes log in now; each attempt is a real presentation. */
static int working(cid_provider *p, const char *key, bool *w0, bool *w1)
{
	cid_token *t = NULL;

	if (p->ops->open(p, key, &t) != CKR_OK)
		return -1;
	*w0 = login(t, CKU_USER, pins[0]) == CKR_OK;
	if (*w0)
		t->ops->logout(t);
	*w1 = login(t, CKU_USER, pins[1]) == CKR_OK;
	if (*w1)
		t->ops->logout(t);
	/* A wrong attempt above spent a try; the right one gave it back. */
	if (*w0 && !*w1) {
		(void)login(t, CKU_USER, pins[0]);
		t->ops->logout(t);
	}
	t->ops->release(t);
	return 0;
}

static void test_kill_soak(void **state)
{
	fx *f = *state;
	cid_provider *p = NULL;
	cid_token *t = NULL;
	cid_audit_check chk;
	CK_UTF8CHAR label[32];
	char *key = NULL, path[PATH_MAX];
	const char *env = getenv("CAREID_SOAK_ROUNDS");
	long rounds = env ? strtol(env, NULL, 10) : 200;
	long bad = 0, done = 0;
	int cur = 0;
	unsigned seed = (unsigned)time(NULL);

	srand(seed);
	assert_int_equal(cid_soft_provider_new(f->dir, SOAK_KDF_COST, &p), CKR_OK);
	label32(label, "soak");
	assert_int_equal(p->ops->create(p, "new", (const CK_UTF8CHAR *)SO_PIN, 8, label, &key, &t), CKR_OK);
	snprintf(path, sizeof(path), "%s/%s", f->dir, key);
	assert_int_equal(login(t, CKU_SO, SO_PIN), CKR_OK);
	assert_int_equal(t->ops->init_pin(t, (const CK_UTF8CHAR *)pins[0], 6), CKR_OK);
	t->ops->release(t);   /* no connection may be open across fork */

	for (long r = 0; r < rounds; r++) {
		int op = rand() % 3;
		int64_t before = raw_tries(path, "user_tries_left"), after;
		bool finished, w0 = false, w1 = false;

		finished = kill_round(p, key, op, cur);
		done += finished;
		if (!integrity_ok(path)) {
			fprintf(stderr, "round %ld: integrity_check failed\n", r);
			bad++;
		}
		after = raw_tries(path, "user_tries_left");
		if (after > before && !(finished && op != OP_WRONG)) {
			fprintf(stderr, "round %ld: tries rose %lld -> %lld after op %d (finished %d)\n", r,
			        (long long)before, (long long)after, op, finished);
			bad++;
		}
		/* Checking presents passcodes: after a change (which may have
		 * happened), and whenever the counter runs low. */
		if (op == OP_CHANGE || after <= 2) {
			if (working(p, key, &w0, &w1) != 0 || w0 == w1) {
				fprintf(stderr, "round %ld: passcodes working: old %d new %d\n", r,
				        cur == 0 ? w0 : w1, cur == 0 ? w1 : w0);
				bad++;
			} else {
				if (op == OP_CHANGE && finished && (cur == 0 ? !w1 : !w0)) {
					fprintf(stderr, "round %ld: a finished change left the old passcode\n", r);
					bad++;
				}
				cur = w0 ? 0 : 1;
			}
			if (raw_tries(path, "user_tries_left") <= 2) {
				fprintf(stderr, "round %ld: a right passcode did not restore the tries\n", r);
				bad++;
			}
		}
		if (cid_soft_audit_verify(path, &chk) != CKR_OK) {
			fprintf(stderr, "round %ld: audit chain does not verify\n", r);
			bad++;
		}
	}
	fprintf(stderr, "kill soak: %ld rounds (%ld ran to the end), %ld violations, seed %u\n", rounds, done,
	        bad, seed);
	p->ops->release(p);
	free(key);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill_soak, setup, teardown),
	};

	cid_log_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
