/* A host that exports its own SQLite, as Firefox does with libmozsqlite3.
 *
 * This program is linked with -rdynamic and defines every sqlite3_*
 * function careid's soft token uses; each one only counts the call and
 * fails.  A module that bound its SQLite calls to the process's global
 * scope would land here (and, half in one SQLite and half in another,
 * crash).  careid keeps its own copy local, so the soft token must work
 * end to end and the host's functions must never run. */
#include <stdatomic.h>
#include <string.h>

#include <sqlite3.h>

#include "harness.h"

static atomic_int host_calls;

/* The stand-ins ignore their arguments: they only have to be found. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define HOST_FN(ret, name, fail, ...) \
	ret name(__VA_ARGS__)          \
	{                              \
		atomic_fetch_add(&host_calls, 1); \
		return fail;           \
	}

HOST_FN(int, sqlite3_bind_blob, SQLITE_MISUSE, sqlite3_stmt *s, int i, const void *v, int n, void (*d)(void *))
HOST_FN(int, sqlite3_bind_int, SQLITE_MISUSE, sqlite3_stmt *s, int i, int v)
HOST_FN(int, sqlite3_bind_int64, SQLITE_MISUSE, sqlite3_stmt *s, int i, sqlite3_int64 v)
HOST_FN(int, sqlite3_bind_null, SQLITE_MISUSE, sqlite3_stmt *s, int i)
HOST_FN(int, sqlite3_bind_text, SQLITE_MISUSE, sqlite3_stmt *s, int i, const char *v, int n, void (*d)(void *))
HOST_FN(int, sqlite3_busy_timeout, SQLITE_MISUSE, sqlite3 *db, int ms)
HOST_FN(int, sqlite3_close, SQLITE_MISUSE, sqlite3 *db)
HOST_FN(int, sqlite3_close_v2, SQLITE_MISUSE, sqlite3 *db)
HOST_FN(const void *, sqlite3_column_blob, NULL, sqlite3_stmt *s, int i)
HOST_FN(int, sqlite3_column_bytes, 0, sqlite3_stmt *s, int i)
HOST_FN(sqlite3_int64, sqlite3_column_int64, 0, sqlite3_stmt *s, int i)
HOST_FN(const unsigned char *, sqlite3_column_text, NULL, sqlite3_stmt *s, int i)
HOST_FN(int, sqlite3_column_type, SQLITE_NULL, sqlite3_stmt *s, int i)
HOST_FN(const char *, sqlite3_errmsg, "host SQLite", sqlite3 *db)
HOST_FN(const char *, sqlite3_errstr, "host SQLite", int rc)
HOST_FN(int, sqlite3_exec, SQLITE_MISUSE, sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
        void *arg, char **err)
HOST_FN(int, sqlite3_extended_result_codes, SQLITE_MISUSE, sqlite3 *db, int on)
HOST_FN(int, sqlite3_finalize, SQLITE_MISUSE, sqlite3_stmt *s)
HOST_FN(int, sqlite3_get_autocommit, 0, sqlite3 *db)
HOST_FN(sqlite3_int64, sqlite3_last_insert_rowid, 0, sqlite3 *db)
HOST_FN(int, sqlite3_open_v2, SQLITE_CANTOPEN, const char *f, sqlite3 **db, int flags, const char *vfs)
HOST_FN(int, sqlite3_prepare_v2, SQLITE_MISUSE, sqlite3 *db, const char *sql, int n, sqlite3_stmt **s,
        const char **tail)
HOST_FN(int, sqlite3_step, SQLITE_MISUSE, sqlite3_stmt *s)
HOST_FN(int, sqlite3_wal_checkpoint_v2, SQLITE_MISUSE, sqlite3 *db, const char *name, int mode, int *log,
        int *ckpt)

/* Makes a token, a key pair and a certificate-free object, signs, then
 * reads everything back through a fresh C_Initialize. */
static void test_soft_token_in_sqlite_host(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "sqlite-host");
	CK_SESSION_HANDLE s = th_user_session(env, slot);
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_BYTE sig[128];
	CK_ULONG siglen = sizeof(sig);
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE find[] = { { CKA_CLASS, &cls, sizeof(cls) } };

	th_keypair(env, s, "p256", "guest", &pub, &priv);
	CK(env->f->C_SignInit(s, &m, priv));
	CK(env->f->C_Sign(s, (CK_BYTE_PTR)"data", 4, sig, &siglen));
	CK(env->f->C_Finalize(NULL));
	CK(env->f->C_Initialize(NULL));
	s = th_user_session(env, th_slot_of(env, "sqlite-host"));
	priv = th_find_one(env, s, find, 1);
	CK(env->f->C_SignInit(s, &m, priv));
	siglen = sizeof(sig);
	CK(env->f->C_Sign(s, (CK_BYTE_PTR)"data", 4, sig, &siglen));
	CK(env->f->C_CloseSession(s));
	assert_int_equal(0, atomic_load(&host_calls));
}

/* The host's functions are reachable by name: were careid to look them up
 * in the global scope, it would find them.  (Proves the test can fail.) */
static void test_host_sqlite_is_visible(void **state)
{
	sqlite3 *db = NULL;
	int before = atomic_load(&host_calls);

	(void)state;
	assert_int_equal(SQLITE_CANTOPEN, sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL));
	assert_int_equal(before + 1, atomic_load(&host_calls));
	atomic_fetch_sub(&host_calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_sqlite_is_visible, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_soft_token_in_sqlite_host, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
