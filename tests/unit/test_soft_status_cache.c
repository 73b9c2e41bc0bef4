/* The status cache beside the soft tokens (src/soft/status_cache.c): a
 * listing in a new process reads it instead of every token's database,
 * and it must never answer for a token that changed since, nor be taken
 * when damaged or foreign.  Each "process" here is a provider of its own,
 * made and released around one listing, as C_Initialize and C_Finalize
 * make and release it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/log.h"
#include "policy/policy.h"
#include "soft/soft_int.h"
#include "soft_fixture.h"

/* Databases opened, by the module or by the test (linked with
 * --wrap=sqlite3_open_v2). */
static unsigned opened;

int __real_sqlite3_open_v2(const char *name, sqlite3 **db, int flags, const char *vfs);
int __wrap_sqlite3_open_v2(const char *name, sqlite3 **db, int flags, const char *vfs);
int __wrap_sqlite3_open_v2(const char *name, sqlite3 **db, int flags, const char *vfs)
{
	opened++;
	return __real_sqlite3_open_v2(name, db, flags, vfs);
}

static CK_RV count_sink(void *ctx, const cid_place *pl)
{
	(void)pl;
	(*(size_t *)ctx)++;
	return CKR_OK;
}

static void cache_path(const fx *f, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", f->dir, SOFT_STATUS_CACHE_NAME);
}

static bool exists(const char *path, const char *suffix)
{
	char p[PATH_MAX + 8];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &sb) == 0;
}

/* File times far in the past, as a token left alone for years has. */
static void age(const char *path)
{
	static const char *const suffix[] = { "", "-wal" };
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char p[PATH_MAX + 8];

	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
	}
}

/* One listing as a new process makes it: scan, the token opened, its
 * status, everything released.  *through_sqlite: whether a database was
 * opened for it. */
static CK_RV list_as_new_process(fx *f, const char *key, cid_token_status *st, bool *through_sqlite)
{
	cid_provider *p = NULL;
	cid_token *t = NULL;
	size_t n = 0;
	unsigned before = opened;
	CK_RV rv;

	assert_int_equal(cid_soft_provider_new(f->dir, TEST_KDF_COST, &p), CKR_OK);
	assert_int_equal(p->ops->scan(p, count_sink, &n), CKR_OK);
	rv = p->ops->open(p, key, &t);
	if (rv == CKR_OK) {
		rv = t->ops->status(t, st);
		t->ops->rest(t);
		t->ops->release(t);
	}
	p->ops->release(p);
	*through_sqlite = opened != before;
	return rv;
}

static void expect_label(const cid_token_status *st, const char *label)
{
	char want[32];

	memset(want, ' ', sizeof(want));
	memcpy(want, label, strlen(label));
	assert_memory_equal(st->label, want, 32);
}

/* A token made, closed, and left alone: its next listing is kept. */
static void resting_token(fx *f)
{
	make_token(f, true);
	f->t->ops->release(f->t);
	f->t = NULL;
	age(f->path);
}

/* A second token, used once (which gives it its log) and left alone. */
static char *other_token(fx *f, const char *label_text, char *path, size_t n)
{
	cid_token *other = NULL;
	cid_token_status st;
	CK_UTF8CHAR label[32];
	char *key = NULL;

	label32(label, label_text);
	assert_int_equal(f->p->ops->create(f->p, "new", (const CK_UTF8CHAR *)SO_PIN, strlen(SO_PIN), label, &key,
	                                   &other),
	                 CKR_OK);
	assert_int_equal(other->ops->status(other, &st), CKR_OK);
	other->ops->release(other);
	snprintf(path, n, "%s/%s", f->dir, key);
	age(path);
	return key;
}

/* Replaces the only occurrence of from in the file by to (same length),
 * in place: the same inode, the same size. */
static void patch_file(const char *path, const char *from, const char *to)
{
	size_t n = strlen(from), found = 0;
	struct stat sb;
	uint8_t *p;
	int fd;

	assert_int_equal(strlen(to), n);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	p = malloc((size_t)sb.st_size);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, (size_t)sb.st_size, 0), sb.st_size);
	for (size_t i = 0; i + n <= (size_t)sb.st_size; i++) {
		if (memcmp(p + i, from, n) == 0) {
			assert_int_equal(pwrite(fd, to, n, (off_t)i), (ssize_t)n);
			found++;
		}
	}
	assert_int_equal(found, 1);
	free(p);
	close(fd);
}

/* Log lines of the module while fn runs, in buf. */
static void start_log_capture(const char *file)
{
	(void)unlink(file);
	setenv("CAREID_LOG_FILE", file, 1);
	setenv("CAREID_LOG", "warn", 1);
	cid_log_setup();
}

static bool stop_log_capture(const char *file, const char *needle)
{
	char text[8192];
	size_t n = 0;
	FILE *fp;

	unsetenv("CAREID_LOG_FILE");
	setenv("CAREID_LOG", "error", 1);
	cid_log_setup();
	fp = fopen(file, "r");
	if (fp == NULL)
		return false;
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	return strstr(text, needle) != NULL;
}

/* Nothing is written by C_Initialize or a scan; the listing leaves the
 * cache, 0600, when its provider goes; the next process takes its
 * status from there, without opening the token's database. */
static void test_cache_written_by_listing_then_used(void **state)
{
	fx *f = *state;
	cid_provider *p = NULL;
	cid_token *t = NULL;
	cid_token_status st;
	char cache[PATH_MAX];
	struct stat sb;
	size_t n = 0;
	bool sql;

	resting_token(f);
	cache_path(f, cache, sizeof(cache));
	assert_int_equal(cid_soft_provider_new(f->dir, TEST_KDF_COST, &p), CKR_OK);
	assert_int_equal(p->ops->scan(p, count_sink, &n), CKR_OK);
	assert_int_equal(n, 2);
	assert_false(exists(cache, ""));
	assert_int_equal(p->ops->open(p, f->key, &t), CKR_OK);
	assert_int_equal(t->ops->status(t, &st), CKR_OK);
	t->ops->rest(t);
	t->ops->release(t);
	assert_false(exists(cache, ""));
	p->ops->release(p);
	assert_int_equal(stat(cache, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_uid, geteuid());

	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_false(sql);
	expect_label(&st, "test card");
	assert_memory_equal(st.serial, f->key, SOFT_SERIAL_LEN);
	assert_int_equal(st.flags, CKF_TOKEN_INITIALIZED | CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED);

	/* A listing that learnt nothing new does not write it again. */
	{
		struct stat again;

		assert_int_equal(stat(cache, &again), 0);
		assert_int_equal(again.st_ino, sb.st_ino);
		assert_int_equal(again.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
	}
}

/* A token written a moment ago is never kept: file times move in ticks. */
static void test_recent_write_not_kept(void **state)
{
	fx *f = *state;
	cid_token_status st;
	bool sql;

	make_token(f, true);
	f->t->ops->release(f->t);
	f->t = NULL;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
		assert_true(sql);
		expect_label(&st, "test card");
	}
}

/* Another process changes the token between two listings: the next
 * listing reads the change, however the change was made. */
static void test_cache_sees_other_writers(void **state)
{
	fx *f = *state;
	cid_token_status st;
	bool sql;

	resting_token(f);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_false(sql);
	assert_false(st.flags & CKF_USER_PIN_FINAL_TRY);

	/* A commit by another process, left in the log. */
	{
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = 1 WHERE key = 'user_tries_left'", NULL,
		                              NULL, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_close(db), SQLITE_OK);
	}
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(sql);
	assert_true(st.flags & CKF_USER_PIN_FINAL_TRY);
	/* Its times set back to exactly what they were: the log grew. */
	age(f->path);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(st.flags & CKF_USER_PIN_FINAL_TRY);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_false(sql);
	assert_true(st.flags & CKF_USER_PIN_FINAL_TRY);

	/* The log emptied into the file, then the file changed in place:
	 * same inode, same size, its time set back; only its ctime says. */
	{
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_close(db), SQLITE_OK);
	}
	age(f->path);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_false(sql);
	expect_label(&st, "test card");
	patch_file(f->path, "test card      ", "evil card      ");
	age(f->path);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(sql);
	expect_label(&st, "evil card");
}

/* Another token's file in this one's place: its own status, never the
 * one kept for the file that was there. */
static void test_cache_replaced_token(void **state)
{
	fx *f = *state;
	cid_token_status st;
	char *other_key = NULL, other_path[PATH_MAX], cmd[5 * PATH_MAX];
	bool sql;

	resting_token(f);
	other_key = other_token(f, "other card", other_path, sizeof(other_path));
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_false(sql);
	expect_label(&st, "test card");

	/* Copied over it with its times: the same inode, the same times. */
	snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s' && cp -p '%s-wal' '%s-wal'", other_path, f->path, other_path,
	         f->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(sql);
	expect_label(&st, "other card");
	assert_memory_equal(st.serial, other_key, SOFT_SERIAL_LEN);

	/* Renamed over it. */
	age(f->path);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_false(sql);
	free(other_key);
	other_key = other_token(f, "third card", other_path, sizeof(other_path));
	snprintf(cmd, sizeof(cmd), "mv '%s' '%s' && mv '%s-wal' '%s-wal'", other_path, f->path, other_path, f->path);
	assert_int_equal(system(cmd), 0);
	age(f->path);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(sql);
	expect_label(&st, "third card");
	assert_memory_equal(st.serial, other_key, SOFT_SERIAL_LEN);
	free(other_key);
}

/* A cache that is damaged, foreign or not a cache at all is ignored,
 * with a log line; the next listing that reads a status replaces it. */
static void test_cache_damaged_or_foreign(void **state)
{
	fx *f = *state;
	cid_token_status st;
	char cache[PATH_MAX], log[PATH_MAX + 16], cmd[3 * PATH_MAX];
	bool sql;

	resting_token(f);
	cache_path(f, cache, sizeof(cache));
	snprintf(log, sizeof(log), "%s/log.txt", f->root);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(exists(cache, ""));

	/* One byte of the label changed. */
	patch_file(cache, "test card", "evil card");
	start_log_capture(log);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(stop_log_capture(log, "status cache ignored (damaged)"));
	assert_true(sql);
	expect_label(&st, "test card");
	/* Replaced by that listing, and used again. */
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_false(sql);
	expect_label(&st, "test card");

	/* Cut short, as a crash while writing it may leave it. */
	assert_int_equal(truncate(cache, 100), 0);
	start_log_capture(log);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(stop_log_capture(log, "status cache ignored (damaged)"));
	assert_true(sql);
	expect_label(&st, "test card");

	/* Readable by others: not ours to trust. */
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_int_equal(chmod(cache, 0644), 0);
	start_log_capture(log);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(stop_log_capture(log, "status cache ignored (accessible to other users)"));
	assert_true(sql);

	/* Not a cache at all, or not a file. */
	assert_int_equal(unlink(cache), 0);
	{
		FILE *fp = fopen(cache, "w");

		assert_non_null(fp);
		fputs("a note that happens to bear this name, long enough to be read as a header....", fp);
		fclose(fp);
		assert_int_equal(chmod(cache, 0600), 0);
	}
	start_log_capture(log);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(stop_log_capture(log, "status cache ignored (not a status cache)"));
	assert_true(sql);
	expect_label(&st, "test card");
	assert_int_equal(unlink(cache), 0);
	assert_int_equal(symlink(f->path, cache), 0);
	start_log_capture(log);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(stop_log_capture(log, "status cache ignored"));
	assert_true(sql);
	/* The listing replaced the link by a cache; the token is untouched. */
	{
		struct stat sb;

		assert_int_equal(lstat(cache, &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
		assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
		assert_false(sql);
		expect_label(&st, "test card");
	}

	/* A cache copied along with its directory belongs to the first. */
	{
		char dir2[sizeof(f->root) + 8];
		char *saved = strdup(f->dir);

		assert_non_null(saved);
		snprintf(dir2, sizeof(dir2), "%s/copy", f->root);
		snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", f->dir, dir2);
		assert_int_equal(system(cmd), 0);
		snprintf(f->dir, sizeof(f->dir), "%s", dir2);
		start_log_capture(log);
		assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
		assert_true(stop_log_capture(log, "status cache ignored (made for another directory)"));
		assert_true(sql);
		expect_label(&st, "test card");
		snprintf(f->dir, sizeof(f->dir), "%s", saved);
		free(saved);
	}
}

/* Tokens gone from the directory leave the cache at its next write. */
static void test_cache_forgets_removed_tokens(void **state)
{
	fx *f = *state;
	cid_token_status st;
	char *other_key = NULL, other_path[PATH_MAX], cache[PATH_MAX];
	struct stat before, after;
	bool sql;

	resting_token(f);
	other_key = other_token(f, "other card", other_path, sizeof(other_path));
	cache_path(f, cache, sizeof(cache));
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_int_equal(list_as_new_process(f, other_key, &st, &sql), CKR_OK);
	assert_int_equal(stat(cache, &before), 0);
	assert_int_equal(unlink(other_path), 0);
	/* The first token changed, so the listing writes the cache again. */
	{
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = 2 WHERE key = 'user_tries_left'", NULL,
		                              NULL, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_close(db), SQLITE_OK);
	}
	age(f->path);
	assert_int_equal(list_as_new_process(f, f->key, &st, &sql), CKR_OK);
	assert_true(st.flags & CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(stat(cache, &after), 0);
	assert_true(after.st_size < before.st_size);
	free(other_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cache_written_by_listing_then_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recent_write_not_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_sees_other_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_replaced_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_damaged_or_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_forgets_removed_tokens, setup, teardown),
	};

	cid_log_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
