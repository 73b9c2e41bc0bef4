/* The soft token through its provider interface, as the front drives it,
 * with raw SQLite access to the file standing in for an attacker or a
 * second process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/config.h"
#include "common/log.h"
#include "policy/policy.h"
#include "soft/soft.h"
#include "soft/soft_audit.h"

#define SO_PIN "87654321"
#define USER_PIN "123456"
#define TEST_KDF_COST 10
#define MARK_LABEL "SECRET-LABEL-7f3a9c"
#define MARK_VALUE "SECRET-VALUE-b81e44"
#define MARK_EXP "SECRET-EXPONENT-55d0"
#define MARK_PUBLIC "PUBLIC-CERT-VALUE-0c1d"

typedef struct fx {
	char root[256];
	char dir[512];
	char path[PATH_MAX];
	cid_provider *p;
	cid_token *t;
	char *key;
} fx;

/* ---- helpers ---- */

static void label32(CK_UTF8CHAR out[32], const char *s)
{
	memset(out, ' ', 32);
	memcpy(out, s, strlen(s));
}

static CK_RV login(cid_token *t, CK_USER_TYPE who, const char *pin)
{
	return t->ops->login(t, who, (const CK_UTF8CHAR *)pin, pin ? strlen(pin) : 0);
}

static CK_FLAGS flags(cid_token *t)
{
	cid_token_status st;

	assert_int_equal(t->ops->status(t, &st), CKR_OK);
	return st.flags;
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* A connection the test just killed may leave the WAL to recover:
	 * wait for it as the module does, rather than read SQLITE_BUSY. */
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int64_t raw_tries(const char *path, const char *which)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT value FROM meta WHERE key = '%s'", which);
	return raw_int(path, sql);
}

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

typedef struct seen {
	size_t n;
	uint64_t ids[64];
	cid_attrs a[64];
} seen;

static CK_RV collect(void *ctx, uint64_t id, const cid_attrs *attrs)
{
	seen *s = ctx;

	assert_true(id != 0);
	assert_true(s->n < 64);
	s->ids[s->n] = id;
	cid_attrs_init(&s->a[s->n]);
	assert_int_equal(cid_attrs_copy(&s->a[s->n], attrs), CKR_OK);
	s->n++;
	return CKR_OK;
}

static void seen_clear(seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		cid_attrs_clear(&s->a[i]);
	s->n = 0;
}

static size_t load(cid_token *t, seen *s)
{
	seen_clear(s);
	assert_int_equal(t->ops->load_objects(t, collect, s), CKR_OK);
	return s->n;
}

/* Index in s of the object with that id, or -1. */
static int find_id(const seen *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return (int)i;
	return -1;
}

static bool has_value(const cid_attrs *a, CK_ATTRIBUTE_TYPE t, const char *v)
{
	const CK_ATTRIBUTE *at = cid_attrs_get(a, t);

	return at != NULL && at->ulValueLen == strlen(v) && memcmp(at->pValue, v, strlen(v)) == 0;
}

static void add_ulong(cid_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	assert_int_equal(cid_attrs_set_ulong(a, t, v), CKR_OK);
}

static void add_str(cid_attrs *a, CK_ATTRIBUTE_TYPE t, const char *v)
{
	assert_int_equal(cid_attrs_set(a, t, v, strlen(v)), CKR_OK);
}

/* A private data object with markers in its label and value. */
static void private_data(cid_attrs *a)
{
	cid_attrs_init(a);
	add_ulong(a, CKA_CLASS, CKO_DATA);
	assert_int_equal(cid_attrs_set_bool(a, CKA_TOKEN, true), CKR_OK);
	assert_int_equal(cid_attrs_set_bool(a, CKA_PRIVATE, true), CKR_OK);
	add_str(a, CKA_LABEL, MARK_LABEL);
	add_str(a, CKA_VALUE, MARK_VALUE);
}

/* A key object marked public but holding a secret component. */
static void public_rsa_private_key(cid_attrs *a)
{
	cid_attrs_init(a);
	add_ulong(a, CKA_CLASS, CKO_PRIVATE_KEY);
	add_ulong(a, CKA_KEY_TYPE, CKK_RSA);
	assert_int_equal(cid_attrs_set_bool(a, CKA_PRIVATE, false), CKR_OK);
	add_str(a, CKA_LABEL, "rsa-key");
	add_str(a, CKA_MODULUS, "modulus-bytes");
	add_str(a, CKA_PRIVATE_EXPONENT, MARK_EXP);
}

static void public_cert(cid_attrs *a, const char *label)
{
	cid_attrs_init(a);
	add_ulong(a, CKA_CLASS, CKO_CERTIFICATE);
	assert_int_equal(cid_attrs_set_bool(a, CKA_PRIVATE, false), CKR_OK);
	add_str(a, CKA_LABEL, label);
	add_str(a, CKA_VALUE, MARK_PUBLIC);
}

static uint64_t create(cid_token *t, cid_attrs *a)
{
	uint64_t id = 0;

	assert_int_equal(t->ops->create_object(t, a, &id), CKR_OK);
	assert_true(id != 0);
	cid_attrs_clear(a);
	return id;
}

static cid_token *open_again(fx *f)
{
	cid_token *t = NULL;

	assert_int_equal(f->p->ops->open(f->p, f->key, &t), CKR_OK);
	return t;
}

/* A new token with the user passcode set and nobody logged in. */
static void make_token(fx *f, bool with_user)
{
	CK_UTF8CHAR label[32];

	label32(label, "test card");
	assert_int_equal(f->p->ops->create(f->p, "new", (const CK_UTF8CHAR *)SO_PIN, strlen(SO_PIN), label,
	                                   &f->key, &f->t),
	                 CKR_OK);
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, f->key);
	if (with_user) {
		assert_int_equal(login(f->t, CKU_SO, SO_PIN), CKR_OK);
		assert_int_equal(f->t->ops->init_pin(f->t, (const CK_UTF8CHAR *)USER_PIN, strlen(USER_PIN)), CKR_OK);
		assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	}
}

static int rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char sub[PATH_MAX];

	if (d == NULL)
		return unlink(path);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rm_tree(sub);
	}
	closedir(d);
	return rmdir(path);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/soft-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(f->root) == NULL)
		return -1;
	/* A missing nested directory: the first token created makes it. */
	snprintf(f->dir, sizeof(f->dir), "%s/share/tokens", f->root);
	if (cid_soft_provider_new(f->dir, TEST_KDF_COST, &f->p) != CKR_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	if (f->t != NULL)
		f->t->ops->release(f->t);
	if (f->p != NULL)
		f->p->ops->release(f->p);
	free(f->key);
	rm_tree(f->root);
	free(f);
	return 0;
}

/* ---- provider ---- */

typedef struct places {
	size_t n;
	char keys[8][64];
	bool create[8];
} places;

static CK_RV place_sink(void *ctx, const cid_place *pl)
{
	places *ps = ctx;

	assert_true(ps->n < 8);
	assert_non_null(pl->description);
	snprintf(ps->keys[ps->n], sizeof(ps->keys[0]), "%s", pl->key);
	ps->create[ps->n] = pl->can_create;
	ps->n++;
	return CKR_OK;
}

static void scan(fx *f, places *ps)
{
	memset(ps, 0, sizeof(*ps));
	assert_int_equal(f->p->ops->scan(f->p, place_sink, ps), CKR_OK);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void test_provider_scan_create(void **state)
{
	fx *f = *state;
	cid_token_status st;
	struct stat sb;
	places ps;
	cid_token *t = NULL;
	cid_provider *bad = NULL;
	CK_UTF8CHAR label[32];
	char *k = NULL;

	/* Nothing is made on disk before a token is: a missing directory is
	 * an empty one, with the free place. */
	assert_int_equal(stat(f->dir, &sb), -1);
	scan(f, &ps);
	assert_int_equal(ps.n, 1);
	assert_string_equal(ps.keys[0], "new");
	assert_true(ps.create[0]);
	assert_int_equal(f->p->ops->open(f->p, "new", &t), CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(stat(f->dir, &sb), -1);

	label32(label, "x");
	assert_int_equal(f->p->ops->create(f->p, "new", (const CK_UTF8CHAR *)"12345", 5, label, &k, &t),
	                 CKR_PIN_LEN_RANGE);
	assert_int_equal(f->p->ops->create(f->p, "new", (const CK_UTF8CHAR *)"1234567a", 8, label, &k, &t),
	                 CKR_PIN_INVALID);
	assert_int_equal(cid_soft_provider_new(f->dir, CID_KDF_COST_MIN - 1, &bad), CKR_ARGUMENTS_BAD);

	/* A refused passcode made no directory either. */
	assert_int_equal(stat(f->dir, &sb), -1);

	make_token(f, false);
	assert_int_equal(stat(f->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
	/* The serial is 16 hex digits and names the file. */
	assert_int_equal(strlen(f->key), 16 + strlen(".token"));
	assert_memory_equal(st.serial, f->key, 16);
	for (int i = 0; i < 16; i++)
		assert_non_null(strchr("0123456789abcdef", st.serial[i]));
	assert_int_equal(f->p->ops->create(f->p, f->key, (const CK_UTF8CHAR *)SO_PIN, 8, label, &k, &t),
	                 CKR_ARGUMENTS_BAD);

	/* Strangers in the directory: ignored or skipped, never fatal. */
	write_file(f->dir, "notes.txt", "hello", 5);
	write_file(f->dir, "junk.token", "this is not a database at all, not even close....", 50);
	{
		char other[PATH_MAX];
		sqlite3 *db;

		snprintf(other, sizeof(other), "%s/other.token", f->dir);
		assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "CREATE TABLE meta (key, value)", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	scan(f, &ps);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.keys[0], f->key);
	assert_false(ps.create[0]);
	assert_string_equal(ps.keys[1], "new");
	assert_true(ps.create[1]);
	assert_int_equal(f->p->ops->open(f->p, "junk.token", &t), CKR_TOKEN_NOT_RECOGNIZED);
	assert_int_equal(f->p->ops->open(f->p, "other.token", &t), CKR_TOKEN_NOT_RECOGNIZED);
	assert_int_equal(f->p->ops->open(f->p, "0000000000000000.token", &t), CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(f->p->ops->open(f->p, "../x.token", &t), CKR_TOKEN_NOT_PRESENT);

	/* A second token gets its own serial and place. */
	assert_int_equal(f->p->ops->create(f->p, "new", (const CK_UTF8CHAR *)SO_PIN, 8, label, &k, &t), CKR_OK);
	assert_string_not_equal(k, f->key);
	t->ops->release(t);
	free(k);
	scan(f, &ps);
	assert_int_equal(ps.n, 3);
}

static void test_status_flags(void **state)
{
	fx *f = *state;
	cid_token_status st;

	make_token(f, false);
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
	assert_memory_equal(st.label, "test card                       ", 32);
	assert_memory_equal(st.manufacturer, "careid", 6);
	assert_memory_equal(st.model, "virtual card    ", 16);
	assert_int_equal(st.min_pin_len, CID_POLICY_PIN_MIN_LEN);
	assert_int_equal(st.max_pin_len, CID_POLICY_PIN_MAX_LEN);
	assert_int_equal(st.flags, CKF_TOKEN_INITIALIZED | CKF_RNG | CKF_LOGIN_REQUIRED);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_USER_PIN_NOT_INITIALIZED);

	assert_int_equal(login(f->t, CKU_SO, SO_PIN), CKR_OK);
	assert_int_equal(login(f->t, CKU_SO, SO_PIN), CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	assert_int_equal(f->t->ops->init_pin(f->t, (const CK_UTF8CHAR *)USER_PIN, 6), CKR_OK);
	assert_int_equal(flags(f->t), CKF_TOKEN_INITIALIZED | CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED);
	assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	assert_int_equal(f->t->ops->logout(f->t), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(login(f->t, 77, USER_PIN), CKR_USER_TYPE_INVALID);
}

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
	assert_int_equal(f->t->ops->init_pin(f->t, (const CK_UTF8CHAR *)"24681", 5), CKR_PIN_LEN_RANGE);
	assert_int_equal(f->t->ops->init_pin(f->t, (const CK_UTF8CHAR *)"24681x", 6), CKR_PIN_INVALID);
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
	/* Refusals that cost no try. */
	assert_int_equal(t->ops->set_pin(t, CKU_USER, u, 6, u, 6), CKR_PIN_INVALID);
	assert_int_equal(t->ops->set_pin(t, CKU_USER, u, 6, (const CK_UTF8CHAR *)"1234", 4), CKR_PIN_LEN_RANGE);
	assert_int_equal(t->ops->set_pin(t, CKU_USER, u, 6, (const CK_UTF8CHAR *)"12345x", 6), CKR_PIN_INVALID);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
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
	assert_int_equal(t->ops->set_pin(t, CKU_SO, (const CK_UTF8CHAR *)SO_PIN, 8, (const CK_UTF8CHAR *)SO_PIN, 8),
	                 CKR_PIN_INVALID);
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

/* ---- objects ---- */

static void test_visibility(void **state)
{
	fx *f = *state;
	cid_token *t;
	cid_attrs a;
	seen s = { 0 };
	uint64_t priv, key, cert, id = 0;
	int i;

	make_token(f, true);
	t = f->t;
	/* Nothing private or secret without the user. */
	private_data(&a);
	assert_int_equal(t->ops->create_object(t, &a, &id), CKR_USER_NOT_LOGGED_IN);
	cid_attrs_clear(&a);
	public_rsa_private_key(&a);
	assert_int_equal(t->ops->create_object(t, &a, &id), CKR_USER_NOT_LOGGED_IN);
	cid_attrs_clear(&a);
	public_cert(&a, "before login");
	cert = create(t, &a);

	assert_int_equal(login(t, CKU_USER, USER_PIN), CKR_OK);
	private_data(&a);
	priv = create(t, &a);
	public_rsa_private_key(&a);
	key = create(t, &a);
	assert_true(priv != key && key != cert);
	assert_int_equal(load(t, &s), 3);
	i = find_id(&s, key);
	assert_true(i >= 0 && has_value(&s.a[i], CKA_PRIVATE_EXPONENT, MARK_EXP));
	assert_int_equal(t->ops->logout(t), CKR_OK);

	/* Public view: no private object, no secret value. */
	assert_int_equal(load(t, &s), 2);
	assert_int_equal(find_id(&s, priv), -1);
	i = find_id(&s, key);
	assert_true(i >= 0);
	assert_null(cid_attrs_get(&s.a[i], CKA_PRIVATE_EXPONENT));
	assert_true(has_value(&s.a[i], CKA_MODULUS, "modulus-bytes"));
	i = find_id(&s, cert);
	assert_true(i >= 0 && has_value(&s.a[i], CKA_VALUE, MARK_PUBLIC));
	/* Writes to sealed objects need the user. */
	assert_int_equal(t->ops->update_object(t, key, &s.a[find_id(&s, key)]), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(t->ops->destroy_object(t, priv), CKR_USER_NOT_LOGGED_IN);

	/* The SO sees the public view too. */
	assert_int_equal(login(t, CKU_SO, SO_PIN), CKR_OK);
	assert_int_equal(load(t, &s), 2);
	assert_null(cid_attrs_get(&s.a[find_id(&s, key)], CKA_PRIVATE_EXPONENT));
	assert_int_equal(t->ops->logout(t), CKR_OK);

	/* Update with what the public view gave keeps the stored secret. */
	assert_int_equal(login(t, CKU_USER, USER_PIN), CKR_OK);
	i = find_id(&s, key);
	add_str(&s.a[i], CKA_LABEL, "renamed");
	assert_int_equal(t->ops->update_object(t, key, &s.a[i]), CKR_OK);
	private_data(&a);
	add_str(&a, CKA_LABEL, "private renamed");
	assert_int_equal(t->ops->update_object(t, priv, &a), CKR_OK);
	assert_int_equal(t->ops->update_object(t, 9999, &a), CKR_OBJECT_HANDLE_INVALID);
	cid_attrs_clear(&a);
	assert_int_equal(load(t, &s), 3);
	i = find_id(&s, key);
	assert_true(has_value(&s.a[i], CKA_LABEL, "renamed"));
	assert_true(has_value(&s.a[i], CKA_PRIVATE_EXPONENT, MARK_EXP));
	i = find_id(&s, priv);
	assert_true(has_value(&s.a[i], CKA_LABEL, "private renamed"));
	assert_true(has_value(&s.a[i], CKA_VALUE, MARK_VALUE));

	assert_int_equal(t->ops->destroy_object(t, priv), CKR_OK);
	assert_int_equal(t->ops->destroy_object(t, priv), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(t->ops->destroy_object(t, 0), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(load(t, &s), 2);
	/* Ids are never reused. */
	private_data(&a);
	assert_true(create(t, &a) > key);
	seen_clear(&s);
}

static bool file_contains(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	size_t n = 0, cap = 1 << 16, r;
	char *buf;
	bool found;

	if (fp == NULL)
		return false;
	buf = malloc(cap);
	assert_non_null(buf);
	while ((r = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(fp);
	found = memmem(buf, n, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static bool token_files_contain(const char *path, const char *needle)
{
	char aux[PATH_MAX];

	snprintf(aux, sizeof(aux), "%s-wal", path);
	return file_contains(path, needle) || file_contains(aux, needle);
}

static void test_at_rest(void **state)
{
	fx *f = *state;
	cid_token *t2;
	cid_attrs a;

	make_token(f, true);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	private_data(&a);
	(void)create(f->t, &a);
	public_rsa_private_key(&a);
	(void)create(f->t, &a);
	public_cert(&a, "public");
	(void)create(f->t, &a);
	/* Checked both while open (the WAL too) and after closing. */
	t2 = open_again(f);
	assert_true(token_files_contain(f->path, MARK_PUBLIC));
	assert_false(token_files_contain(f->path, MARK_LABEL));
	assert_false(token_files_contain(f->path, MARK_VALUE));
	assert_false(token_files_contain(f->path, MARK_EXP));
	t2->ops->release(t2);
	f->t->ops->release(f->t);
	f->t = NULL;
	assert_true(file_contains(f->path, MARK_PUBLIC));
	assert_false(file_contains(f->path, MARK_LABEL));
	assert_false(file_contains(f->path, MARK_VALUE));
	assert_false(file_contains(f->path, MARK_EXP));
}

static void test_tampering_refused(void **state)
{
	fx *f = *state;
	cid_attrs a;
	seen s = { 0 };
	uint64_t p1, p2, key, cert;

	make_token(f, true);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	private_data(&a);
	p1 = create(f->t, &a);
	private_data(&a);
	p2 = create(f->t, &a);
	public_rsa_private_key(&a);
	key = create(f->t, &a);
	public_cert(&a, "c");
	cert = create(f->t, &a);
	assert_int_equal(load(f->t, &s), 4);

	/* Sealed blobs swapped between rows: both refuse to open. */
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
		         "UPDATE objects SET sealed = (SELECT sealed FROM objects WHERE id = %llu) WHERE id = %llu",
		         (unsigned long long)p2, (unsigned long long)p1);
		assert_int_equal(raw_exec(f->path, sql), SQLITE_OK);
		/* The public part of the key edited: its seal no longer fits. */
		snprintf(sql, sizeof(sql), "UPDATE objects SET attrs = attrs || x'00' WHERE id = %llu",
		         (unsigned long long)key);
		assert_int_equal(raw_exec(f->path, sql), SQLITE_OK);
	}
	assert_int_equal(load(f->t, &s), 2);
	assert_true(find_id(&s, p2) >= 0 && find_id(&s, cert) >= 0);
	assert_int_equal(find_id(&s, p1), -1);
	assert_int_equal(find_id(&s, key), -1);
	/* Flipped "private" flag and garbage: refused, not a crash. */
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "UPDATE objects SET private = 0 WHERE id = %llu", (unsigned long long)p2);
		assert_int_equal(raw_exec(f->path, sql), SQLITE_OK);
		snprintf(sql, sizeof(sql), "UPDATE objects SET attrs = x'0102030405' WHERE id = %llu",
		         (unsigned long long)cert);
		assert_int_equal(raw_exec(f->path, sql), SQLITE_OK);
	}
	assert_int_equal(load(f->t, &s), 0);
	assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	assert_int_equal(load(f->t, &s), 0);

	/* A wrong token key: the wrap under the user passcode replaced by the
	 * SO one (right token, wrong role) fails like a wrong passcode. */
	assert_int_equal(raw_exec(f->path, "UPDATE meta SET value = (SELECT value FROM meta WHERE key = "
	                                   "'so_wrapped_key') WHERE key = 'user_wrapped_key'"),
	                 SQLITE_OK);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_PIN_INCORRECT);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - 1);
	/* A wrap that no passcode could open is damage: refused, no try spent. */
	assert_int_equal(raw_exec(f->path, "UPDATE meta SET value = x'00' WHERE key = 'user_wrapped_key'"), SQLITE_OK);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_DEVICE_ERROR);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - 1);
	/* Damaged meta: errors, not crashes. */
	assert_int_equal(raw_exec(f->path, "UPDATE meta SET value = 40 WHERE key = 'kdf_log2_n'"), SQLITE_OK);
	assert_int_equal(login(f->t, CKU_SO, SO_PIN), CKR_DEVICE_ERROR);
	assert_int_equal(raw_exec(f->path, "DELETE FROM meta WHERE key = 'so_tries_left'"), SQLITE_OK);
	{
		cid_token_status st;

		assert_int_equal(f->t->ops->status(f->t, &st), CKR_DEVICE_ERROR);
	}
	seen_clear(&s);
}

static void test_corrupt_file(void **state)
{
	fx *f = *state;
	places ps;
	cid_token *t = NULL;
	struct stat sb;
	FILE *fp;

	make_token(f, false);
	f->t->ops->release(f->t);
	f->t = NULL;
	/* Cut the file short and scribble over its header. */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(truncate(f->path, sb.st_size / 2), 0);
	fp = fopen(f->path, "r+b");
	assert_non_null(fp);
	fputs("garbage garbage garbage", fp);
	fclose(fp);
	scan(f, &ps);
	assert_int_equal(ps.n, 1);
	assert_string_equal(ps.keys[0], "new");
	assert_int_equal(f->p->ops->open(f->p, f->key, &t), CKR_TOKEN_NOT_RECOGNIZED);
	/* A vanished file. */
	unlink(f->path);
	assert_int_equal(f->p->ops->open(f->p, f->key, &t), CKR_TOKEN_NOT_PRESENT);
}

static void test_changed_across_handles(void **state)
{
	fx *f = *state;
	cid_token *b;
	seen s = { 0 };
	cid_attrs a;
	bool ch = false;

	make_token(f, true);
	b = open_again(f);
	assert_int_equal(f->t->ops->changed(f->t, &ch), CKR_OK);
	assert_true(ch);   /* never loaded */
	assert_int_equal(load(f->t, &s), 0);
	assert_int_equal(f->t->ops->changed(f->t, &ch), CKR_OK);
	assert_false(ch);

	/* Another "process" adds an object. */
	public_cert(&a, "from b");
	(void)create(b, &a);
	assert_int_equal(f->t->ops->changed(f->t, &ch), CKR_OK);
	assert_true(ch);
	assert_int_equal(load(f->t, &s), 1);
	assert_int_equal(f->t->ops->changed(f->t, &ch), CKR_OK);
	assert_false(ch);

	/* Our own write is no news to us. */
	public_cert(&a, "from a");
	(void)create(f->t, &a);
	assert_int_equal(f->t->ops->changed(f->t, &ch), CKR_OK);
	assert_false(ch);
	/* Another process touching only a try counter changes no object. */
	assert_int_equal(login(b, CKU_USER, "000000"), CKR_PIN_INCORRECT);
	assert_int_equal(f->t->ops->changed(f->t, &ch), CKR_OK);
	assert_false(ch);
	/* ...but the counter itself is shared at once. */
	assert_true(flags(f->t) & CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(b->ops->destroy_object(b, s.ids[0]), CKR_OK);
	assert_int_equal(f->t->ops->changed(f->t, &ch), CKR_OK);
	assert_true(ch);
	assert_int_equal(load(f->t, &s), 1);
	b->ops->release(b);
	seen_clear(&s);
}

typedef struct writer {
	cid_token *t;
	int n;
	CK_RV rv;
} writer;

static void *write_many(void *arg)
{
	writer *w = arg;

	for (int i = 0; i < w->n && w->rv == CKR_OK; i++) {
		cid_attrs a = CID_ATTRS_INIT;
		uint64_t id;

		w->rv = cid_attrs_set_ulong(&a, CKA_CLASS, CKO_DATA);
		if (w->rv == CKR_OK)
			w->rv = cid_attrs_set_bool(&a, CKA_PRIVATE, true);
		if (w->rv == CKR_OK)
			w->rv = cid_attrs_set(&a, CKA_VALUE, "v", 1);
		if (w->rv == CKR_OK)
			w->rv = w->t->ops->create_object(w->t, &a, &id);
		cid_attrs_clear(&a);
	}
	return NULL;
}

static void test_two_handles(void **state)
{
	fx *f = *state;
	cid_token *b = NULL;
	pthread_t th[2];
	writer w[2];
	seen s = { 0 };
	cid_audit_check chk;

	make_token(f, true);
	b = open_again(f);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	assert_int_equal(login(b, CKU_USER, USER_PIN), CKR_OK);
	w[0] = (writer){ f->t, 20, CKR_OK };
	w[1] = (writer){ b, 20, CKR_OK };
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, write_many, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(w[0].rv, CKR_OK);
	assert_int_equal(w[1].rv, CKR_OK);
	assert_int_equal(load(f->t, &s), 40);
	assert_int_equal(load(b, &s), 40);
	seen_clear(&s);
	assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	assert_int_equal(b->ops->logout(b), CKR_OK);

	/* The counter is one, whichever handle spends it. */
	assert_int_equal(login(f->t, CKU_USER, "000000"), CKR_PIN_INCORRECT);
	assert_int_equal(login(b, CKU_USER, "000000"), CKR_PIN_INCORRECT);
	assert_int_equal(login(f->t, CKU_USER, "000000"), CKR_PIN_LOCKED);
	assert_int_equal(login(b, CKU_USER, USER_PIN), CKR_PIN_LOCKED);
	b->ops->release(b);
	assert_int_equal(cid_soft_audit_verify(f->path, &chk), CKR_OK);
}

/* ---- audit ---- */

typedef struct events {
	size_t n;
	char names[64][32];
	bool leaked;
} events;

static CK_RV event_sink(void *ctx, const cid_audit_record *r)
{
	events *e = ctx;

	assert_true(r->seq == e->n + 1);
	assert_true(r->time > 0);
	if (strstr(r->detail, USER_PIN) || strstr(r->detail, SO_PIN) || strstr(r->detail, "246810"))
		e->leaked = true;
	if (e->n < 64)
		snprintf(e->names[e->n], sizeof(e->names[0]), "%s", r->event);
	e->n++;
	return CKR_OK;
}

static bool has_event(const events *e, const char *name)
{
	for (size_t i = 0; i < e->n && i < 64; i++)
		if (strcmp(e->names[i], name) == 0)
			return true;
	return false;
}

static void test_audit_chain(void **state)
{
	fx *f = *state;
	cid_audit_check chk;
	events e = { 0 };
	CK_UTF8CHAR label[32];

	make_token(f, true);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	assert_int_equal(f->t->ops->set_pin(f->t, CKU_USER, (const CK_UTF8CHAR *)USER_PIN, 6,
	                                    (const CK_UTF8CHAR *)"246810", 6),
	                 CKR_OK);
	assert_int_equal(f->t->ops->logout(f->t), CKR_OK);
	for (int i = 0; i < CID_POLICY_PIN_MAX_TRIES; i++)
		(void)login(f->t, CKU_USER, "000000");
	assert_int_equal(login(f->t, CKU_USER, "12"), CKR_PIN_LOCKED);
	label32(label, "again");
	assert_int_equal(f->t->ops->init_token(f->t, (const CK_UTF8CHAR *)SO_PIN, 8, label), CKR_OK);

	assert_int_equal(cid_soft_audit_verify(f->path, &chk), CKR_OK);
	assert_int_equal(chk.first_bad, 0);
	assert_int_equal(cid_soft_audit_foreach(f->path, event_sink, &e), CKR_OK);
	assert_int_equal(e.n, chk.records);
	assert_false(e.leaked);
	assert_string_equal(e.names[0], "token-init");
	assert_true(has_event(&e, "login-ok"));
	assert_true(has_event(&e, "pin-init"));
	assert_true(has_event(&e, "pin-changed"));
	assert_true(has_event(&e, "login-failed"));
	assert_true(has_event(&e, "locked"));
	assert_true(has_event(&e, "login-refused"));
	assert_true(has_event(&e, "token-reinit"));

	/* The module's own connection cannot rewrite history... */
	assert_int_equal(raw_exec(f->path, "UPDATE audit SET detail = 'x' WHERE seq = 2"), SQLITE_CONSTRAINT);
	assert_int_equal(raw_exec(f->path, "DELETE FROM audit WHERE seq = 2"), SQLITE_CONSTRAINT);
	/* ...and someone who drops the guards is caught by the chain. */
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"), SQLITE_OK);
	assert_int_equal(raw_exec(f->path, "UPDATE audit SET detail = 'who=user' WHERE seq = 3"), SQLITE_OK);
	assert_int_equal(cid_soft_audit_verify(f->path, &chk), CKR_SIGNATURE_INVALID);
	assert_int_equal(chk.first_bad, 3);
	assert_int_equal(cid_soft_audit_verify("/nonexistent/x.token", &chk), CKR_DEVICE_ERROR);
	assert_int_equal(cid_soft_audit_verify(f->path, NULL), CKR_ARGUMENTS_BAD);
}

static void test_audit_deletions(void **state)
{
	fx *f = *state;
	cid_audit_check chk;
	int64_t last;
	char sql[128];

	make_token(f, true);
	assert_int_equal(login(f->t, CKU_USER, "000000"), CKR_PIN_INCORRECT);
	assert_int_equal(login(f->t, CKU_USER, USER_PIN), CKR_OK);
	assert_int_equal(cid_soft_audit_verify(f->path, &chk), CKR_OK);
	last = (int64_t)chk.records;
	assert_true(last >= 4);
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER audit_no_delete"), SQLITE_OK);
	/* The tail cut off: the head kept in meta no longer matches. */
	snprintf(sql, sizeof(sql), "DELETE FROM audit WHERE seq = %lld", (long long)last);
	assert_int_equal(raw_exec(f->path, sql), SQLITE_OK);
	assert_int_equal(cid_soft_audit_verify(f->path, &chk), CKR_SIGNATURE_INVALID);
	assert_int_equal(chk.first_bad, (uint64_t)last);
	/* A row from the middle. */
	assert_int_equal(raw_exec(f->path, "DELETE FROM audit WHERE seq = 2"), SQLITE_OK);
	assert_int_equal(cid_soft_audit_verify(f->path, &chk), CKR_SIGNATURE_INVALID);
	assert_int_equal(chk.first_bad, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_provider_scan_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_right_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_costs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_try_spent_before_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_so_lockout_separate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unblock_keeps_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reinit_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visibility, setup, teardown),
		cmocka_unit_test_setup_teardown(test_at_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampering_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_across_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_deletions, setup, teardown),
	};

	cid_log_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
