/* The soft token's passcodes: tries, lockout, a killed check, change, unblock, re-init. */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "policy/policy.h"
#include "token/tok.h"
#include "soft_fixture.h"

/* ---- passcodes ---- */

static void test_login_right_wrong(void **state)
{
	fx *f = *state;

	make_token(f, true);
	assert_int_equal(login(f->t, CKU_USER, "654321"), CKR_PIN_INCORRECT);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - 1);
	assert_true(flags(f->t) & CKF_USER_PIN_COUNT_LOW);
	assert_false(flags(f->t) & CKF_USER_PIN_FINAL_TRY);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
	assert_false(flags(f->t) & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED));
	/* Context-specific re-verification uses the same counter. */
	assert_int_equal(login(f->t, CKU_CONTEXT_SPECIFIC, "111111"), CKR_PIN_INCORRECT);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - 1);
	assert_int_equal(login(f->t, CKU_CONTEXT_SPECIFIC, USER_PIN), CKR_OK);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
	assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
}

static void test_lockout_survives_restart(void **state)
{
	fx *f = *state;
	CK_FLAGS fl;

	make_token(f, true);
	for (int i = 1; i < CID_POLICY_PIN_MAX_TRIES; i++) {
		assert_int_equal(login(f->t, CKU_USER, "000000"), CKR_PIN_INCORRECT);
		assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - i);
	}
	fl = flags(f->t);
	assert_true(fl & CKF_USER_PIN_FINAL_TRY);
	assert_true(fl & CKF_USER_PIN_COUNT_LOW);
	/* The failure that uses the last try reports the lock itself. */
	assert_int_equal(login(f->t, CKU_USER, "000000"), CKR_PIN_LOCKED);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), 0);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_PIN_LOCKED);
	assert_int_equal(login(f->t, CKU_CONTEXT_SPECIFIC, USER_PIN), CKR_PIN_LOCKED);
	assert_int_equal(flags(f->t) & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY), CKF_USER_PIN_LOCKED);

	/* As after a process restart: a new connection to the same file. */
	f->t->ops->release(f->t);
	f->t = open_again(f);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_PIN_LOCKED);
	assert_true(flags(f->t) & CKF_USER_PIN_LOCKED);
	/* A malformed passcode on a locked token: still "locked" first. */
	assert_int_equal(login(f->t, CKU_USER, "12"), CKR_PIN_LOCKED);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), 0);
	/* The SO is unaffected. */
	assert_int_equal(login(f->t, CKU_SO, SO_PIN), CKR_OK);
}

static void test_malformed_costs_nothing(void **state)
{
	fx *f = *state;
	static const char *bad[] = { "12345", "123456789", "12345a", "abcdef", "12 345", "" };

	make_token(f, true);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(login(f->t, CKU_USER, bad[i]), CKR_PIN_INCORRECT);
	assert_int_equal(f->t->ops->login(f->t, CKU_USER, NULL, 6), CKR_PIN_INCORRECT);
	assert_int_equal(login(f->t, CKU_SO, "1"), CKR_PIN_INCORRECT);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
	assert_int_equal(raw_tries(f->path, "so_tries_left"), CID_POLICY_SO_PIN_MAX_TRIES);
	assert_false(flags(f->t) & (CKF_USER_PIN_COUNT_LOW | CKF_SO_PIN_COUNT_LOW));
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
}

/* A damaged salt is damage, not a wrong guess: no passcode could open the
 * key, so nothing is tried and no try is spent. */
static void test_damaged_salt_costs_nothing(void **state)
{
	fx *f = *state;

	make_token(f, true);
	assert_int_equal(raw_exec(f->path, "UPDATE meta SET value = x'0102' WHERE key = 'user_salt'"), 0);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_DEVICE_ERROR);
	assert_int_equal(login(f->t, CKU_USER, "999999"), CKR_DEVICE_ERROR);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
}

/* The try is committed before the passcode is checked: a process killed
 * in the middle of checking the right passcode has still spent it.  The
 * token uses a slower KDF so that the check is long enough to kill. */
static void test_try_spent_before_check(void **state)
{
	fx *f = *state;
	cid_provider *slow = NULL;
	CK_UTF8CHAR label[32];
	char *key = NULL, path[PATH_MAX];
	cid_token *t = NULL;
	bool caught = false;

	assert_int_equal(cid_soft_provider_new(f->dir, 15, &slow), CKR_OK);
	label32(label, "slow");
	assert_int_equal(slow->ops->create(slow, "new", (const CK_UTF8CHAR *)SO_PIN, 8, label, &key, &t), CKR_OK);
	snprintf(path, sizeof(path), "%s/%s", f->dir, key);
	/* No connection may be open across fork. */
	t->ops->release(t);
	t = NULL;
	for (int attempt = 0; attempt < 5 && !caught; attempt++) {
		int64_t left = -1;
		pid_t pid;
		int status;

		raw_exec(path, "UPDATE meta SET value = 3 WHERE key = 'so_tries_left'");
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			/* The child is another process with its own connection. */
			cid_token *c = NULL;

			if (slow->ops->open(slow, key, &c) != CKR_OK)
				_exit(2);
			(void)c->ops->login(c, CKU_SO, (const CK_UTF8CHAR *)SO_PIN, 8);
			_exit(0);
		}
		for (int i = 0; i < 20000; i++) {
			left = raw_tries(path, "so_tries_left");
			if (left == 2 || waitpid(pid, &status, WNOHANG) == pid)
				break;
			usleep(100);
		}
		if (left == 2) {
			kill(pid, SIGKILL);
			caught = true;
		}
		waitpid(pid, &status, 0);
		if (caught && WIFEXITED(status))
			caught = false;   /* it finished before the kill: try again */
	}
	assert_true(caught);
	assert_int_equal(raw_tries(path, "so_tries_left"), 2);
	assert_int_equal(slow->ops->open(slow, key, &t), CKR_OK);
	assert_true(flags(t) & CKF_SO_PIN_COUNT_LOW);
	t->ops->release(t);
	slow->ops->release(slow);
	free(key);
}

/* Four processes present the right passcode at the same moment, more than
 * the counter has tries: each spends its try before its check, yet every
 * one logs in, and the counter ends full.  (Taking turns: src/soft/pin.c.) */
static void test_concurrent_right_passcodes(void **state)
{
	fx *f = *state;
	cid_provider *slow = NULL;
	CK_UTF8CHAR label[32];
	char *key = NULL, path[PATH_MAX];
	cid_token *t = NULL;
	pid_t pid[4];
	int go[2], ok = 0;

	/* Slow enough (scrypt 2^15) that the four checks overlap. */
	assert_int_equal(cid_soft_provider_new(f->dir, 15, &slow), CKR_OK);
	label32(label, "crowd");
	assert_int_equal(slow->ops->create(slow, "new", (const CK_UTF8CHAR *)SO_PIN, 8, label, &key, &t), CKR_OK);
	snprintf(path, sizeof(path), "%s/%s", f->dir, key);
	t->ops->release(t);
	assert_int_equal(pipe(go), 0);
	for (int i = 0; i < 4; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			cid_token *c = NULL;
			char b;

			close(go[1]);
			if (slow->ops->open(slow, key, &c) != CKR_OK)
				_exit(2);
			if (read(go[0], &b, 1) != 1)
				_exit(3);
			_exit(c->ops->login(c, CKU_SO, (const CK_UTF8CHAR *)SO_PIN, 8) == CKR_OK ? 0 : 1);
		}
	}
	close(go[0]);
	assert_int_equal(write(go[1], "gggg", 4), 4);
	close(go[1]);
	for (int i = 0; i < 4; i++) {
		int status = 0;

		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	assert_int_equal(ok, 4);
	assert_int_equal(raw_tries(path, "so_tries_left"), CID_POLICY_SO_PIN_MAX_TRIES);
	free(key);
	slow->ops->release(slow);
}

static void test_so_lockout_separate(void **state)
{
	fx *f = *state;
	CK_UTF8CHAR label[32];

	make_token(f, true);
	label32(label, "again");
	assert_int_equal(login(f->t, CKU_SO, "11111111"), CKR_PIN_INCORRECT);
	assert_true(flags(f->t) & CKF_SO_PIN_COUNT_LOW);
	assert_int_equal(login(f->t, CKU_SO, "11111111"), CKR_PIN_INCORRECT);
	assert_true(flags(f->t) & CKF_SO_PIN_FINAL_TRY);
	assert_int_equal(login(f->t, CKU_SO, "11111111"), CKR_PIN_LOCKED);
	assert_int_equal(login(f->t, CKU_SO, SO_PIN), CKR_PIN_LOCKED);
	assert_true(flags(f->t) & CKF_SO_PIN_LOCKED);
	assert_false(flags(f->t) & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW));
	assert_int_equal(f->t->ops->init_token(f->t, (const CK_UTF8CHAR *)SO_PIN, 8, label), CKR_PIN_LOCKED);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
}

static void test_unblock_keeps_objects(void **state)
{
	fx *f = *state;
	cid_attrs a;
	seen s = { 0 };
	uint64_t id;

	make_token(f, true);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	private_data(&a);
	id = create(f->t, &a);
	assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	for (int i = 0; i < CID_POLICY_PIN_MAX_TRIES; i++)
		(void)login(f->t, CKU_USER, "999999");
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_PIN_LOCKED);

	/* Only the SO can set the user passcode. */
	assert_int_equal(f->t->ops->init_pin(f->t, (const CK_UTF8CHAR *)"246810", 6), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(login(f->t, CKU_SO, SO_PIN), CKR_OK);
	/* The new passcode's format (P1) is the token layer's rule. */
	{
		atomic_bool removed = false;
		cid_tok *tk = NULL;

		assert_int_equal(cid_tok_open(f->p, f->key, &removed, &tk), CKR_OK);
		assert_int_equal(cid_tok_login(tk, CKU_SO, (const CK_UTF8CHAR *)SO_PIN, strlen(SO_PIN)), CKR_OK);
		assert_int_equal(cid_tok_init_pin(tk, (const CK_UTF8CHAR *)"24681", 5), CKR_PIN_LEN_RANGE);
		assert_int_equal(cid_tok_init_pin(tk, (const CK_UTF8CHAR *)"24681x", 6), CKR_PIN_INVALID);
		cid_tok_release(&tk);
	}
	/* The SO sees no private object. */
	assert_int_equal(load(f->t, &s), 0);
	assert_int_equal(f->t->ops->init_pin(f->t, (const CK_UTF8CHAR *)"246810", 6), CKR_OK);
	assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	assert_false(flags(f->t) & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW));

	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_PIN_INCORRECT);
	assert_int_equal(login(f->t, CKU_USER, "246810"), CKR_OK);
	assert_int_equal(load(f->t, &s), 1);
	assert_int_equal(s.ids[0], id);
	assert_true(has_value(&s.a[0], CKA_VALUE, MARK_VALUE));
	seen_clear(&s);
}

static void test_set_pin(void **state)
{
	fx *f = *state;
	cid_token *t;
	cid_attrs a;
	seen s = { 0 };
	const CK_UTF8CHAR *u = (const CK_UTF8CHAR *)USER_PIN;

	make_token(f, true);
	t = f->t;
	assert_int_equal(login(t, CKU_USER, USER_PIN), CKR_OK);
	private_data(&a);
	(void)create(t, &a);
	/* Refusals that cost no try: the token layer's rules (P1, P5). */
	{
		atomic_bool removed = false;
		cid_tok *tk = NULL;

		assert_int_equal(cid_tok_open(f->p, f->key, &removed, &tk), CKR_OK);
		assert_int_equal(cid_tok_set_pin(tk, u, 6, u, 6), CKR_PIN_INVALID);
		assert_int_equal(cid_tok_set_pin(tk, u, 6, (const CK_UTF8CHAR *)"1234", 4), CKR_PIN_LEN_RANGE);
		assert_int_equal(cid_tok_set_pin(tk, u, 6, (const CK_UTF8CHAR *)"12345x", 6), CKR_PIN_INVALID);
		assert_int_equal(cid_tok_login(tk, CKU_SO, (const CK_UTF8CHAR *)SO_PIN, strlen(SO_PIN)), CKR_OK);
		assert_int_equal(cid_tok_set_pin(tk, (const CK_UTF8CHAR *)SO_PIN, 8, (const CK_UTF8CHAR *)SO_PIN, 8),
		                 CKR_PIN_INVALID);
		cid_tok_release(&tk);
	}
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
	assert_int_equal(raw_tries(f->path, "so_tries_left"), CID_POLICY_SO_PIN_MAX_TRIES);
	/* A wrong old passcode costs a try, like a login. */
	assert_int_equal(t->ops->set_pin(t, CKU_USER, (const CK_UTF8CHAR *)"999999", 6, (const CK_UTF8CHAR *)"7654321", 7),
	                 CKR_PIN_INCORRECT);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - 1);
	assert_int_equal(t->ops->set_pin(t, CKU_USER, u, 6, (const CK_UTF8CHAR *)"7654321", 7), CKR_OK);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
	assert_int_equal(t->ops->logout(t), CKR_OK);
	assert_int_equal(login(t, CKU_USER, USER_PIN), CKR_PIN_INCORRECT);
	assert_int_equal(login(t, CKU_USER, "7654321"), CKR_OK);
	assert_int_equal(load(t, &s), 1);
	assert_true(has_value(&s.a[0], CKA_LABEL, MARK_LABEL));
	seen_clear(&s);
	assert_int_equal(t->ops->logout(t), CKR_OK);

	/* Not logged in: the old passcode is checked as a user passcode. */
	assert_int_equal(t->ops->set_pin(t, CKU_USER, (const CK_UTF8CHAR *)"7654321", 7, u, 6), CKR_OK);
	/* The SO changes its own passcode, with its own counter. */
	assert_int_equal(t->ops->set_pin(t, CKU_SO, (const CK_UTF8CHAR *)"11112222", 8, (const CK_UTF8CHAR *)"13572468", 8),
	                 CKR_PIN_INCORRECT);
	assert_int_equal(raw_tries(f->path, "so_tries_left"), CID_POLICY_SO_PIN_MAX_TRIES - 1);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
	assert_int_equal(t->ops->set_pin(t, CKU_SO, (const CK_UTF8CHAR *)SO_PIN, 8, (const CK_UTF8CHAR *)"13572468", 8),
	                 CKR_OK);
	assert_int_equal(login(t, CKU_SO, SO_PIN), CKR_PIN_INCORRECT);
	assert_int_equal(login(t, CKU_SO, "13572468"), CKR_OK);
	assert_int_equal(t->ops->logout(t), CKR_OK);
	assert_int_equal(login(t, CKU_USER, USER_PIN), CKR_OK);
}

static void test_reinit_token(void **state)
{
	fx *f = *state;
	cid_token_status st;
	char serial[16];
	CK_UTF8CHAR label[32];
	seen s = { 0 };
	cid_attrs a;

	make_token(f, true);
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
	memcpy(serial, st.serial, 16);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	private_data(&a);
	(void)create(f->t, &a);
	public_cert(&a, "cert");
	(void)create(f->t, &a);
	assert_int_equal(f->t->ops->logout(f->t), CKR_OK);

	label32(label, "renewed");
	assert_int_equal(f->t->ops->init_token(f->t, (const CK_UTF8CHAR *)"11112222", 8, label), CKR_PIN_INCORRECT);
	assert_int_equal(f->t->ops->init_token(f->t, (const CK_UTF8CHAR *)"123", 3, label), CKR_PIN_INCORRECT);
	assert_int_equal(f->t->ops->init_token(f->t, (const CK_UTF8CHAR *)SO_PIN, 8, label), CKR_OK);
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
	assert_memory_equal(st.serial, serial, 16);
	assert_memory_equal(st.label, label, 32);
	assert_false(st.flags & CKF_USER_PIN_INITIALIZED);
	assert_false(st.flags & CKF_SO_PIN_COUNT_LOW);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_USER_PIN_NOT_INITIALIZED);
	assert_int_equal(load(f->t, &s), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM objects"), 0);
	assert_int_equal(login(f->t, CKU_SO, SO_PIN), CKR_OK);
}

/* A correct passcode is never punished for the store's trouble.  With the
 * audit table refusing every record, the try still comes back, every time,
 * and the login records are written once the table is mended. */
static void test_correct_passcode_survives_broken_audit(void **state)
{
	fx *f = *state;

	make_token(f, true);
	assert_int_equal(raw_exec(f->path, "CREATE TRIGGER broken BEFORE INSERT ON audit"
	                                   " BEGIN SELECT RAISE(ABORT, 'broken'); END"), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
		assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
		assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	}
	/* A wrong one still costs its try, record or not. */
	assert_int_equal(login(f->t, CKU_USER, "999999"), CKR_PIN_INCORRECT);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - 1);
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER broken"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit WHERE detail LIKE '%recorded late (4)%'"), 0);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit WHERE detail LIKE '%recorded late (4)%'"), 1);
}

/* When even the try cannot be given back, the login stands and the try is
 * owed: given back (one, not a reset) at the next presentation. */
static void test_correct_passcode_try_owed(void **state)
{
	fx *f = *state;

	make_token(f, true);
	assert_int_equal(raw_exec(f->path, "CREATE TRIGGER no_restore BEFORE INSERT ON meta"
	                                   " WHEN NEW.key = 'user_tries_left' AND NEW.value = 3"
	                                   " BEGIN SELECT RAISE(ABORT, 'full'); END"), 0);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - 1);
	assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER no_restore"), 0);
	/* A wrong passcode now: the owed try comes back first, then this one
	 * is spent, so two are left, not one. */
	assert_int_equal(login(f->t, CKU_USER, "999999"), CKR_PIN_INCORRECT);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit WHERE event = 'try-returned'"), 1);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
}

typedef struct busy_writer {
	cid_token *t;
	atomic_bool stop;
	unsigned written, failed;
} busy_writer;

static void *write_objects(void *arg)
{
	busy_writer *w = arg;

	while (!atomic_load(&w->stop)) {
		cid_attrs a;
		uint64_t id = 0;

		public_cert(&a, "busy");
		if (w->t->ops->create_object(w->t, &a, &id) == CKR_OK)
			w->written++;
		else
			w->failed++;
		cid_attrs_clear(&a);
	}
	return NULL;
}

/* Another connection writing objects without pause never makes a correct
 * passcode fail: writers and checks take turns, nobody polls. */
static void test_login_beside_busy_writer(void **state)
{
	fx *f = *state;
	busy_writer w = { .t = NULL };
	pthread_t th;

	make_token(f, true);
	w.t = open_again(f);
	atomic_init(&w.stop, false);
	assert_int_equal(pthread_create(&th, NULL, write_objects, &w), 0);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
		assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	}
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	assert_int_equal(w.failed, 0);
	assert_true(w.written > 0);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
	w.t->ops->release(w.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_login_right_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_correct_passcode_survives_broken_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_correct_passcode_try_owed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_beside_busy_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_costs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_salt_costs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_try_spent_before_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_right_passcodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_so_lockout_separate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unblock_keeps_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reinit_token, setup, teardown),
	};

	cid_log_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
