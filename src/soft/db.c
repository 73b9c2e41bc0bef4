/* The token file: one SQLite database, shared safely by every process that
 * opens it (WAL, busy timeout, short write transactions). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "soft/soft_int.h"

CK_RV soft_db_rv(sqlite3 *db, int rc, const char *what)
{
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int e = db != NULL && (rc & 0xff) == SQLITE_CANTOPEN ? sqlite3_system_errno(db) : 0;

	if (e == EMFILE || e == ENFILE) {
		CID_ERROR("%s: out of file descriptors (%s)", what, strerror(e));
		return CKR_HOST_MEMORY;
	}

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return CKR_OK;
	case SQLITE_NOMEM:
		CID_ERROR("%s: out of memory", what);
		return CKR_HOST_MEMORY;
	case SQLITE_FULL:
		CID_ERROR("%s: disk full (%s)", what, msg);
		return CKR_DEVICE_MEMORY;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		CID_ERROR("%s: token file busy in another process (%s)", what, msg);
		return CKR_DEVICE_ERROR;
	default:
		CID_ERROR("%s: token file error: %s", what, msg);
		return CKR_DEVICE_ERROR;
	}
}

static void setup_once(void)
{
	/* SQLite is this module's own copy (linked in, every symbol local),
	 * so its process-wide settings are ours to choose.  Memory
	 * statistics, which nothing here reads, cost a global mutex on every
	 * allocation; a listing makes thousands.  Too late (another part of
	 * this module used SQLite first) is harmless. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

void soft_db_setup(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, setup_once);
}

CK_RV soft_db_exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? CKR_OK : soft_db_rv(db, rc, sql);
}

CK_RV soft_db_open(const char *path, bool readonly, sqlite3 **out)
{
	/* Never follow a symlink planted in the token directory. */
	int flags = SQLITE_OPEN_FULLMUTEX;
	sqlite3 *db = NULL;
	int rc;

#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	flags |= readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		int e = db != NULL ? sqlite3_system_errno(db) : 0;

		/* Out of descriptors is the host's shortage, not a removed token. */
		if (e == EMFILE || e == ENFILE) {
			CID_ERROR("%s: cannot open: out of file descriptors (%s)", path, strerror(e));
			sqlite3_close(db);
			return CKR_HOST_MEMORY;
		}
		CID_WARN("%s: cannot open (%s)", path, db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return (rc & 0xff) == SQLITE_NOMEM ? CKR_HOST_MEMORY : CKR_TOKEN_NOT_PRESENT;
	}
	sqlite3_busy_timeout(db, SOFT_BUSY_TIMEOUT_MS);
	/* The log and its index stay beside the token when the last connection
	 * closes: otherwise every open of a resting token would create both
	 * and every close delete them again. */
	int persist = 1;
	(void)sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	sqlite3_extended_result_codes(db, 1);
	/* FULL: every commit (the try counter above all) reaches the disk
	 * before the call returns.  secure_delete: superseded key wraps and
	 * destroyed objects do not survive in free pages.  The first statement
	 * to read the file is here, so this is where a damaged one shows. */
	rc = sqlite3_exec(db, "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA trusted_schema=OFF;",
	                  NULL, NULL, NULL);
	if (rc != SQLITE_OK && (sqlite3_system_errno(db) == EMFILE || sqlite3_system_errno(db) == ENFILE)) {
		CID_ERROR("%s: cannot open its log: out of file descriptors", path);
		sqlite3_close(db);
		return CKR_HOST_MEMORY;
	}
	if (rc != SQLITE_OK) {
		CID_WARN("%s: unreadable token file (%s)", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return (rc & 0xff) == SQLITE_NOMEM ? CKR_HOST_MEMORY : CKR_TOKEN_NOT_RECOGNIZED;
	}
	*out = db;
	return CKR_OK;
}

bool soft_schema_known(int64_t v)
{
	return v >= SOFT_SCHEMA_MIN && v <= SOFT_SCHEMA_VERSION;
}

bool soft_db_short_of(sqlite3 *db, int rc, const char *path)
{
	int e = (rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR ? sqlite3_system_errno(db) : 0;

	if (e == EMFILE || e == ENFILE) {
		CID_ERROR("%s: cannot open: out of file descriptors (%s)", path, strerror(e));
		return true;
	}
	if ((rc & 0xff) == SQLITE_NOMEM) {
		CID_ERROR("%s: out of memory", path);
		return true;
	}
	return false;
}

/* The path as a file: URI, every byte that could mean something there
 * escaped; query is appended as it is. */
static char *file_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path), q = strlen(query);
	char *u = malloc(5 + 3 * n + q + 1), *w = u;

	if (u == NULL)
		return NULL;
	memcpy(w, "file:", 5);
	w += 5;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
		    c == '.' || c == '_' || c == '-') {
			*w++ = (char)c;
		} else {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	memcpy(w, query, q + 1);
	return u;
}

CK_RV soft_db_open_reader(const char *path, sqlite3 **out)
{
	/* NOMUTEX: the connection lives for one call in one thread.
	 * readonly_shm: the log index is mapped read-only, and when no other
	 * connection keeps it, SQLite builds it in this process's memory from
	 * the log instead of rewriting the file. */
	int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
	char *uri = file_uri(path, "?readonly_shm=1");
	sqlite3 *db = NULL;
	CK_RV rv = CKR_OK;
	int rc;

#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	if (uri == NULL)
		return CKR_HOST_MEMORY;
	rc = sqlite3_open_v2(uri, &db, flags, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		rv = db == NULL || soft_db_short_of(db, rc, path) ? CKR_HOST_MEMORY : CKR_TOKEN_NOT_RECOGNIZED;
		sqlite3_close(db);
		return rv;
	}
	sqlite3_busy_timeout(db, SOFT_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db, 1);
	(void)sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	*out = db;
	return CKR_OK;
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

CK_RV soft_db_check_header(sqlite3 *db, const char *path, int *read_rc)
{
	int64_t app = 0, version = 0;
	int rc = pragma_int(db, "PRAGMA application_id", &app);

	if (rc == SQLITE_OK)
		rc = pragma_int(db, "PRAGMA user_version", &version);
	if (read_rc != NULL)
		*read_rc = rc;
	if (rc != SQLITE_OK) {
		if (read_rc == NULL && soft_db_rv(db, rc, path) == CKR_HOST_MEMORY)
			return CKR_HOST_MEMORY;
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	if (app != SOFT_APPLICATION_ID) {
		CID_WARN("%s is not a careid token file", path);
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	if (!soft_schema_known(version)) {
		CID_ERROR("%s has token schema %lld, this module reads %d to %d", path, (long long)version,
		          SOFT_SCHEMA_MIN, SOFT_SCHEMA_VERSION);
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	return CKR_OK;
}

bool soft_serial_take(const void *v, size_t len, char out[SOFT_SERIAL_LEN + 1])
{
	if (v == NULL || len != SOFT_SERIAL_LEN || memchr(v, 0, len) != NULL)
		return false;
	memcpy(out, v, SOFT_SERIAL_LEN);
	out[SOFT_SERIAL_LEN] = '\0';
	return true;
}

CK_RV soft_db_check(sqlite3 *db, const char *path, char serial[SOFT_SERIAL_LEN + 1])
{
	uint8_t *s = NULL;
	size_t slen = 0;
	CK_RV rv = soft_db_check_header(db, path, NULL);

	if (rv != CKR_OK)
		return rv;
	rv = soft_meta_blob(db, SOFT_META_SERIAL, &s, &slen);
	if (rv != CKR_OK)
		return CKR_TOKEN_NOT_RECOGNIZED;
	if (!soft_serial_take(s, slen, serial)) {
		CID_ERROR("%s: token serial missing or malformed", path);
		rv = CKR_TOKEN_NOT_RECOGNIZED;
	}
	free(s);
	return rv;
}

CK_RV soft_db_create_schema(sqlite3 *db)
{
	/* AUTOINCREMENT: an object id is never reused, so that a handle cached
	 * by another process can never come to name a different object.  The
	 * triggers make the audit trail append-only for this module; someone
	 * editing the file directly can drop them, which the hash chain then
	 * reveals. */
	static const char schema[] =
		"PRAGMA application_id=" "1128875092" ";"
		"PRAGMA user_version=2;"
		"CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value NOT NULL);"
		"CREATE TABLE objects (id INTEGER PRIMARY KEY AUTOINCREMENT,"
		" private INTEGER NOT NULL CHECK (private IN (0, 1)),"
		" attrs BLOB, sealed BLOB, gen INTEGER NOT NULL DEFAULT 0);"
		"CREATE INDEX objects_by_gen ON objects (gen);"
		"CREATE TABLE gone (gen INTEGER PRIMARY KEY, id INTEGER NOT NULL);"
		"CREATE TABLE audit (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
		" event TEXT NOT NULL, detail TEXT NOT NULL, hash BLOB NOT NULL);"
		"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
		" BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;"
		"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
		" BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;";
	_Static_assert(SOFT_APPLICATION_ID == 1128875092, "application id literal");
	_Static_assert(SOFT_SCHEMA_VERSION == 2, "schema version literal");

	return soft_db_exec(db, schema);
}

CK_RV soft_tx_begin(sqlite3 *db, bool write)
{
	/* IMMEDIATE takes the write lock up front: a read-modify-write (the
	 * try counter) can then never be interleaved with another process's. */
	return soft_db_exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

CK_RV soft_tx_commit(sqlite3 *db)
{
	CK_RV rv = soft_db_exec(db, "COMMIT");

	if (rv != CKR_OK)
		soft_tx_rollback(db);
	return rv;
}

void soft_tx_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

void soft_db_flush(sqlite3 *db)
{
	int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	if (rc != SQLITE_OK)
		CID_INFO("log not emptied yet (another process is reading): %s", sqlite3_errstr(rc));
}

static int meta_select(sqlite3 *db, const char *key, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(*st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(*st);
	return rc;
}

CK_RV soft_meta_int(sqlite3 *db, const char *key, int64_t *out, bool *found)
{
	sqlite3_stmt *st = NULL;
	int rc = meta_select(db, key, &st);
	CK_RV rv = CKR_OK;

	*found = false;
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) {
			CID_ERROR("token meta value %s is not an integer", key);
			rv = CKR_DEVICE_ERROR;
		} else {
			*out = sqlite3_column_int64(st, 0);
			*found = true;
		}
	} else if (rc != SQLITE_DONE) {
		rv = soft_db_rv(db, rc, key);
	}
	sqlite3_finalize(st);
	return rv;
}

CK_RV soft_meta_int_req(sqlite3 *db, const char *key, int64_t *out)
{
	bool found;
	CK_RV rv = soft_meta_int(db, key, out, &found);

	if (rv == CKR_OK && !found) {
		CID_ERROR("token meta value %s is missing", key);
		rv = CKR_DEVICE_ERROR;
	}
	return rv;
}

CK_RV soft_meta_blob(sqlite3 *db, const char *key, uint8_t **out, size_t *len)
{
	sqlite3_stmt *st = NULL;
	int rc = meta_select(db, key, &st);
	CK_RV rv = CKR_OK;

	*out = NULL;
	*len = 0;
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);

		*out = cid_memdup(p, (size_t)n);
		if (*out == NULL)
			rv = CKR_HOST_MEMORY;
		else
			*len = (size_t)n;
	} else if (rc != SQLITE_DONE) {
		rv = soft_db_rv(db, rc, key);
	}
	sqlite3_finalize(st);
	return rv;
}

static CK_RV meta_put(sqlite3 *db, const char *key, int type, int64_t i, const void *p, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", -1,
	                            &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		if (type == SQLITE_INTEGER)
			rc = sqlite3_bind_int64(st, 2, i);
		else if (type == SQLITE_TEXT)
			rc = sqlite3_bind_text(st, 2, p, (int)len, SQLITE_STATIC);
		else
			rc = sqlite3_bind_blob(st, 2, len ? p : "", (int)len, SQLITE_STATIC);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CKR_OK : soft_db_rv(db, rc, key);
}

CK_RV soft_meta_set_int(sqlite3 *db, const char *key, int64_t v)
{
	return meta_put(db, key, SQLITE_INTEGER, v, NULL, 0);
}

CK_RV soft_meta_set_blob(sqlite3 *db, const char *key, const void *v, size_t len)
{
	return meta_put(db, key, SQLITE_BLOB, 0, v, len);
}

CK_RV soft_meta_set_text(sqlite3 *db, const char *key, const char *v)
{
	return meta_put(db, key, SQLITE_TEXT, 0, v, strlen(v));
}

CK_RV soft_meta_del(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "DELETE FROM meta WHERE key = ?1", -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CKR_OK : soft_db_rv(db, rc, key);
}

CK_RV soft_meta_bump_generation(sqlite3 *db, int64_t *old_gen)
{
	int64_t g = 0;
	bool found;
	CK_RV rv = soft_meta_int(db, SOFT_META_OBJECTS_GEN, &g, &found);

	if (rv != CKR_OK)
		return rv;
	*old_gen = g;
	return soft_meta_set_int(db, SOFT_META_OBJECTS_GEN, g + 1);
}
