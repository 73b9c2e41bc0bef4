/* The soft token's provider and files: scan, create, status, damage, two handles. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/config.h"
#include "common/log.h"
#include "policy/policy.h"
#include "token/tok.h"
#include "soft/soft_audit.h"
#include "soft/soft_int.h"
#include "soft_fixture.h"

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
	/* The SO passcode's format is the token layer's rule (P1), for every
	 * kind of token; a refused one never reaches the provider. */
	{
		atomic_bool removed = false;
		cid_tok *tk = NULL;

		assert_int_equal(cid_tok_create(f->p, "new", (const CK_UTF8CHAR *)"12345", 5, label, &removed, &k, &tk),
		                 CKR_PIN_LEN_RANGE);
		assert_int_equal(cid_tok_create(f->p, "new", (const CK_UTF8CHAR *)"1234567a", 8, label, &removed, &k,
		                                &tk),
		                 CKR_PIN_INVALID);
		assert_null(tk);
	}
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

/* ---- a resting token's status ---- */

typedef struct file_mark {
	bool exists;
	ino_t ino;
	off_t size;
	struct timespec mtime;
} file_mark;

static void mark_file(const char *path, const char *suffix, file_mark *m)
{
	char p[PATH_MAX + 8];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	memset(m, 0, sizeof(*m));
	if (stat(p, &sb) != 0)
		return;
	m->exists = true;
	m->ino = sb.st_ino;
	m->size = sb.st_size;
	m->mtime = sb.st_mtim;
}

static bool same_mark(const file_mark *a, const file_mark *b)
{
	return a->exists == b->exists && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Back-dates a file, so that any write to it, however soon, shows. */
static void age_file(const char *path, const char *suffix)
{
	char p[PATH_MAX + 8];
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
}

static void unlink_aux(const char *path)
{
	char p[PATH_MAX + 8];

	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* A write as another process makes it, leaving it in the log: the last
 * connection closing does not copy it into the file, as one killed
 * before it closes would not. */
static void raw_exec_in_log(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Listing a resting token writes nothing beside it, not even the log
 * index; a token whose log and index are gone still lists (and gets them
 * back), and a write afterwards opens the file read-write. */
static void test_resting_status_writes_nothing(void **state)
{
	fx *f = *state;
	file_mark before[3], after[3];
	static const char *const suffix[3] = { "", "-wal", "-shm" };
	cid_token_status st;
	cid_token *t;

	make_token(f, true);
	f->t->ops->release(f->t);
	f->t = NULL;
	unlink_aux(f->path);
	t = open_again(f);
	/* No log index yet: the token's own connection makes it. */
	assert_int_equal(t->ops->status(t, &st), CKR_OK);
	assert_memory_equal(st.label, "test card                       ", 32);
	t->ops->rest(t);
	for (int i = 0; i < 3; i++) {
		age_file(f->path, suffix[i]);
		mark_file(f->path, suffix[i], &before[i]);
		assert_true(before[i].exists);
	}
	for (int n = 0; n < 3; n++) {
		assert_int_equal(t->ops->status(t, &st), CKR_OK);
		assert_memory_equal(st.label, "test card                       ", 32);
		assert_int_equal(st.flags, CKF_TOKEN_INITIALIZED | CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED);
		assert_memory_equal(st.serial, f->key, SOFT_SERIAL_LEN);
		t->ops->rest(t);
	}
	for (int i = 0; i < 3; i++) {
		mark_file(f->path, suffix[i], &after[i]);
		assert_true(same_mark(&before[i], &after[i]));
	}
	/* The first write after a listing reaches the file. */
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES);
	assert_int_equal(login(t, CKU_USER, "000000"), CKR_PIN_INCORRECT);
	assert_int_equal(raw_tries(f->path, "user_tries_left"), CID_POLICY_PIN_MAX_TRIES - 1);
	assert_int_equal(login(t, CKU_USER, USER_PIN), CKR_OK);
	assert_int_equal(t->ops->logout(t), CKR_OK);
	t->ops->release(t);
}

/* What another process changes (label, try counters, flags) is what the
 * next listing shows, whether that process still has the file open or
 * left its change in the log only. */
static void test_resting_status_sees_other_writers(void **state)
{
	fx *f = *state;
	cid_token_status st;
	cid_token *b;
	CK_UTF8CHAR label[32];

	make_token(f, true);
	/* b keeps the file open read-write: the listing reads the live index. */
	b = open_again(f);
	assert_int_equal(login(b, CKU_USER, "000000"), CKR_PIN_INCORRECT);
	f->t->ops->rest(f->t);
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
	assert_true(st.flags & CKF_USER_PIN_COUNT_LOW);
	f->t->ops->rest(f->t);
	label32(label, "renamed");
	assert_int_equal(b->ops->init_token(b, (const CK_UTF8CHAR *)SO_PIN, strlen(SO_PIN), label), CKR_OK);
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
	assert_memory_equal(st.label, "renamed                         ", 32);
	assert_false(st.flags & CKF_USER_PIN_INITIALIZED);
	f->t->ops->rest(f->t);
	b->ops->release(b);

	/* Nobody has it open and the changes are in the log only. */
	raw_exec_in_log(f->path, "UPDATE meta SET value = 1 WHERE key = 'so_tries_left';"
	                         "UPDATE meta SET value = X'6c6f6720'||zeroblob(28) WHERE key = 'label';"
	                         "INSERT OR REPLACE INTO meta (key, value) VALUES ('pin_to_be_changed', 1);");
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
	assert_memory_equal(st.label, "log ", 4);
	assert_true(st.flags & CKF_SO_PIN_FINAL_TRY);
	assert_true(st.flags & CKF_USER_PIN_TO_BE_CHANGED);
	f->t->ops->rest(f->t);
	raw_exec_in_log(f->path, "UPDATE meta SET value = 0 WHERE key = 'pin_to_be_changed'");
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
	assert_false(st.flags & CKF_USER_PIN_TO_BE_CHANGED);
	f->t->ops->rest(f->t);
}

/* The listing's own check: a schema this code does not read, a foreign
 * application id or another token's file under the name are refused,
 * even while the change sits in the log only. */
static void test_resting_status_checks(void **state)
{
	fx *f = *state;
	cid_token_status st;
	cid_token *other = NULL;
	char *other_key = NULL, cmd[3 * PATH_MAX];
	CK_UTF8CHAR label[32];
	char sql[64];
	int64_t version;

	make_token(f, false);
	f->t->ops->rest(f->t);
	version = raw_int(f->path, "PRAGMA user_version");
	assert_true(version >= SOFT_SCHEMA_MIN && version <= SOFT_SCHEMA_VERSION);
	for (int i = 0; i < 2; i++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", i == 0 ? SOFT_SCHEMA_VERSION + 1 : SOFT_SCHEMA_MIN - 1);
		raw_exec_in_log(f->path, sql);
		assert_int_equal(f->t->ops->status(f->t, &st), CKR_TOKEN_NOT_RECOGNIZED);
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%lld", (long long)version);
		raw_exec_in_log(f->path, sql);
		assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
		f->t->ops->rest(f->t);
	}
	raw_exec_in_log(f->path, "PRAGMA application_id=7");
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_TOKEN_NOT_RECOGNIZED);
	raw_exec_in_log(f->path, "PRAGMA application_id=1128875092");
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_OK);
	f->t->ops->rest(f->t);

	/* Another token's file renamed over this one: this token is gone. */
	label32(label, "other");
	assert_int_equal(f->p->ops->create(f->p, "new", (const CK_UTF8CHAR *)SO_PIN, strlen(SO_PIN), label,
	                                   &other_key, &other),
	                 CKR_OK);
	assert_int_equal(other->ops->status(other, &st), CKR_OK);
	other->ops->release(other);
	unlink_aux(f->path);
	snprintf(cmd, sizeof(cmd), "cd '%s' && mv '%s' '%s' && mv '%s-wal' '%s-wal' && mv '%s-shm' '%s-shm'", f->dir,
	         other_key, f->key, other_key, f->key, other_key, f->key);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(f->t->ops->status(f->t, &st), CKR_DEVICE_REMOVED);
	free(other_key);
}

static bool aux_exists(const char *path, const char *suffix)
{
	file_mark m;

	mark_file(path, suffix, &m);
	return m.exists;
}

/* A status asked again of a token at rest is the last one read while the
 * file and its log are as they were then; a change by anyone is read
 * afresh, and so is a file written too lately to tell. */
static void test_resting_status_kept_while_unchanged(void **state)
{
	fx *f = *state;
	cid_token_status st;
	cid_token *t;
	char shm[PATH_MAX + 8];

	make_token(f, true);
	f->t->ops->release(f->t);
	f->t = NULL;
	snprintf(shm, sizeof(shm), "%s-shm", f->path);
	t = open_again(f);

	/* Written just now: never kept.  Without its log index the reader
	 * cannot read it, so the token's own connection makes it again. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(t->ops->status(t, &st), CKR_OK);
		t->ops->rest(t);
	}
	assert_int_equal(unlink(shm), 0);
	assert_int_equal(t->ops->status(t, &st), CKR_OK);
	t->ops->rest(t);
	assert_true(aux_exists(f->path, "-shm"));

	/* Long unwritten: kept, and the file is not even opened. */
	age_file(f->path, "");
	age_file(f->path, "-wal");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(t->ops->status(t, &st), CKR_OK);
		t->ops->rest(t);
	}
	assert_int_equal(unlink(shm), 0);
	assert_int_equal(t->ops->status(t, &st), CKR_OK);
	assert_memory_equal(st.label, "test card                       ", 32);
	t->ops->rest(t);
	assert_false(aux_exists(f->path, "-shm"));

	/* Another process's change shows at once. */
	raw_exec_in_log(f->path, "UPDATE meta SET value = X'6e6577'||zeroblob(29) WHERE key = 'label';"
	                         "UPDATE meta SET value = 1 WHERE key = 'user_tries_left'");
	assert_int_equal(t->ops->status(t, &st), CKR_OK);
	assert_memory_equal(st.label, "new", 3);
	assert_true(st.flags & CKF_USER_PIN_FINAL_TRY);
	t->ops->rest(t);
	/* So does one that went around the log. */
	age_file(f->path, "");
	age_file(f->path, "-wal");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(t->ops->status(t, &st), CKR_OK);
		t->ops->rest(t);
	}
	assert_int_equal(raw_exec(f->path, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;"
	                                   "UPDATE meta SET value = 0 WHERE key = 'so_tries_left';"
	                                   "PRAGMA journal_mode=WAL"),
	                 SQLITE_OK);
	assert_int_equal(t->ops->status(t, &st), CKR_OK);
	assert_true(st.flags & CKF_SO_PIN_LOCKED);
	t->ops->rest(t);
	t->ops->release(t);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static CK_RV count_sink(void *ctx, const cid_place *pl)
{
	(void)pl;
	(*(size_t *)ctx)++;
	return CKR_OK;
}

/* Many tokens under a small descriptor limit: listing them (scan, open,
 * status, rest) works, and a listed token holds no descriptor. */
#define MANY_TOKENS 300
static void test_many_tokens_few_descriptors(void **state)
{
	fx *f = *state;
	static cid_token *toks[MANY_TOKENS];
	struct rlimit old, low;
	cid_token_status st;
	size_t places_seen = 0;
	char cmd[2 * PATH_MAX];
	int before;

	make_token(f, false);
	f->t->ops->release(f->t);
	f->t = NULL;
	for (int i = 1; i < MANY_TOKENS; i++) {
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s/%016x.token'", f->path, f->dir, 0x100 + i);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	before = open_fds();
	assert_int_equal(f->p->ops->scan(f->p, count_sink, &places_seen), CKR_OK);
	assert_int_equal(places_seen, MANY_TOKENS + 1);
	{
		DIR *d = opendir(f->dir);
		struct dirent *de;
		int n = 0;

		assert_non_null(d);
		while ((de = readdir(d)) != NULL && n < MANY_TOKENS) {
			size_t l = strlen(de->d_name);

			if (de->d_name[0] == '.' || l < 7 || strcmp(de->d_name + l - 6, ".token") != 0)
				continue;
			assert_int_equal(f->p->ops->open(f->p, de->d_name, &toks[n]), CKR_OK);
			assert_int_equal(toks[n]->ops->status(toks[n], &st), CKR_OK);
			assert_true(st.flags & CKF_TOKEN_INITIALIZED);
			assert_non_null(toks[n]->ops->rest);
			toks[n]->ops->rest(toks[n]);
			n++;
		}
		closedir(d);
		assert_int_equal(n, MANY_TOKENS);
	}
	/* Every token is still open as the front keeps it, and none holds a
	 * descriptor. */
	assert_int_equal(open_fds(), before);
	/* Out of descriptors is said as such, not as a removed token. */
	{
		int fill[64], nfill = 0, fd;

		while (nfill < 64 && (fd = open("/dev/null", O_RDONLY)) >= 0)
			fill[nfill++] = fd;
		assert_true(nfill < 64);
		assert_int_equal(toks[1]->ops->status(toks[1], &st), CKR_HOST_MEMORY);
		/* A scan that cannot look at a new file fails, and does not
		 * take the file for one that is not a token. */
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s/%016x.token'", f->path, f->dir, 0x100 + MANY_TOKENS);
		while (nfill > 0)
			close(fill[--nfill]);
		assert_int_equal(system(cmd), 0);
		while (nfill < 64 && (fd = open("/dev/null", O_RDONLY)) >= 0)
			fill[nfill++] = fd;
		/* One left, for the directory. */
		close(fill[--nfill]);
		places_seen = 0;
		assert_int_equal(f->p->ops->scan(f->p, count_sink, &places_seen), CKR_HOST_MEMORY);
		while (nfill > 0)
			close(fill[--nfill]);
		places_seen = 0;
		assert_int_equal(f->p->ops->scan(f->p, count_sink, &places_seen), CKR_OK);
		assert_int_equal(places_seen, MANY_TOKENS + 2);
	}
	/* A rested token opens its file again when used. */
	assert_int_equal(toks[0]->ops->status(toks[0], &st), CKR_OK);
	for (int i = 0; i < MANY_TOKENS; i++)
		toks[i]->ops->release(toks[i]);
	assert_int_equal(open_fds(), before);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_provider_scan_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_across_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_tokens_few_descriptors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resting_status_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resting_status_sees_other_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resting_status_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resting_status_kept_while_unchanged, setup, teardown),
	};

	cid_log_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
