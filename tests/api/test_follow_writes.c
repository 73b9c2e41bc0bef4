/* A search follows what another process committed to the token file,
 * with that process's SQLite writing behind the module's back: the next
 * search after the commit returned sees it, a search with nothing
 * committed since still answers, and a change that cannot be read makes
 * the search fail rather than answer from what was seen before. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"

/* The one token file in the test's token directory. */
static void token_file(th_env *env, char *out, size_t n)
{
	char dir[300];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "%s/tokens", env->dir);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l > 6 && strcmp(e->d_name + l - 6, ".token") == 0) {
			snprintf(out, n, "%s/%s", dir, e->d_name);
			found++;
		}
	}
	closedir(d);
	assert_int_equal(found, 1);
}

/* Runs sql on the file in a child process, as another program would: two
 * SQLite copies in one process (this one's and the module's) would drop
 * each other's file locks. */
static void write_elsewhere(const char *path, const char *sql)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db = NULL;
		int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);

		if (rc == SQLITE_OK)
			sqlite3_busy_timeout(db, 5000);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(rc == SQLITE_OK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(0, WEXITSTATUS(status));
}

static CK_RV find_label(th_env *env, CK_SESSION_HANDLE s, const char *label, CK_OBJECT_HANDLE *h, CK_ULONG *n)
{
	CK_ATTRIBUTE t = { CKA_LABEL, (void *)label, strlen(label) };
	CK_RV rv = env->f->C_FindObjectsInit(s, &t, 1);

	*n = 0;
	if (rv != CKR_OK)
		return rv;
	rv = env->f->C_FindObjects(s, h, 1, n);
	(void)env->f->C_FindObjectsFinal(s);
	return rv;
}

static CK_OBJECT_HANDLE token_data(th_env *env, CK_SESSION_HANDLE s, const char *label)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &data, sizeof(data) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE h;

	assert_int_equal(CKR_OK, env->f->C_CreateObject(s, t, 4, &h));
	return h;
}

/* Another process renames the object (its row and the generation, as the
 * module writes them) and commits: the very next search sees it; then a
 * change whose tombstones cannot be read fails every search until they
 * can, and the object keeps its handle through all of it. */
static void test_commit_seen_and_read_failure(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "follow"));
	CK_OBJECT_HANDLE a = token_data(env, s, "a"), h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE lab = { CKA_LABEL, NULL, 0 };
	char path[600];
	CK_ULONG n = 0;

	token_file(env, path, sizeof(path));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(CKR_OK, find_label(env, s, "a", &h, &n));
		assert_int_equal(1, n);
		assert_int_equal(a, h);
	}
	/* No object write: nothing to see, searches answer as before. */
	write_elsewhere(path, "UPDATE meta SET value = value WHERE key = 'label'");
	assert_int_equal(CKR_OK, find_label(env, s, "a", &h, &n));
	assert_int_equal(1, n);
	/* The module's soft token stores a public object's attributes in the
	 * row's attrs blob: a copy of another object's row under a new id
	 * stands in for an object another process created. */
	write_elsewhere(path, "BEGIN IMMEDIATE;"
	                      "UPDATE meta SET value = value + 1 WHERE key = 'objects_generation';"
	                      "INSERT INTO objects (id, private, attrs, sealed, gen)"
	                      " SELECT id + 1000, private, attrs, sealed,"
	                      " (SELECT value FROM meta WHERE key = 'objects_generation')"
	                      " FROM objects WHERE id = (SELECT max(id) FROM objects);"
	                      "COMMIT;");
	assert_int_equal(CKR_OK, find_label(env, s, "a", &h, &n));
	assert_int_equal(1, n);
	{
		/* Both now: the copy is a second object labelled "a". */
		CK_ATTRIBUTE t = { CKA_LABEL, "a", 1 };
		CK_OBJECT_HANDLE two[3];

		assert_int_equal(CKR_OK, env->f->C_FindObjectsInit(s, &t, 1));
		assert_int_equal(CKR_OK, env->f->C_FindObjects(s, two, 3, &n));
		assert_int_equal(CKR_OK, env->f->C_FindObjectsFinal(s));
		assert_int_equal(2, n);
	}
	/* A change that cannot be read: the search fails, every time. */
	write_elsewhere(path, "ALTER TABLE gone RENAME TO gone_away;"
	                      "UPDATE meta SET value = value + 1 WHERE key = 'objects_generation';");
	for (int i = 0; i < 2; i++)
		assert_int_equal(CKR_DEVICE_ERROR, find_label(env, s, "a", &h, &n));
	write_elsewhere(path, "ALTER TABLE gone_away RENAME TO gone;");
	assert_int_equal(CKR_OK, find_label(env, s, "a", &h, &n));
	assert_int_equal(1, n);
	assert_int_equal(CKR_OK, env->f->C_GetAttributeValue(s, a, &lab, 1));
	assert_int_equal(1, lab.ulValueLen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_seen_and_read_failure, th_setup, th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
