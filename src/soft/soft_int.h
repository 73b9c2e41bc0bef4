/* Internals of the soft token shared by its source files.  Nothing outside
 * src/soft includes this; the admin tool uses soft_audit.h. */
#ifndef CAREID_SOFT_SOFT_INT_H
#define CAREID_SOFT_SOFT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <sqlite3.h>

#include "common/attrs.h"
#include "common/config.h"
#include "crypto/crypto.h"
#include "soft/soft.h"

/* "CIDT": marks a SQLite file as a careid token, so that a stray database
 * in the token directory is never mistaken for one. */
#define SOFT_APPLICATION_ID 0x43494454
/* 2: objects carry the generation of their last write and destroyed ones
 * leave a tombstone, so that another process reloads only what changed.
 * A version 1 file is brought to 2 at its first object write. */
#define SOFT_SCHEMA_VERSION 2
/* The oldest schema this code still reads: files of any version from here
 * to SOFT_SCHEMA_VERSION are tokens (soft_schema_known). */
#define SOFT_SCHEMA_MIN 1
#define SOFT_FILE_SUFFIX ".token"
#define SOFT_SERIAL_LEN 16
#define SOFT_SALT_LEN 16
#define SOFT_BUSY_TIMEOUT_MS 5000
#define SOFT_DESCRIPTION "careid virtual smartcard"

/* Meta keys.  Later layers add their own (pin_to_be_changed, access
 * period end, cancelled, renewal count...) without a schema change. */
#define SOFT_META_LABEL          "label"
#define SOFT_META_SERIAL         "serial"
#define SOFT_META_UUID           "token_uuid"
#define SOFT_META_SCHEMA         "schema_version"
#define SOFT_META_CREATED        "created"
#define SOFT_META_USER_TRIES     "user_tries_left"
#define SOFT_META_SO_TRIES       "so_tries_left"
#define SOFT_META_USER_PIN_INIT  "user_pin_initialized"
#define SOFT_META_PIN_TO_CHANGE  "pin_to_be_changed"
#define SOFT_META_KDF_LOG2N      "kdf_log2_n"
#define SOFT_META_KDF_R          "kdf_r"
#define SOFT_META_KDF_P          "kdf_p"
#define SOFT_META_USER_SALT      "user_salt"
#define SOFT_META_SO_SALT        "so_salt"
#define SOFT_META_USER_WRAP      "user_wrapped_key"
#define SOFT_META_SO_WRAP        "so_wrapped_key"
#define SOFT_META_OBJECTS_GEN    "objects_generation"
#define SOFT_META_GONE_FLOOR     "tombstones_from"
#define SOFT_META_UNLOCK_SALT    "unlock_salt"
#define SOFT_META_UNLOCK_WRAP    "unlock_wrapped_key"
#define SOFT_META_UNLOCK_EXPIRES "unlock_expires"
#define SOFT_META_UNLOCK_TRIES   "unlock_tries_left"
#define SOFT_META_RECORD         "lifecycle_record"
#define SOFT_META_RECORD_SIG     "lifecycle_signature"
#define SOFT_META_AUDIT_SEQ      "audit_head_seq"
#define SOFT_META_AUDIT_HASH     "audit_head_hash"

/* A file as stat shows it: any write to it changes this.  ctime moves
 * with every change to the inode (content, times set back, rename). */
typedef struct soft_file_mark {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
} soft_file_mark;

/* What a token's status is made of, as stored (token.c reads it). */
typedef struct soft_status_meta {
	uint8_t label[32];
	size_t label_len;
	char serial[SOFT_SERIAL_LEN + 1];
	bool have_serial;
	int64_t user_tries, so_tries, init, change;
	bool have_user_tries, have_so_tries;
} soft_status_meta;

typedef struct soft_status_cache soft_status_cache;

/* Both copies of the WAL-index header at the start of the -shm file, in
 * 32-bit words (sqlite.org/walformat.html). */
#define SOFT_WAL_HDR_WORDS 24

/* Nobody logged in. */
#define SOFT_NOBODY ((CK_USER_TYPE)-1)

typedef struct soft_token {
	cid_token base;
	sqlite3 *db;
	char *path;
	char serial[SOFT_SERIAL_LEN + 1];
	CK_USER_TYPE who;
	/* The unwrapped token key: present only while someone is logged in. */
	bool have_key;
	uint8_t key[CID_AEAD_KEY_LEN];
	/* Owed by this process to correct passcodes whose bookkeeping met a
	 * failing store (pin.c): tries per role, and login records. */
	unsigned owed_tries[2];
	unsigned owed_audit;
	/* What load_objects last saw, for changed(). */
	bool loaded;
	int64_t seen_data_version;
	int64_t seen_generation;
	bool schema_current;        /* the file is known to be SOFT_SCHEMA_VERSION */
	/* Statements every search asks again (objects.c), kept prepared on
	 * this connection; finalised before it closes. */
	sqlite3_stmt *st_data_version, *st_changes, *st_meta, *st_begin, *st_rollback;
	/* Changes read by changed() in its own read, for the load_changes
	 * that follows it (objects.c); NULL when there are none waiting. */
	struct soft_changes *pending;
	/* The WAL-index header as it was just before the last read that left
	 * this handle current (objects.c, wal_mark): while it reads the
	 * same, nobody has committed since.  wal_index is where this
	 * connection maps it, NULL until known (wal_mode 0) or when there is
	 * none (wal_mode -1). */
	signed char wal_mode;
	bool wal_seen_ok;
	const volatile uint32_t *wal_index;
	uint32_t wal_seen[SOFT_WAL_HDR_WORDS];
	/* The last status read of the token at rest, kept while neither the
	 * file nor its log is written (token.c, cached_status). */
	char *wal_path;
	bool cached;
	soft_file_mark cache_db, cache_wal;
	cid_token_status cache_st;
	/* The token directory's status cache, shared with the provider, and
	 * this token's file name in it (NULL: none). */
	soft_status_cache *scache;
	char *name;
	bool root;                  /* run as root (see cached_status) */
} soft_token;

/* ---- db.c: the file, transactions, meta values ---- */

/* Sets SQLite up for this module, before its first use (idempotent). */
void soft_db_setup(void);
/* Maps a SQLite result to a PKCS#11 code and logs one line naming what. */
CK_RV soft_db_rv(sqlite3 *db, int rc, const char *what);
/* Opens an existing file (a new one is made 0600 by the caller first) and
 * sets the connection up.  Nothing is written: the file may not even be a
 * token yet.  CKR_TOKEN_NOT_PRESENT when it cannot be opened,
 * CKR_TOKEN_NOT_RECOGNIZED when it is not a database (both logged). */
CK_RV soft_db_open(const char *path, bool readonly, sqlite3 **out);
/* Opens a connection that only reads and writes nothing at all, not even
 * the log index beside the file: what a listing needs.  It needs the log
 * and its index to exist (a token used once read-write has them).
 * CKR_HOST_MEMORY (logged) when out of descriptors or memory; any other
 * failure is silent CKR_TOKEN_NOT_RECOGNIZED, for the caller to fall back
 * to soft_db_open, which says what is wrong. */
CK_RV soft_db_open_reader(const char *path, sqlite3 **out);
/* Whether a file of schema version v is one this code reads. */
bool soft_schema_known(int64_t v);
/* Checks application id and schema version inside the caller's read
 * transaction; CKR_TOKEN_NOT_RECOGNIZED (logged) when they are not ours.
 * With read_rc, a failure to read at all is not logged but left there as
 * SQLite's code (SQLITE_OK when the file was read). */
CK_RV soft_db_check_header(sqlite3 *db, const char *path, int *read_rc);
/* Whether a failed read on a reader connection was out of descriptors or
 * memory (then logged once, and the answer is CKR_HOST_MEMORY). */
bool soft_db_short_of(sqlite3 *db, int rc, const char *path);
/* Checks that an open file is a token of a schema this code understands
 * and returns its serial; CKR_TOKEN_NOT_RECOGNIZED (logged) otherwise. */
CK_RV soft_db_check(sqlite3 *db, const char *path, char serial[SOFT_SERIAL_LEN + 1]);
/* Takes a serial as stored (blob or text) into out; false when malformed. */
bool soft_serial_take(const void *v, size_t len, char out[SOFT_SERIAL_LEN + 1]);
CK_RV soft_db_create_schema(sqlite3 *db);
CK_RV soft_db_exec(sqlite3 *db, const char *sql);
CK_RV soft_tx_begin(sqlite3 *db, bool write);
CK_RV soft_tx_commit(sqlite3 *db);
void soft_tx_rollback(sqlite3 *db);
/* Forces the log back into the main file and empties it, so that
 * superseded key wraps do not linger in the WAL.  Best effort. */
void soft_db_flush(sqlite3 *db);

/* found is false (and *out untouched) when the key is absent. */
CK_RV soft_meta_int(sqlite3 *db, const char *key, int64_t *out, bool *found);
/* Absent key: CKR_DEVICE_ERROR with a log line (the file is damaged). */
CK_RV soft_meta_int_req(sqlite3 *db, const char *key, int64_t *out);
/* *out is NULL when absent; caller frees with cid_free_secret. */
CK_RV soft_meta_blob(sqlite3 *db, const char *key, uint8_t **out, size_t *len);
CK_RV soft_meta_set_int(sqlite3 *db, const char *key, int64_t v);
CK_RV soft_meta_set_blob(sqlite3 *db, const char *key, const void *v, size_t len);
CK_RV soft_meta_set_text(sqlite3 *db, const char *key, const char *v);
CK_RV soft_meta_del(sqlite3 *db, const char *key);
/* Bumps the object generation inside the caller's write transaction. */
CK_RV soft_meta_bump_generation(sqlite3 *db, int64_t *old_gen);

/* ---- audit.c ---- */

/* Appends one record inside the caller's write transaction.  detail must
 * never carry a passcode or key. */
CK_RV soft_audit_append(sqlite3 *db, const char *serial, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- seal.c: key hierarchy and object protection ---- */

/* SOFT_ROLE_UNLOCK: the token key wrapped under a sponsor's unlock code
 * (unlock.c). */
typedef enum { SOFT_ROLE_USER, SOFT_ROLE_SO, SOFT_ROLE_UNLOCK } soft_role;

CK_RV soft_kdf_params_load(sqlite3 *db, cid_kdf_params *prm);
CK_RV soft_kek_derive(const CK_UTF8CHAR *pin, CK_ULONG len, const uint8_t *salt, size_t saltlen,
                      const cid_kdf_params *prm, uint8_t kek[CID_AEAD_KEY_LEN]);
CK_RV soft_key_wrap(const char *serial, soft_role role, const uint8_t kek[CID_AEAD_KEY_LEN],
                    const uint8_t key[CID_AEAD_KEY_LEN], uint8_t **out, size_t *outlen);
/* CKR_ENCRYPTED_DATA_INVALID when kek is not the right one. */
CK_RV soft_key_unwrap(const char *serial, soft_role role, const uint8_t kek[CID_AEAD_KEY_LEN],
                      const uint8_t *wrapped, size_t len, uint8_t key[CID_AEAD_KEY_LEN]);
/* A key wrap under a fresh salt, computed before the write transaction
 * so that the KDF never runs while the file is locked. */
typedef struct soft_wrap {
	uint8_t salt[SOFT_SALT_LEN];
	uint8_t *wrapped;
	size_t len;
} soft_wrap;
CK_RV soft_wrap_make(const char *serial, soft_role role, const cid_kdf_params *prm,
                     const CK_UTF8CHAR *pin, CK_ULONG len, const uint8_t key[CID_AEAD_KEY_LEN],
                     soft_wrap *w);
/* Stores a wrap (and its salt) inside the caller's write transaction. */
CK_RV soft_wrap_store(sqlite3 *db, soft_role role, const soft_wrap *w);
void soft_wrap_clear(soft_wrap *w);

bool soft_attr_is_secret(const cid_attrs *a, CK_ATTRIBUTE_TYPE type);
bool soft_attrs_have_secret(const cid_attrs *a);

typedef struct soft_row {
	bool priv;
	uint8_t *attrs;   /* public part, encoded (NULL for private objects) */
	size_t attrs_len;
	uint8_t *sealed;  /* secret part or whole set, sealed (may be NULL) */
	size_t sealed_len;
} soft_row;

void soft_row_clear(soft_row *r);
/* Splits an attribute set into the stored form for object id. */
CK_RV soft_row_seal(const soft_token *t, uint64_t id, const cid_attrs *a, soft_row *r);
/* Rebuilds what the current state may see: with_secrets needs the key. */
CK_RV soft_row_open(const soft_token *t, uint64_t id, const soft_row *r, bool with_secrets,
                    cid_attrs *out);

/* ---- pin.c ---- */

CK_RV soft_login(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV soft_logout(cid_token *tok);
CK_RV soft_init_token(cid_token *tok, const CK_UTF8CHAR *so_pin, CK_ULONG len, const CK_UTF8CHAR label[32]);
CK_RV soft_init_pin(cid_token *tok, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV soft_set_pin(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *old, CK_ULONG oldlen,
                   const CK_UTF8CHAR *new_pin, CK_ULONG newlen);
void soft_forget_key(soft_token *t);

/* ---- record.c: the lifecycle record ---- */
CK_RV soft_get_record(cid_token *tok, uint8_t **rec, size_t *rlen, uint8_t **sig, size_t *slen);
CK_RV soft_put_record(cid_token *tok, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen);
CK_RV soft_audit_event(cid_token *tok, const char *event, const char *detail);

/* ---- unlock.c: the sponsor's one-time unlock code (P4) ---- */
CK_RV soft_set_unlock_code(cid_token *tok, const CK_UTF8CHAR *code, CK_ULONG len, int64_t expires);
CK_RV soft_unlock(cid_token *tok, const CK_UTF8CHAR *code, CK_ULONG len, int64_t now, const CK_UTF8CHAR *pin,
                  CK_ULONG plen);

/* ---- objects.c ---- */

CK_RV soft_changed(cid_token *tok, bool *changed);
/* Before the connection closes: the statements kept prepared on it. */
void soft_objects_forget_statements(soft_token *t);
CK_RV soft_load_objects(cid_token *tok, cid_object_sink sink, void *ctx);
CK_RV soft_load_changes(cid_token *tok, cid_object_sink sink, void *ctx, bool *whole);
CK_RV soft_create_object(cid_token *tok, const cid_attrs *attrs, uint64_t *id);
CK_RV soft_update_object(cid_token *tok, uint64_t id, const cid_attrs *attrs);
CK_RV soft_destroy_object(cid_token *tok, uint64_t id);
CK_RV soft_destroy_keys(cid_token *tok);
/* Inside the caller's write transaction: records that the object set
 * changed, keeping this handle's view current when it was; *gen is the
 * generation of this change (may be NULL). */
CK_RV soft_objects_touched(soft_token *t, int64_t *gen);
/* Inside the caller's write transaction: destroys every object, the
 * lifecycle record and any unlock code (re-initialisation); other
 * processes then load the whole set again. */
CK_RV soft_objects_wipe(soft_token *t);

/* ---- pin.c: taking turns ---- */

/* Waits for this process's turn at the token among all processes (a
 * blocking flock on a hidden file beside it) and returns the descriptor
 * to close when done, or -1 (logged) when turns cannot be taken. */
int soft_take_turn(const soft_token *t);

/* ---- status_cache.c: token statuses kept across processes ---- */

/* Files of the cache beside the tokens (hidden: never a token name). */
#define SOFT_STATUS_CACHE_NAME ".careid-status"

void soft_mark_of(const struct stat *sb, soft_file_mark *m);
bool soft_mark_same(const soft_file_mark *a, const soft_file_mark *b);
/* Reads nothing yet: the file is read at the first scan. */
CK_RV soft_status_cache_new(const char *dir, soft_status_cache **out);
soft_status_cache *soft_status_cache_ref(soft_status_cache *c);
void soft_status_cache_unref(soft_status_cache *c);
/* Before a scan: writes what this process learnt since the last one, then
 * reads the file again if another process replaced it. */
void soft_status_cache_begin_scan(soft_status_cache *c);
/* A token the scan in progress reported; end_scan(ok) closes the scan,
 * and the next write keeps only the tokens an ok scan reported. */
void soft_status_cache_seen(soft_status_cache *c, const char *name);
void soft_status_cache_end_scan(soft_status_cache *c, bool ok);
/* Whether the file under name, stat as db, is one the cache holds a
 * status of (it was read as a token and has not changed since). */
bool soft_status_cache_knows(soft_status_cache *c, const char *name, const soft_file_mark *db);
/* The status kept for name when its file and log stat exactly as db and
 * wal did when it was read. */
bool soft_status_cache_get(soft_status_cache *c, const char *name, const soft_file_mark *db,
                           const soft_file_mark *wal, soft_status_meta *out);
/* Keeps a status read through SQLite after db and wal were taken, both
 * last written long enough before (token.c, QUIET_SECONDS). */
void soft_status_cache_put(soft_status_cache *c, const char *name, const soft_file_mark *db,
                           const soft_file_mark *wal, const soft_status_meta *m);
/* Writes the cache if this process learnt something (temp + rename, 0600). */
void soft_status_cache_save(soft_status_cache *c);

/* ---- token.c ---- */

/* Takes ownership of db and path.  db may be NULL (and serial NULL with
 * it): the file is then opened, checked and its serial learnt at first
 * use. */
CK_RV soft_token_new(sqlite3 *db, char *path, const char serial[SOFT_SERIAL_LEN + 1], cid_token **out);
/* Lets a resting token's status come from the directory's cache (name is
 * the file name in it); false when out of memory (the token then reads
 * its file every time). */
bool soft_token_use_cache(cid_token *tok, soft_status_cache *c, const char *name);
/* Writes a complete new token into an empty, schema-ready database. */
CK_RV soft_token_format(sqlite3 *db, const char *serial, uint32_t kdf_cost, const CK_UTF8CHAR *so_pin,
                        CK_ULONG len, const CK_UTF8CHAR label[32]);
/* Formats a label for the audit trail (printable, trailing blanks cut). */
void soft_label_text(const CK_UTF8CHAR label[32], char out[33]);
/* The token as log lines name it (cid_token_name: label and serial), read
 * afresh since C_InitToken may relabel it; out has CID_TOKEN_NAME_LEN bytes. */
const char *soft_token_name(const soft_token *t, char *out);

#endif
