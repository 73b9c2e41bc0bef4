/* Stored objects: what each authentication state may see, and writes that
 * keep private values sealed under the token key. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "soft/soft_int.h"

static bool user_key(const soft_token *t)
{
	return t->who == CKU_USER && t->have_key;
}

/* A statement kept prepared in *slot, ready to bind and step. */
static int kept(soft_token *t, sqlite3_stmt **slot, const char *sql)
{
	if (*slot != NULL)
		return sqlite3_reset(*slot) == SQLITE_OK && sqlite3_clear_bindings(*slot) == SQLITE_OK ? SQLITE_OK
		                                                                                      : SQLITE_ERROR;
	return sqlite3_prepare_v3(t->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
}

static void forget_pending(soft_token *t);

void soft_objects_forget_statements(soft_token *t)
{
	sqlite3_finalize(t->st_data_version);
	sqlite3_finalize(t->st_changes);
	sqlite3_finalize(t->st_meta);
	sqlite3_finalize(t->st_begin);
	sqlite3_finalize(t->st_rollback);
	t->st_data_version = t->st_changes = t->st_meta = t->st_begin = t->st_rollback = NULL;
	forget_pending(t);
	/* The mapping of the index goes with the connection. */
	t->wal_mode = 0;
	t->wal_index = NULL;
	t->wal_seen_ok = false;
}

/* ---- knowing, without a read, that nobody has committed ----------------
 *
 * A read transaction takes and drops a lock on the -shm file, two fcntl
 * calls, which beside a busy writer cost more than the whole search
 * (the kernel's lock list of that file is shared with the writer).  Every
 * commit, by any connection of any process, rewrites both copies of the
 * WAL-index header at the start of that file before it returns: the
 * commit counter, the last frame, after a restart the salts.  SQLite
 * itself starts every read by reading it.  So a handle that took the
 * header just before the read that left it current, and finds it the
 * same, knows that no commit has happened since, without any lock. */

/* The size of the regions SQLite maps the WAL index in. */
#define WAL_INDEX_REGION 32768

/* The start of the WAL index as this connection maps it, or NULL (not a
 * WAL file, not mapped yet, a VFS without shared memory).  Found once per
 * connection: the unix VFS keeps a region mapped where it is until the
 * connection closes. */
static const volatile uint32_t *wal_index(soft_token *t)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	sqlite3_file *f = NULL;
	volatile void *p = NULL;
	int known = 0;

	if (t->wal_mode != 0)
		return t->wal_index;
	/* Only a WAL connection has an index of its own to read; xShmMap
	 * would otherwise make one. */
	if (sqlite3_prepare_v2(t->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && (mode = sqlite3_column_text(st, 0)) != NULL)
		known = sqlite3_stricmp((const char *)mode, "wal") == 0 ? 1 : -1;
	sqlite3_finalize(st);
	if (known == 1 && sqlite3_file_control(t->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK &&
	    f != NULL && f->pMethods != NULL && f->pMethods->iVersion >= 2 && f->pMethods->xShmMap != NULL &&
	    /* Not extended: only what the connection's reads mapped already. */
	    f->pMethods->xShmMap(f, 0, WAL_INDEX_REGION, 0, &p) == SQLITE_OK && p != NULL)
		t->wal_index = p;
	else if (known == 1 && (f == NULL || f->pMethods == NULL || f->pMethods->iVersion < 2))
		known = -1;
	/* A WAL connection whose index is not mapped yet is asked again
	 * after its next read. */
	if (known == -1 || t->wal_index != NULL)
		t->wal_mode = t->wal_index != NULL ? 1 : -1;
	return t->wal_index;
}

/* Takes the header into mark; false when it cannot vouch for anything (no
 * index, a writer halfway through it, an index not built yet). */
static bool wal_mark(soft_token *t, uint32_t mark[SOFT_WAL_HDR_WORDS])
{
	const volatile uint32_t *h = wal_index(t);
	const int half = SOFT_WAL_HDR_WORDS / 2;

	if (h == NULL)
		return false;
	/* The slot lock taken before this call keeps these reads after
	 * whatever commit the caller already knows of; the fence keeps the
	 * read transaction that may follow after them. */
	for (int i = 0; i < SOFT_WAL_HDR_WORDS; i++)
		mark[i] = h[i];
	atomic_thread_fence(memory_order_acquire);
	/* isInit is the first byte of the fourth word. */
	return memcmp(mark, mark + half, (size_t)half * sizeof(*mark)) == 0 && ((const uint8_t *)mark)[12] == 1;
}

/* Whether nobody has committed since the kept mark.  The first copy is
 * enough: a commit rewrites it last, before it returns. */
static bool wal_same(soft_token *t)
{
	const volatile uint32_t *h = t->wal_seen_ok ? wal_index(t) : NULL;

	if (h == NULL)
		return false;
	for (int i = 0; i < SOFT_WAL_HDR_WORDS / 2; i++)
		if (h[i] != t->wal_seen[i])
			return false;
	atomic_thread_fence(memory_order_acquire);
	return true;
}

/* After a read that left this handle current, begun after mark was taken. */
static void wal_keep(soft_token *t, bool ok, const uint32_t mark[SOFT_WAL_HDR_WORDS])
{
	t->wal_seen_ok = ok;
	if (ok)
		memcpy(t->wal_seen, mark, sizeof(t->wal_seen));
}

/* Asked at every search, so its statement is kept. */
static CK_RV data_version(soft_token *t, int64_t *v)
{
	int rc = kept(t, &t->st_data_version, "PRAGMA data_version");

	if (rc == SQLITE_OK && (rc = sqlite3_step(t->st_data_version)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(t->st_data_version, 0);
		rc = SQLITE_OK;
	}
	if (t->st_data_version != NULL)
		sqlite3_reset(t->st_data_version);
	return rc == SQLITE_OK ? CKR_OK : soft_db_rv(t->db, rc, "data version");
}

/* A meta integer read at every change followed, through a kept
 * statement; absent, it reads as 0. */
static CK_RV meta_int(soft_token *t, const char *key, int64_t *v)
{
	int rc = kept(t, &t->st_meta, "SELECT value FROM meta WHERE key = ?1");
	CK_RV rv = CKR_OK;

	*v = 0;
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(t->st_meta, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(t->st_meta);
	if (rc == SQLITE_ROW && sqlite3_column_type(t->st_meta, 0) != SQLITE_INTEGER) {
		CID_ERROR("token meta value %s is not an integer", key);
		rv = CKR_DEVICE_ERROR;
	} else if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(t->st_meta, 0);
	} else if (rc != SQLITE_DONE) {
		rv = soft_db_rv(t->db, rc, key);
	}
	if (t->st_meta != NULL)
		sqlite3_reset(t->st_meta);
	return rv;
}

static CK_RV generation(soft_token *t, int64_t *g)
{
	return meta_int(t, SOFT_META_OBJECTS_GEN, g);
}

/* Tombstones kept: a process that falls further behind than this many
 * object writes loads the whole set again. */
#define SOFT_GONE_KEEP 4096

/* Brings a version 1 file to the current schema inside the caller's write
 * transaction.  The tombstone floor starts at the current generation: what
 * was destroyed before left no tombstone, so a process that loaded before
 * this point must load everything. */
static CK_RV upgrade(soft_token *t)
{
	int64_t version = 0, g = 0;
	sqlite3_stmt *st = NULL;
	int rc;
	CK_RV rv;

	if (t->schema_current)
		return CKR_OK;
	rc = sqlite3_prepare_v2(t->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		version = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return soft_db_rv(t->db, rc, "schema version");
	if (version == SOFT_SCHEMA_VERSION) {
		t->schema_current = true;
		return CKR_OK;
	}
	_Static_assert(SOFT_SCHEMA_VERSION == 2, "upgrade steps");
	rv = generation(t, &g);
	if (rv == CKR_OK)
		rv = soft_db_exec(t->db, "ALTER TABLE objects ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;"
		                         "CREATE INDEX objects_by_gen ON objects (gen);"
		                         "CREATE TABLE gone (gen INTEGER PRIMARY KEY, id INTEGER NOT NULL);"
		                         "PRAGMA user_version=2;");
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_GONE_FLOOR, g);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_SCHEMA, SOFT_SCHEMA_VERSION);
	if (rv == CKR_OK)
		CID_INFO("token %s: storage brought to schema %d", t->serial, SOFT_SCHEMA_VERSION);
	/* schema_current is set only once the commit is known (next call). */
	return rv;
}

CK_RV soft_objects_touched(soft_token *t, int64_t *gen)
{
	int64_t old = 0;
	CK_RV rv = soft_meta_bump_generation(t->db, &old);

	/* Changes read before this write are read again after it. */
	forget_pending(t);

	/* Our own write need not make us reload, unless someone else's came
	 * in since we last loaded.  (Kept even if the commit later fails: a
	 * spurious "changed" only costs a reload.) */
	if (rv == CKR_OK && t->loaded && old == t->seen_generation)
		t->seen_generation = old + 1;
	if (gen)
		*gen = old + 1;
	return rv;
}

CK_RV soft_objects_wipe(soft_token *t)
{
	int64_t g = 0;
	CK_RV rv = upgrade(t);

	if (rv == CKR_OK)
		rv = soft_db_exec(t->db, "DELETE FROM objects; DELETE FROM gone;");
	/* A re-initialised token is a new card: no record, no waiting code. */
	if (rv == CKR_OK)
		rv = soft_db_exec(t->db, "DELETE FROM meta WHERE key IN ('" SOFT_META_RECORD "', '" SOFT_META_RECORD_SIG
		                         "', '" SOFT_META_UNLOCK_SALT "', '" SOFT_META_UNLOCK_WRAP "', '"
		                         SOFT_META_UNLOCK_EXPIRES "', '" SOFT_META_UNLOCK_TRIES "')");
	if (rv == CKR_OK)
		rv = soft_objects_touched(t, &g);
	/* No tombstones: everyone else starts over. */
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_GONE_FLOOR, g);
	return rv;
}

static CK_RV read_row(sqlite3_stmt *st, int col, soft_row *r)
{
	for (int i = 0; i < 2; i++) {
		const void *p = sqlite3_column_blob(st, col + i);
		int n = sqlite3_column_bytes(st, col + i);
		uint8_t **dst = i == 0 ? &r->attrs : &r->sealed;
		size_t *len = i == 0 ? &r->attrs_len : &r->sealed_len;

		if (sqlite3_column_type(st, col + i) == SQLITE_NULL)
			continue;
		*dst = cid_memdup(p, (size_t)n);
		if (*dst == NULL)
			return CKR_HOST_MEMORY;
		*len = (size_t)n;
	}
	return CKR_OK;
}

CK_RV soft_load_objects(cid_token *tok, cid_object_sink sink, void *ctx)
{
	soft_token *t = (soft_token *)tok;
	bool with_secrets = user_key(t), marked;
	uint32_t mark[SOFT_WAL_HDR_WORDS];
	sqlite3_stmt *st = NULL;
	int64_t v = 0, g = 0;
	CK_RV rv;
	int rc = SQLITE_OK;

	if (sink == NULL)
		return CKR_ARGUMENTS_BAD;
	forget_pending(t);
	marked = wal_mark(t, mark);
	/* One read transaction: a consistent snapshot, and the version and
	 * generation that go with exactly that snapshot. */
	rv = soft_tx_begin(t->db, false);
	if (rv == CKR_OK)
		rv = generation(t, &g);
	if (rv == CKR_OK)
		rv = data_version(t, &v);
	if (rv == CKR_OK) {
		rc = sqlite3_prepare_v2(t->db, with_secrets
		                        ? "SELECT id, private, attrs, sealed FROM objects ORDER BY id"
		                        : "SELECT id, private, attrs, sealed FROM objects WHERE private = 0 ORDER BY id",
		                        -1, &st, NULL);
		if (rc != SQLITE_OK)
			rv = soft_db_rv(t->db, rc, "object read");
	}
	while (rv == CKR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		soft_row r;
		cid_attrs a = CID_ATTRS_INIT;
		int64_t id = sqlite3_column_int64(st, 0);
		CK_RV orv;

		memset(&r, 0, sizeof(r));
		r.priv = sqlite3_column_int64(st, 1) != 0;
		rv = read_row(st, 2, &r);
		if (rv == CKR_OK && id > 0) {
			/* A damaged object is left out (and logged); the rest of
			 * the token stays usable. */
			orv = soft_row_open(t, (uint64_t)id, &r, with_secrets, &a);
			if (orv == CKR_HOST_MEMORY)
				rv = orv;
			else if (orv == CKR_OK)
				rv = sink(ctx, (uint64_t)id, &a);
		}
		cid_attrs_clear(&a);
		soft_row_clear(&r);
	}
	if (rv == CKR_OK && rc != SQLITE_DONE)
		rv = soft_db_rv(t->db, rc, "object read");
	sqlite3_finalize(st);
	soft_tx_rollback(t->db);
	wal_keep(t, rv == CKR_OK && marked, mark);
	if (rv == CKR_OK) {
		t->loaded = true;
		t->seen_data_version = v;
		t->seen_generation = g;
	}
	return rv;
}

/* A read transaction through kept statements: at most one per search
 * beside a busy writer, so their parsing is not paid every time. */
static CK_RV read_begin(soft_token *t)
{
	int rc = kept(t, &t->st_begin, "BEGIN");

	if (rc == SQLITE_OK && (rc = sqlite3_step(t->st_begin)) == SQLITE_DONE)
		rc = SQLITE_OK;
	if (t->st_begin != NULL)
		sqlite3_reset(t->st_begin);
	return rc == SQLITE_OK ? CKR_OK : soft_db_rv(t->db, rc, "BEGIN");
}

static void read_end(soft_token *t)
{
	if (sqlite3_get_autocommit(t->db))
		return;
	if (kept(t, &t->st_rollback, "ROLLBACK") == SQLITE_OK)
		(void)sqlite3_step(t->st_rollback);
	if (t->st_rollback != NULL)
		sqlite3_reset(t->st_rollback);
	/* Never leave a read open: it would hold the log back from every
	 * checkpoint. */
	if (!sqlite3_get_autocommit(t->db))
		soft_tx_rollback(t->db);
}

/* Inside a read transaction: whether the rows and tombstones still tell
 * every change since this handle's last load. */
static CK_RV can_follow(soft_token *t, bool *ok)
{
	int64_t version = 0, floor = 0;
	sqlite3_stmt *st = NULL;
	int rc = t->schema_current ? SQLITE_OK : sqlite3_prepare_v2(t->db, "PRAGMA user_version", -1, &st, NULL);
	CK_RV rv;

	*ok = false;
	if (t->schema_current) {
		version = SOFT_SCHEMA_VERSION;
	} else {
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			version = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
		if (rc != SQLITE_OK) {
			sqlite3_finalize(st);
			return soft_db_rv(t->db, rc, "schema version");
		}
	}
	sqlite3_finalize(st);
	if (version != SOFT_SCHEMA_VERSION)
		return CKR_OK;
	/* A file never goes back to an older schema. */
	t->schema_current = true;
	rv = meta_int(t, SOFT_META_GONE_FLOOR, &floor);
	*ok = rv == CKR_OK && t->seen_generation >= floor;
	return rv;
}

/* Changes as read inside a read transaction, rows as stored: they are
 * opened only once it has ended, so that the transaction stays short and
 * a login between reading and reporting opens them as it should. */
typedef struct soft_change {
	int64_t id;
	bool gone;
	soft_row r;
} soft_change;

struct soft_changes {
	soft_change *v;
	size_t n, cap;
	/* The version, generation and header mark that go with them. */
	int64_t data_version, generation;
	bool marked;
	uint32_t mark[SOFT_WAL_HDR_WORDS];
};

static void changes_free(struct soft_changes *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		soft_row_clear(&c->v[i].r);
	free(c->v);
	free(c);
}

/* Drops what changed() read for a load_changes that is not coming. */
static void forget_pending(soft_token *t)
{
	changes_free(t->pending);
	t->pending = NULL;
}

/* More than this many rows, and changed() leaves them to load_changes
 * rather than keep them all in memory in between. */
#define SOFT_PENDING_MAX 256

/* Reads, inside the read transaction, the rows written and the objects
 * destroyed after generation since; at most max of them (0: no bound),
 * *over when there were more. */
static CK_RV read_changes(soft_token *t, int64_t since, size_t max, struct soft_changes *c, bool *over)
{
	CK_RV rv = CKR_OK;
	int rc = kept(t, &t->st_changes, "SELECT id, private, attrs, sealed FROM objects WHERE gen > ?1"
	                                 " UNION ALL SELECT id, NULL, NULL, NULL FROM gone WHERE gen > ?1");
	sqlite3_stmt *st = t->st_changes;

	*over = false;
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	if (rc != SQLITE_OK)
		rv = soft_db_rv(t->db, rc, "object changes");
	while (rv == CKR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		soft_change *e;
		int64_t id = sqlite3_column_int64(st, 0);

		if (id <= 0)
			continue;
		if (max != 0 && c->n == max) {
			*over = true;
			rc = SQLITE_DONE;
			break;
		}
		if (c->n == c->cap) {
			size_t cap = c->cap ? 2 * c->cap : 4;
			soft_change *v = realloc(c->v, cap * sizeof(*v));

			if (v == NULL) {
				rv = CKR_HOST_MEMORY;
				break;
			}
			c->v = v;
			c->cap = cap;
		}
		e = &c->v[c->n++];
		memset(e, 0, sizeof(*e));
		e->id = id;
		e->gone = sqlite3_column_type(st, 1) == SQLITE_NULL;
		if (!e->gone) {
			e->r.priv = sqlite3_column_int64(st, 1) != 0;
			rv = read_row(st, 2, &e->r);
		}
	}
	if (rv == CKR_OK && rc != SQLITE_DONE)
		rv = soft_db_rv(t->db, rc, "object changes");
	if (st != NULL)
		sqlite3_reset(st);
	return rv;
}

/* Reports the changes read: a row this state may not see (now private,
 * or damaged) as gone, as a full load would leave it out. */
static CK_RV report_changes(soft_token *t, const struct soft_changes *c, cid_object_sink sink, void *ctx)
{
	bool with_secrets = user_key(t);
	CK_RV rv = CKR_OK;

	for (size_t i = 0; rv == CKR_OK && i < c->n; i++) {
		const soft_change *e = &c->v[i];
		cid_attrs a = CID_ATTRS_INIT;
		CK_RV orv = CKR_GENERAL_ERROR;

		if (!e->gone && (!e->r.priv || with_secrets))
			orv = soft_row_open(t, (uint64_t)e->id, &e->r, with_secrets, &a);
		if (orv == CKR_HOST_MEMORY)
			rv = orv;
		else
			rv = sink(ctx, (uint64_t)e->id, orv == CKR_OK ? &a : NULL);
		cid_attrs_clear(&a);
	}
	return rv;
}

/* Reports c and makes this handle current as of it. */
static CK_RV apply_read(soft_token *t, const struct soft_changes *c, cid_object_sink sink, void *ctx)
{
	CK_RV rv = report_changes(t, c, sink, ctx);

	wal_keep(t, rv == CKR_OK && c->marked, c->mark);
	if (rv == CKR_OK) {
		t->seen_data_version = c->data_version;
		t->seen_generation = c->generation;
	}
	return rv;
}

CK_RV soft_changed(cid_token *tok, bool *changed)
{
	soft_token *t = (soft_token *)tok;
	struct soft_changes *c;
	uint32_t mark[SOFT_WAL_HDR_WORDS];
	bool ok = false, over = false, marked;
	CK_RV rv;

	if (changed == NULL)
		return CKR_ARGUMENTS_BAD;
	*changed = true;
	forget_pending(t);
	if (!t->loaded)
		return CKR_OK;
	/* Nobody has committed since: most calls stop here, without a lock. */
	if (wal_same(t)) {
		*changed = false;
		return CKR_OK;
	}
	marked = wal_mark(t, mark);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return CKR_HOST_MEMORY;
	c->marked = marked;
	memcpy(c->mark, mark, sizeof(mark));
	/* One read transaction for the check and, when something changed,
	 * for reading what: beside a busy writer, opening one costs more than
	 * all that is read in it. */
	rv = read_begin(t);
	/* data_version moves only when another connection commits. */
	if (rv == CKR_OK)
		rv = data_version(t, &c->data_version);
	if (rv == CKR_OK && c->data_version == t->seen_data_version) {
		wal_keep(t, c->marked, c->mark);
		*changed = false;
	} else if (rv == CKR_OK) {
		/* Someone committed: was it to the objects, or only a try
		 * counter? */
		rv = generation(t, &c->generation);
		if (rv == CKR_OK && c->generation == t->seen_generation) {
			t->seen_data_version = c->data_version;
			wal_keep(t, c->marked, c->mark);
			*changed = false;
		} else if (rv == CKR_OK) {
			rv = can_follow(t, &ok);
			if (rv == CKR_OK && ok)
				rv = read_changes(t, t->seen_generation, SOFT_PENDING_MAX, c, &over);
		}
	}
	read_end(t);
	/* Kept for load_changes when they can be followed and are few; it
	 * reads again otherwise. */
	if (rv == CKR_OK && *changed && ok && !over) {
		t->pending = c;
		c = NULL;
	}
	changes_free(c);
	return rv;
}

CK_RV soft_load_changes(cid_token *tok, cid_object_sink sink, void *ctx, bool *whole)
{
	soft_token *t = (soft_token *)tok;
	struct soft_changes *c = t->pending;
	bool ok = false, over = false;
	CK_RV rv;

	if (sink == NULL || whole == NULL)
		return CKR_ARGUMENTS_BAD;
	*whole = false;
	t->pending = NULL;
	if (!t->loaded) {
		changes_free(c);
		*whole = true;
		return soft_load_objects(tok, sink, ctx);
	}
	/* Read by changed() just before, with nothing done here since. */
	if (c != NULL) {
		rv = apply_read(t, c, sink, ctx);
		changes_free(c);
		return rv;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return CKR_HOST_MEMORY;
	c->marked = wal_mark(t, c->mark);
	rv = read_begin(t);
	if (rv == CKR_OK)
		rv = can_follow(t, &ok);
	if (rv == CKR_OK && !ok) {
		read_end(t);
		changes_free(c);
		CID_DEBUG("token %s: changes cannot be followed, loading every object", t->serial);
		*whole = true;
		return soft_load_objects(tok, sink, ctx);
	}
	if (rv == CKR_OK)
		rv = generation(t, &c->generation);
	if (rv == CKR_OK)
		rv = data_version(t, &c->data_version);
	if (rv == CKR_OK)
		rv = read_changes(t, t->seen_generation, 0, c, &over);
	read_end(t);
	if (rv == CKR_OK)
		rv = apply_read(t, c, sink, ctx);
	else
		t->wal_seen_ok = false;
	changes_free(c);
	return rv;
}

static CK_RV fetch(soft_token *t, uint64_t id, soft_row *r)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(t->db, "SELECT private, attrs, sealed FROM objects WHERE id = ?1", -1, &st, NULL);
	CK_RV rv = CKR_OK;

	memset(r, 0, sizeof(*r));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->priv = sqlite3_column_int64(st, 0) != 0;
		rv = read_row(st, 1, r);
	} else if (rc == SQLITE_DONE) {
		CID_WARN("token %s: no object %llu", t->serial, (unsigned long long)id);
		rv = CKR_OBJECT_HANDLE_INVALID;
	} else {
		rv = soft_db_rv(t->db, rc, "object read");
	}
	sqlite3_finalize(st);
	if (rv != CKR_OK)
		soft_row_clear(r);
	return rv;
}

/* Writes the row and the generation of this write, after
 * soft_objects_touched in the same transaction. */
static CK_RV store(soft_token *t, uint64_t id, const soft_row *r, int64_t gen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(t->db,
	                            "UPDATE objects SET private = ?2, attrs = ?3, sealed = ?4, gen = ?5 WHERE id = ?1",
	                            -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, r->priv ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = r->attrs != NULL ? sqlite3_bind_blob(st, 3, r->attrs, (int)r->attrs_len, SQLITE_STATIC)
		                      : sqlite3_bind_null(st, 3);
	if (rc == SQLITE_OK)
		rc = r->sealed != NULL ? sqlite3_bind_blob(st, 4, r->sealed, (int)r->sealed_len, SQLITE_STATIC)
		                       : sqlite3_bind_null(st, 4);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, (sqlite3_int64)gen);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CKR_OK : soft_db_rv(t->db, rc, "object write");
}

static CK_RV finish(soft_token *t, CK_RV rv)
{
	if (rv == CKR_OK)
		return soft_tx_commit(t->db);
	soft_tx_rollback(t->db);
	return rv;
}

CK_RV soft_create_object(cid_token *tok, const cid_attrs *attrs, uint64_t *id)
{
	soft_token *t = (soft_token *)tok;
	soft_row r;
	sqlite3_int64 rowid = 0;
	int64_t gen = 0;
	CK_RV rv;

	if (attrs == NULL || id == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((cid_attrs_bool(attrs, CKA_PRIVATE, true) || soft_attrs_have_secret(attrs)) && !user_key(t)) {
		CID_WARN("token %s: a private or secret object needs the user logged in", t->serial);
		return CKR_USER_NOT_LOGGED_IN;
	}
	rv = soft_tx_begin(t->db, true);
	if (rv != CKR_OK)
		return rv;
	rv = upgrade(t);
	/* The id must exist before sealing, since the seal is bound to it. */
	if (rv == CKR_OK)
		rv = soft_db_exec(t->db, "INSERT INTO objects (private, attrs, sealed) VALUES (1, NULL, NULL)");
	if (rv == CKR_OK) {
		rowid = sqlite3_last_insert_rowid(t->db);
		rv = soft_row_seal(t, (uint64_t)rowid, attrs, &r);
		if (rv == CKR_OK) {
			if ((rv = soft_objects_touched(t, &gen)) == CKR_OK)
				rv = store(t, (uint64_t)rowid, &r, gen);
			soft_row_clear(&r);
		}
	}
	rv = finish(t, rv);
	if (rv == CKR_OK)
		*id = (uint64_t)rowid;
	return rv;
}

/* The front only knows secret values it was allowed to load; any it does
 * not pass back are kept from what is stored (PKCS#11 never removes an
 * attribute), which needs the token key to read them. */
static CK_RV merge_stored_secrets(soft_token *t, uint64_t id, const soft_row *old, const cid_attrs *in,
                                  cid_attrs *out)
{
	cid_attrs prev = CID_ATTRS_INIT;
	CK_RV rv = cid_attrs_copy(out, in);

	if (rv != CKR_OK || (old->sealed == NULL))
		return rv;
	rv = soft_row_open(t, id, old, true, &prev);
	for (size_t i = 0; rv == CKR_OK && i < prev.n; i++) {
		CK_ATTRIBUTE_TYPE type = prev.v[i].type;

		if (soft_attr_is_secret(&prev, type) && cid_attrs_get(out, type) == NULL)
			rv = cid_attrs_set(out, type, prev.v[i].pValue, prev.v[i].ulValueLen);
	}
	cid_attrs_clear(&prev);
	return rv;
}

CK_RV soft_update_object(cid_token *tok, uint64_t id, const cid_attrs *attrs)
{
	soft_token *t = (soft_token *)tok;
	cid_attrs merged = CID_ATTRS_INIT;
	soft_row old, r;
	int64_t gen = 0;
	CK_RV rv;

	if (attrs == NULL || id == 0 || id > INT64_MAX)
		return id == 0 || id > INT64_MAX ? CKR_OBJECT_HANDLE_INVALID : CKR_ARGUMENTS_BAD;
	rv = soft_tx_begin(t->db, true);
	if (rv != CKR_OK)
		return rv;
	if ((rv = upgrade(t)) != CKR_OK)
		return finish(t, rv);
	rv = fetch(t, id, &old);
	if (rv != CKR_OK)
		return finish(t, rv);
	if ((old.priv || old.sealed != NULL) && !user_key(t)) {
		CID_WARN("token %s: object %llu holds sealed values; the user must be logged in", t->serial,
		         (unsigned long long)id);
		rv = CKR_USER_NOT_LOGGED_IN;
	}
	if (rv == CKR_OK)
		rv = merge_stored_secrets(t, id, &old, attrs, &merged);
	if (rv == CKR_OK)
		rv = soft_row_seal(t, id, &merged, &r);
	if (rv == CKR_OK) {
		if ((rv = soft_objects_touched(t, &gen)) == CKR_OK)
			rv = store(t, id, &r, gen);
		soft_row_clear(&r);
	}
	cid_attrs_clear(&merged);
	soft_row_clear(&old);
	return finish(t, rv);
}

/* Leaves the tombstone of object id destroyed at generation gen, and every
 * so often forgets the oldest ones. */
static CK_RV bury(soft_token *t, uint64_t id, int64_t gen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(t->db, "INSERT INTO gone (gen, id) VALUES (?1, ?2)", -1, &st, NULL);
	CK_RV rv;

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)gen);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return soft_db_rv(t->db, rc, "tombstone");
	if (gen % 256 != 0 || gen <= SOFT_GONE_KEEP)
		return CKR_OK;
	rc = sqlite3_prepare_v2(t->db, "DELETE FROM gone WHERE gen < ?1", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)(gen - SOFT_GONE_KEEP));
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	rv = rc == SQLITE_DONE ? CKR_OK : soft_db_rv(t->db, rc, "tombstone pruning");
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_GONE_FLOOR, gen - SOFT_GONE_KEEP);
	return rv;
}

CK_RV soft_destroy_object(cid_token *tok, uint64_t id)
{
	soft_token *t = (soft_token *)tok;
	sqlite3_stmt *st = NULL;
	soft_row old;
	int64_t gen = 0;
	CK_RV rv;
	int rc;

	if (id == 0 || id > INT64_MAX)
		return CKR_OBJECT_HANDLE_INVALID;
	rv = soft_tx_begin(t->db, true);
	if (rv != CKR_OK)
		return rv;
	if ((rv = upgrade(t)) != CKR_OK)
		return finish(t, rv);
	rv = fetch(t, id, &old);
	if (rv != CKR_OK)
		return finish(t, rv);
	if (old.priv && !user_key(t)) {
		CID_WARN("token %s: destroying private object %llu needs the user logged in", t->serial,
		         (unsigned long long)id);
		rv = CKR_USER_NOT_LOGGED_IN;
	}
	soft_row_clear(&old);
	if (rv == CKR_OK) {
		rc = sqlite3_prepare_v2(t->db, "DELETE FROM objects WHERE id = ?1", -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			rv = soft_db_rv(t->db, rc, "object delete");
	}
	if (rv == CKR_OK)
		rv = soft_objects_touched(t, &gen);
	if (rv == CKR_OK)
		rv = bury(t, id, gen);
	return finish(t, rv);
}

/* P10 (backend.h destroy_keys): every row with a private object or a
 * sealed secret goes, each with its tombstone, in one transaction. */
CK_RV soft_destroy_keys(cid_token *tok)
{
	soft_token *t = (soft_token *)tok;
	sqlite3_stmt *st = NULL;
	int64_t *ids = NULL, gen = 0;
	size_t n = 0, cap = 0;
	CK_RV rv;
	int rc;

	rv = soft_tx_begin(t->db, true);
	if (rv == CKR_OK)
		rv = upgrade(t);
	if (rv != CKR_OK)
		return finish(t, rv);
	rc = sqlite3_prepare_v2(t->db, "SELECT id FROM objects WHERE private = 1 OR sealed IS NOT NULL", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			int64_t *v = realloc(ids, (cap = cap ? 2 * cap : 16) * sizeof(*v));
			if (v == NULL) {
				rv = CKR_HOST_MEMORY;
				break;
			}
			ids = v;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rv == CKR_OK && rc != SQLITE_DONE && rc != SQLITE_OK)
		rv = soft_db_rv(t->db, rc, "key objects");
	for (size_t i = 0; rv == CKR_OK && i < n; i++) {
		rc = sqlite3_prepare_v2(t->db, "DELETE FROM objects WHERE id = ?1", -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 1, ids[i]);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		sqlite3_finalize(st);
		rv = rc == SQLITE_DONE ? CKR_OK : soft_db_rv(t->db, rc, "key delete");
		if (rv == CKR_OK)
			rv = soft_objects_touched(t, &gen);
		if (rv == CKR_OK)
			rv = bury(t, (uint64_t)ids[i], gen);
	}
	if (rv == CKR_OK)
		rv = soft_audit_append(t->db, t->serial, "keys-destroyed", "objects=%zu", n);
	free(ids);
	rv = finish(t, rv);
	if (rv == CKR_OK)
		soft_db_flush(t->db);
	return rv;
}
