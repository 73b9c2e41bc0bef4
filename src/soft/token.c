/* One soft token: its operations table, status, and the writing of a new
 * token's initial state. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"
#include "policy/policy.h"
#include "soft/soft_int.h"

/* scrypt block size and parallelism: the usual interactive choice; only
 * the cost exponent is configurable. */
#define SOFT_KDF_R 8
#define SOFT_KDF_P 1

static void pad(void *dst, size_t n, const char *s)
{
	size_t l = strlen(s);

	memset(dst, ' ', n);
	memcpy(dst, s, l < n ? l : n);
}

void soft_label_text(const CK_UTF8CHAR label[32], char out[33])
{
	size_t n = 32;

	for (size_t i = 0; i < 32; i++)
		out[i] = label[i] >= 0x20 && label[i] < 0x7f && label[i] != '"' ? (char)label[i] : '?';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

const char *soft_token_name(const soft_token *t, char *out)
{
	uint8_t *label = NULL;
	size_t n = 0;

	/* Without its label (a damaged file, or a resting token with no file
	 * open) the serial still names it. */
	if (t->db != NULL)
		(void)soft_meta_blob(t->db, SOFT_META_LABEL, &label, &n);
	cid_token_name(out, label, n, t->serial, SOFT_SERIAL_LEN);
	free(label);
	return out;
}

/* One statement for every value a status needs (and the serial, which a
 * file opened only to be listed checks in the same snapshot).  The whole
 * table, a few dozen rows on one page, costs less to walk than a list of
 * wanted keys costs to compile. */
#define STATUS_SQL "SELECT key, value FROM meta"

static CK_RV meta_int_value(sqlite3_stmt *q, const char *key, int64_t *out)
{
	if (sqlite3_column_type(q, 1) != SQLITE_INTEGER) {
		CID_ERROR("token meta value %s is not an integer", key);
		return CKR_DEVICE_ERROR;
	}
	*out = sqlite3_column_int64(q, 1);
	return CKR_OK;
}

/* Inside the caller's read transaction.  *read_rc is SQLite's code for a
 * failure to read at all (then nothing is logged and the answer is
 * CKR_DEVICE_ERROR); a value found malformed is logged. */
static CK_RV read_status_meta(sqlite3 *db, soft_status_meta *m, int *read_rc)
{
	sqlite3_stmt *q = NULL;
	CK_RV rv = CKR_OK;
	int rc = sqlite3_prepare_v2(db, STATUS_SQL, -1, &q, NULL);

	memset(m, 0, sizeof(*m));
	while (rc == SQLITE_OK && rv == CKR_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(q, 0);

		rc = SQLITE_OK;
		if (key == NULL) {
			rc = SQLITE_NOMEM;
		} else if (strcmp(key, SOFT_META_LABEL) == 0) {
			const void *v = sqlite3_column_blob(q, 1);
			size_t n = (size_t)sqlite3_column_bytes(q, 1);

			m->label_len = n < sizeof(m->label) ? n : sizeof(m->label);
			if (m->label_len > 0)
				memcpy(m->label, v, m->label_len);
		} else if (strcmp(key, SOFT_META_SERIAL) == 0) {
			const void *v = sqlite3_column_blob(q, 1);

			m->have_serial = soft_serial_take(v, (size_t)sqlite3_column_bytes(q, 1), m->serial);
		} else if (strcmp(key, SOFT_META_USER_TRIES) == 0) {
			rv = meta_int_value(q, key, &m->user_tries);
			m->have_user_tries = true;
		} else if (strcmp(key, SOFT_META_SO_TRIES) == 0) {
			rv = meta_int_value(q, key, &m->so_tries);
			m->have_so_tries = true;
		} else if (strcmp(key, SOFT_META_USER_PIN_INIT) == 0) {
			rv = meta_int_value(q, key, &m->init);
		} else if (strcmp(key, SOFT_META_PIN_TO_CHANGE) == 0) {
			rv = meta_int_value(q, key, &m->change);
		}
	}
	sqlite3_finalize(q);
	*read_rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	if (rv == CKR_OK && *read_rc != SQLITE_OK)
		return CKR_DEVICE_ERROR;
	if (rv == CKR_OK && (!m->have_user_tries || !m->have_so_tries)) {
		CID_ERROR("token meta value %s is missing", m->have_user_tries ? SOFT_META_SO_TRIES : SOFT_META_USER_TRIES);
		rv = CKR_DEVICE_ERROR;
	}
	return rv;
}

static void fill_status(const char serial[SOFT_SERIAL_LEN + 1], const soft_status_meta *m, cid_token_status *st)
{
	int64_t user_tries = m->user_tries, so_tries = m->so_tries;

	memset(st, 0, sizeof(*st));
	memset(st->label, ' ', sizeof(st->label));
	memcpy(st->label, m->label, m->label_len);
	pad(st->manufacturer, sizeof(st->manufacturer), "careid");
	pad(st->model, sizeof(st->model), "virtual card");
	memcpy(st->serial, serial, sizeof(st->serial));

	user_tries = user_tries < 0 ? 0 : user_tries > CID_POLICY_PIN_MAX_TRIES ? CID_POLICY_PIN_MAX_TRIES : user_tries;
	so_tries = so_tries < 0 ? 0 : so_tries > CID_POLICY_SO_PIN_MAX_TRIES ? CID_POLICY_SO_PIN_MAX_TRIES : so_tries;
	st->flags = CKF_TOKEN_INITIALIZED | CKF_RNG | CKF_LOGIN_REQUIRED;
	if (m->init != 0)
		st->flags |= CKF_USER_PIN_INITIALIZED;
	if (m->change != 0)
		st->flags |= CKF_USER_PIN_TO_BE_CHANGED;
	st->flags |= cid_policy_pin_flags((unsigned)user_tries, CID_POLICY_PIN_MAX_TRIES, false);
	st->flags |= cid_policy_pin_flags((unsigned)so_tries, CID_POLICY_SO_PIN_MAX_TRIES, true);
	st->min_pin_len = CID_POLICY_PIN_MIN_LEN;
	st->max_pin_len = CID_POLICY_PIN_MAX_LEN;
	st->hw_version.major = 0;
	st->hw_version.minor = 1;
	st->fw_version.major = 0;
	st->fw_version.minor = SOFT_SCHEMA_VERSION;
}

/* Through the token's own connection, open because the token is in use. */
static CK_RV soft_status(cid_token *tok, cid_token_status *st)
{
	soft_token *t = (soft_token *)tok;
	soft_status_meta m;
	int rc = SQLITE_OK;
	CK_RV rv;

	if (st == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = soft_tx_begin(t->db, false);
	if (rv == CKR_OK) {
		rv = read_status_meta(t->db, &m, &rc);
		if (rc != SQLITE_OK)
			rv = soft_db_rv(t->db, rc, "reading the token status");
	}
	soft_tx_rollback(t->db);
	if (rv == CKR_OK)
		fill_status(t->serial, &m, st);
	return rv;
}

/* A file replaced under the same name is another token: this one is gone. */
static CK_RV same_token(soft_token *t, const char serial[SOFT_SERIAL_LEN + 1])
{
	if (t->serial[0] != '\0' && strcmp(serial, t->serial) != 0) {
		CID_WARN("%s now holds token %s, not %s: the token was removed", t->path, serial, t->serial);
		return CKR_DEVICE_REMOVED;
	}
	memcpy(t->serial, serial, SOFT_SERIAL_LEN + 1);
	return CKR_OK;
}

/* The status of a token not in use, through a connection of its own that
 * reads one snapshot (header check, serial and status together) and
 * writes nothing: a listing of a thousand tokens then neither rewrites a
 * thousand log indexes nor keeps a file open.  *fallback: this way is not
 * open to the file (a token never opened read-write has no log index
 * yet) and the caller should take the token's own connection. */
static CK_RV resting_status(soft_token *t, cid_token_status *st, bool *fallback, soft_status_meta *mp)
{
	sqlite3 *db = NULL;
	soft_status_meta m;
	int rc = SQLITE_OK;
	CK_RV rv;

	*fallback = false;
	rv = soft_db_open_reader(t->path, &db);
	if (rv != CKR_OK) {
		*fallback = rv != CKR_HOST_MEMORY;
		return rv;
	}
	rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rv = soft_db_check_header(db, t->path, &rc);
	if (rc == SQLITE_OK && rv == CKR_OK)
		rv = read_status_meta(db, &m, &rc);
	if (rc != SQLITE_OK) {
		if (soft_db_short_of(db, rc, t->path))
			rv = CKR_HOST_MEMORY;
		else
			*fallback = true;
	}
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(db);
	if (rv != CKR_OK || *fallback)
		return rv;
	if (!m.have_serial) {
		CID_ERROR("%s: token serial missing or malformed", t->path);
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	rv = same_token(t, m.serial);
	if (rv == CKR_OK) {
		fill_status(t->serial, &m, st);
		*mp = m;
	}
	return rv;
}

/* A token holds its file open only while it is used: a listing of a
 * thousand tokens must not hold three thousand descriptors.  Every
 * operation that reads the file opens it here first; rest closes it. */
static CK_RV need_db(soft_token *t)
{
	char serial[SOFT_SERIAL_LEN + 1];
	sqlite3 *db = NULL;
	CK_RV rv;

	if (t->db != NULL)
		return CKR_OK;
	t->cached = false;
	rv = soft_db_open(t->path, false, &db);
	if (rv == CKR_OK) {
		rv = soft_tx_begin(db, false);
		if (rv == CKR_OK)
			rv = soft_db_check(db, t->path, serial);
		soft_tx_rollback(db);
		if (rv != CKR_OK && rv != CKR_HOST_MEMORY)
			rv = CKR_TOKEN_NOT_RECOGNIZED;
	}
	if (rv == CKR_OK)
		rv = same_token(t, serial);
	if (rv != CKR_OK) {
		sqlite3_close_v2(db);
		return rv;
	}
	t->db = db;
	/* data_version counts per connection: the first check on the new one
	 * asks the object generation instead. */
	t->seen_data_version = INT64_MIN;
	return CKR_OK;
}

static void soft_rest(cid_token *tok)
{
	soft_token *t = (soft_token *)tok;

	if (t->db == NULL)
		return;
	soft_objects_forget_statements(t);
	sqlite3_close_v2(t->db);
	t->db = NULL;
}

#define WITH_DB(call) do { CK_RV rv_ = need_db(t); return rv_ != CKR_OK ? rv_ : (call); } while (0)

/* Writers take turns like passcode checks do: SQLite's own busy handler
 * polls, so a login meeting a process that writes objects without pause
 * could wait out its timeout and fail; a blocking turn is handed over. */
#define IN_TURN(call) do { \
		CK_RV rv_ = need_db(t); \
		if (rv_ == CKR_OK) { \
			int turn_ = soft_take_turn(t); \
			rv_ = (call); \
			if (turn_ >= 0) \
				close(turn_); \
		} \
		return rv_; \
	} while (0)

/* A status read is kept only for files last written this long before it:
 * file times move in clock ticks (coarser on some file systems), so a
 * write in the same tick as the read could leave them as they were. */
#define QUIET_SECONDS 2

/* false when the file cannot be seen.  *quiet is cleared when it was
 * written too lately (or in the future) for a kept answer to be safe. */
static bool mark_file(const char *path, const struct timespec *now, soft_file_mark *m, bool *quiet)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return false;
	soft_mark_of(&sb, m);
	if (now->tv_sec - sb.st_mtim.tv_sec <= QUIET_SECONDS)
		*quiet = false;
	return true;
}

/* The status of a token at rest, asked again and again (a host polling
 * its tokens, or a listing in each new process): every commit, by this
 * process or another, writes the log (or the file itself, were the log
 * ever turned off), so while both stat as they did just before the last
 * answer was read, that answer still holds.  It is kept in this handle
 * and in the directory's cache (status_cache.c), for other processes.
 * A file written within QUIET_SECONDS of a read is read afresh every
 * time, and a token without its log goes through SQLite. */
static CK_RV cached_status(soft_token *t, cid_token_status *st, bool *fallback)
{
	soft_file_mark db, wal;
	soft_status_meta m;
	struct timespec now;
	bool quiet = true, marked = false;
	CK_RV rv;

	*fallback = false;
	if (t->wal_path != NULL && clock_gettime(CLOCK_REALTIME, &now) == 0)
		marked = mark_file(t->path, &now, &db, &quiet) && mark_file(t->wal_path, &now, &wal, &quiet);
	/* Run as root, SQLite gives the log back to the file's owner at
	 * every open (fchown), which moves its ctime without a write. */
	if (marked && t->root)
		memset(&wal.ctime, 0, sizeof(wal.ctime));
	if (marked && t->cached && soft_mark_same(&db, &t->cache_db) && soft_mark_same(&wal, &t->cache_wal)) {
		*st = t->cache_st;
		return CKR_OK;
	}
	t->cached = false;
	if (marked && soft_status_cache_get(t->scache, t->name, &db, &wal, &m)) {
		rv = same_token(t, m.serial);
		if (rv != CKR_OK)
			return rv;
		fill_status(t->serial, &m, st);
	} else {
		rv = resting_status(t, st, fallback, &m);
		if (rv != CKR_OK || *fallback || !marked || !quiet)
			return rv;
		soft_status_cache_put(t->scache, t->name, &db, &wal, &m);
	}
	t->cache_db = db;
	t->cache_wal = wal;
	t->cache_st = *st;
	t->cached = true;
	return CKR_OK;
}

static CK_RV lazy_status(cid_token *tok, cid_token_status *st)
{
	soft_token *t = (soft_token *)tok;
	bool fallback = false;

	if (st == NULL)
		return CKR_ARGUMENTS_BAD;
	if (t->db == NULL) {
		CK_RV rv = cached_status(t, st, &fallback);

		if (!fallback)
			return rv;
		CID_DEBUG("%s: no log index to read beside it yet; opening it read-write", t->path);
	}
	WITH_DB(soft_status(tok, st));
}

static CK_RV lazy_login(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	soft_token *t = (soft_token *)tok;
	WITH_DB(soft_login(tok, who, pin, len));
}

static CK_RV lazy_init_token(cid_token *tok, const CK_UTF8CHAR *so_pin, CK_ULONG len, const CK_UTF8CHAR label[32])
{
	soft_token *t = (soft_token *)tok;
	WITH_DB(soft_init_token(tok, so_pin, len, label));
}

static CK_RV lazy_init_pin(cid_token *tok, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	soft_token *t = (soft_token *)tok;
	IN_TURN(soft_init_pin(tok, pin, len));
}

static CK_RV lazy_set_pin(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *old, CK_ULONG oldlen,
                          const CK_UTF8CHAR *new_pin, CK_ULONG newlen)
{
	soft_token *t = (soft_token *)tok;
	WITH_DB(soft_set_pin(tok, who, old, oldlen, new_pin, newlen));
}

static CK_RV lazy_changed(cid_token *tok, bool *changed)
{
	soft_token *t = (soft_token *)tok;
	WITH_DB(soft_changed(tok, changed));
}

static CK_RV lazy_load_objects(cid_token *tok, cid_object_sink sink, void *ctx)
{
	soft_token *t = (soft_token *)tok;
	WITH_DB(soft_load_objects(tok, sink, ctx));
}

static CK_RV lazy_load_changes(cid_token *tok, cid_object_sink sink, void *ctx, bool *whole)
{
	soft_token *t = (soft_token *)tok;
	WITH_DB(soft_load_changes(tok, sink, ctx, whole));
}

static CK_RV lazy_create_object(cid_token *tok, const cid_attrs *attrs, uint64_t *id)
{
	soft_token *t = (soft_token *)tok;
	IN_TURN(soft_create_object(tok, attrs, id));
}

static CK_RV lazy_update_object(cid_token *tok, uint64_t id, const cid_attrs *attrs)
{
	soft_token *t = (soft_token *)tok;
	IN_TURN(soft_update_object(tok, id, attrs));
}

static CK_RV lazy_destroy_object(cid_token *tok, uint64_t id)
{
	soft_token *t = (soft_token *)tok;
	IN_TURN(soft_destroy_object(tok, id));
}

static CK_RV lazy_get_record(cid_token *tok, uint8_t **rec, size_t *rlen, uint8_t **sig, size_t *slen)
{
	soft_token *t = (soft_token *)tok;
	WITH_DB(soft_get_record(tok, rec, rlen, sig, slen));
}

static CK_RV lazy_put_record(cid_token *tok, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen)
{
	soft_token *t = (soft_token *)tok;
	IN_TURN(soft_put_record(tok, rec, rlen, sig, slen));
}

static CK_RV lazy_destroy_keys(cid_token *tok)
{
	soft_token *t = (soft_token *)tok;
	IN_TURN(soft_destroy_keys(tok));
}

static CK_RV lazy_audit(cid_token *tok, const char *event, const char *detail)
{
	soft_token *t = (soft_token *)tok;
	IN_TURN(soft_audit_event(tok, event, detail));
}

static CK_RV lazy_set_unlock_code(cid_token *tok, const CK_UTF8CHAR *code, CK_ULONG len, int64_t expires)
{
	soft_token *t = (soft_token *)tok;
	IN_TURN(soft_set_unlock_code(tok, code, len, expires));
}

static CK_RV lazy_unlock(cid_token *tok, const CK_UTF8CHAR *code, CK_ULONG len, int64_t now, const CK_UTF8CHAR *pin,
                         CK_ULONG plen)
{
	soft_token *t = (soft_token *)tok;
	WITH_DB(soft_unlock(tok, code, len, now, pin, plen));
}

static CK_RV soft_random(cid_token *tok, uint8_t *buf, size_t len)
{
	(void)tok;
	return cid_random(buf, len);
}

static void soft_release(cid_token *tok)
{
	soft_token *t = (soft_token *)tok;

	if (t == NULL)
		return;
	soft_forget_key(t);
	soft_objects_forget_statements(t);
	sqlite3_close_v2(t->db);
	free(t->path);
	free(t->wal_path);
	free(t->name);
	soft_status_cache_unref(t->scache);
	cid_wipe(t, sizeof(*t));
	free(t);
}

static const struct cid_token_ops soft_token_ops = {
	.status = lazy_status,
	.login = lazy_login,
	.logout = soft_logout,
	.init_token = lazy_init_token,
	.init_pin = lazy_init_pin,
	.set_pin = lazy_set_pin,
	.changed = lazy_changed,
	.load_objects = lazy_load_objects,
	.load_changes = lazy_load_changes,
	.create_object = lazy_create_object,
	.update_object = lazy_update_object,
	.destroy_object = lazy_destroy_object,
	.get_record = lazy_get_record,
	.put_record = lazy_put_record,
	.audit = lazy_audit,
	.destroy_keys = lazy_destroy_keys,
	.set_unlock_code = lazy_set_unlock_code,
	.unlock = lazy_unlock,
	.rest = soft_rest,
	.random = soft_random,
	.release = soft_release,
};

CK_RV soft_token_new(sqlite3 *db, char *path, const char serial[SOFT_SERIAL_LEN + 1], cid_token **out)
{
	soft_token *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		sqlite3_close_v2(db);
		free(path);
		return CKR_HOST_MEMORY;
	}
	t->base.ops = &soft_token_ops;
	t->db = db;
	t->path = path;
	/* Without it (out of memory) nothing is kept between status reads. */
	if (asprintf(&t->wal_path, "%s-wal", path) < 0)
		t->wal_path = NULL;
	/* Without a file open yet, the serial is learnt at the first use. */
	if (serial != NULL)
		memcpy(t->serial, serial, SOFT_SERIAL_LEN + 1);
	t->who = SOFT_NOBODY;
	t->root = geteuid() == 0;
	*out = &t->base;
	return CKR_OK;
}

bool soft_token_use_cache(cid_token *tok, soft_status_cache *c, const char *name)
{
	soft_token *t = (soft_token *)tok;
	char *n = strdup(name);

	if (n == NULL)
		return false;
	free(t->name);
	soft_status_cache_unref(t->scache);
	t->name = n;
	t->scache = soft_status_cache_ref(c);
	return true;
}

static CK_RV new_uuid(char out[37])
{
	uint8_t b[16];
	CK_RV rv = cid_random(b, sizeof(b));

	if (rv != CKR_OK)
		return rv;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return CKR_OK;
}

CK_RV soft_token_format(sqlite3 *db, const char *serial, uint32_t kdf_cost, const CK_UTF8CHAR *so_pin,
                        CK_ULONG len, const CK_UTF8CHAR label[32])
{
	cid_kdf_params prm = { .log2_n = kdf_cost, .r = SOFT_KDF_R, .p = SOFT_KDF_P };
	uint8_t key[CID_AEAD_KEY_LEN];
	char uuid[37], text[33];
	soft_wrap w;
	CK_RV rv;

	rv = cid_random(key, sizeof(key));
	if (rv == CKR_OK)
		rv = new_uuid(uuid);
	if (rv == CKR_OK)
		rv = soft_wrap_make(serial, SOFT_ROLE_SO, &prm, so_pin, len, key, &w);
	cid_wipe(key, sizeof(key));
	if (rv != CKR_OK)
		return rv;
	soft_label_text(label, text);
	rv = soft_tx_begin(db, true);
	if (rv == CKR_OK)
		rv = soft_db_create_schema(db);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(db, SOFT_META_SCHEMA, SOFT_SCHEMA_VERSION);
	if (rv == CKR_OK)
		rv = soft_meta_set_text(db, SOFT_META_SERIAL, serial);
	if (rv == CKR_OK)
		rv = soft_meta_set_text(db, SOFT_META_UUID, uuid);
	if (rv == CKR_OK)
		rv = soft_meta_set_blob(db, SOFT_META_LABEL, label, 32);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(db, SOFT_META_CREATED, (int64_t)time(NULL));
	if (rv == CKR_OK)
		rv = soft_meta_set_int(db, SOFT_META_USER_TRIES, CID_POLICY_PIN_MAX_TRIES);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(db, SOFT_META_SO_TRIES, CID_POLICY_SO_PIN_MAX_TRIES);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(db, SOFT_META_USER_PIN_INIT, 0);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(db, SOFT_META_KDF_LOG2N, prm.log2_n);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(db, SOFT_META_KDF_R, prm.r);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(db, SOFT_META_KDF_P, prm.p);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(db, SOFT_META_OBJECTS_GEN, 0);
	if (rv == CKR_OK)
		rv = soft_wrap_store(db, SOFT_ROLE_SO, &w);
	if (rv == CKR_OK)
		rv = soft_audit_append(db, serial, "token-init", "who=so label=\"%s\" serial=%s kdf_log2_n=%u", text,
		                       serial, (unsigned)prm.log2_n);
	if (rv == CKR_OK)
		rv = soft_tx_commit(db);
	else
		soft_tx_rollback(db);
	soft_wrap_clear(&w);
	return rv;
}
