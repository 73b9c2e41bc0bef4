/* The soft token's objects: visibility, nothing secret at rest, tampering, the audit chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/log.h"
#include "policy/policy.h"
#include "soft/soft_audit.h"
#include "soft_fixture.h"

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

/* ---- following another process's changes ---- */

typedef struct report {
	size_t n;
	uint64_t ids[16];
	bool gone[16];
	char label[16][16];
} report;

static CK_RV collect_change(void *ctx, uint64_t id, const cid_attrs *attrs)
{
	report *r = ctx;
	const CK_ATTRIBUTE *l = attrs ? cid_attrs_get(attrs, CKA_LABEL) : NULL;

	assert_true(r->n < 16);
	r->ids[r->n] = id;
	r->gone[r->n] = attrs == NULL;
	r->label[r->n][0] = 0;
	if (l && l->ulValueLen < 16) {
		memcpy(r->label[r->n], l->pValue, l->ulValueLen);
		r->label[r->n][l->ulValueLen] = 0;
	}
	r->n++;
	return CKR_OK;
}

static bool whole_report(cid_token *t, report *r)
{
	bool whole = true;

	memset(r, 0, sizeof(*r));
	assert_int_equal(CKR_OK, t->ops->load_changes(t, collect_change, r, &whole));
	return whole;
}

static int at(const report *r, uint64_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->ids[i] == id)
			return (int)i;
	return -1;
}

static void relabel(cid_token *t, uint64_t id, const char *label)
{
	cid_attrs a;

	public_cert(&a, label);
	assert_int_equal(CKR_OK, t->ops->update_object(t, id, &a));
	cid_attrs_clear(&a);
}

/* Only what another handle wrote is reported, and exactly that. */
static void test_changes_only(void **state)
{
	fx *f = *state;
	cid_token *b;
	cid_attrs a;
	uint64_t x, y, z, w;
	report r;
	seen s = { 0 };
	bool ch = false;

	make_token(f, true);
	public_cert(&a, "x");
	x = create(f->t, &a);
	public_cert(&a, "y");
	y = create(f->t, &a);
	public_cert(&a, "z");
	z = create(f->t, &a);
	assert_int_equal(3, load(f->t, &s));
	b = open_again(f);
	public_cert(&a, "w");
	w = create(b, &a);
	relabel(b, y, "y2");
	assert_int_equal(CKR_OK, b->ops->destroy_object(b, z));
	assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
	assert_true(ch);
	assert_false(whole_report(f->t, &r));
	assert_int_equal(3, r.n);
	assert_int_equal(-1, at(&r, x));
	assert_false(r.gone[at(&r, w)]);
	assert_string_equal("w", r.label[at(&r, w)]);
	assert_string_equal("y2", r.label[at(&r, y)]);
	assert_true(r.gone[at(&r, z)]);
	assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
	assert_false(ch);
	assert_false(whole_report(f->t, &r));
	assert_int_equal(0, r.n);
	/* Our own write, after another's we have not read, comes with it. */
	relabel(b, x, "x2");
	relabel(f->t, w, "w2");
	assert_false(whole_report(f->t, &r));
	assert_int_equal(2, r.n);
	assert_string_equal("x2", r.label[at(&r, x)]);
	assert_string_equal("w2", r.label[at(&r, w)]);
	b->ops->release(b);
	seen_clear(&s);
}

/* An object made private is gone for a handle nobody logged in to. */
static void test_changes_hide_private(void **state)
{
	fx *f = *state;
	cid_token *b;
	cid_attrs a;
	uint64_t x;
	report r;
	seen s = { 0 };

	make_token(f, true);
	public_cert(&a, "x");
	x = create(f->t, &a);
	assert_int_equal(1, load(f->t, &s));
	b = open_again(f);
	assert_int_equal(CKR_OK, login(b, CKU_USER, USER_PIN));
	public_cert(&a, "x");
	assert_int_equal(CKR_OK, cid_attrs_set_bool(&a, CKA_PRIVATE, true));
	assert_int_equal(CKR_OK, b->ops->update_object(b, x, &a));
	cid_attrs_clear(&a);
	assert_false(whole_report(f->t, &r));
	assert_int_equal(1, r.n);
	assert_true(r.gone[0]);
	b->ops->release(b);
	seen_clear(&s);
}

/* Re-initialisation leaves no tombstones: everyone loads everything. */
static void test_changes_after_reinit(void **state)
{
	fx *f = *state;
	cid_token *b;
	cid_attrs a;
	CK_UTF8CHAR label[32];
	report r;
	seen s = { 0 };

	make_token(f, true);
	public_cert(&a, "x");
	(void)create(f->t, &a);
	assert_int_equal(1, load(f->t, &s));
	b = open_again(f);
	label32(label, "again");
	assert_int_equal(CKR_OK, b->ops->init_token(b, (const CK_UTF8CHAR *)SO_PIN, strlen(SO_PIN), label));
	assert_true(whole_report(f->t, &r));
	assert_int_equal(0, r.n);
	b->ops->release(b);
	seen_clear(&s);
}

/* A file of the first schema (no generations, no tombstones) is read as
 * it is, brought up to date by its first object write, and followed
 * change by change from then on. */
static void test_changes_from_schema_1(void **state)
{
	fx *f = *state;
	cid_token *a1, *b;
	cid_attrs a;
	uint64_t x, y, w;
	report r;
	seen s = { 0 };

	make_token(f, true);
	public_cert(&a, "x");
	x = create(f->t, &a);
	public_cert(&a, "y");
	y = create(f->t, &a);
	f->t->ops->release(f->t);
	f->t = NULL;
	assert_int_equal(0, raw_exec(f->path,
	                             "CREATE TABLE o1 (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	                             " private INTEGER NOT NULL CHECK (private IN (0, 1)), attrs BLOB, sealed BLOB);"
	                             "INSERT INTO o1 SELECT id, private, attrs, sealed FROM objects;"
	                             "DROP TABLE objects; ALTER TABLE o1 RENAME TO objects;"
	                             "DROP TABLE gone; PRAGMA user_version=1;"));
	a1 = open_again(f);
	assert_int_equal(2, load(a1, &s));
	/* Nothing written: the reader cannot follow changes and says so. */
	assert_true(whole_report(a1, &r));
	assert_int_equal(2, r.n);
	b = open_again(f);
	public_cert(&a, "w");
	w = create(b, &a);
	assert_int_equal(2, raw_int(f->path, "PRAGMA user_version"));
	assert_false(whole_report(a1, &r));
	assert_int_equal(1, r.n);
	assert_int_equal(w, r.ids[0]);
	assert_int_equal(CKR_OK, b->ops->destroy_object(b, y));
	relabel(b, x, "x2");
	assert_false(whole_report(a1, &r));
	assert_int_equal(2, r.n);
	assert_true(r.gone[at(&r, y)]);
	assert_string_equal("x2", r.label[at(&r, x)]);
	a1->ops->release(a1);
	b->ops->release(b);
	seen_clear(&s);
}

/* Tombstones are bounded; a handle that fell further behind than they
 * reach loads everything instead of missing a destruction. */
static void test_changes_fall_behind(void **state)
{
	fx *f = *state;
	cid_token *b;
	cid_attrs a;
	report r;
	seen s = { 0 };

	make_token(f, true);
	assert_int_equal(0, load(f->t, &s));
	b = open_again(f);
	/* Thousands of writes later (the counter moved by hand, old
	 * tombstones planted), with a few real destructions on top. */
	assert_int_equal(0, raw_exec(f->path, "UPDATE meta SET value = 8000 WHERE key = 'objects_generation';"
	                                      "INSERT INTO gone (gen, id) VALUES (5, 1000), (3000, 1001), (7990, 1002);"));
	for (int i = 0; i < 300; i++) {
		public_cert(&a, "churn");
		assert_int_equal(CKR_OK, b->ops->destroy_object(b, create(b, &a)));
	}
	assert_int_equal(0, raw_int(f->path, "SELECT count(*) FROM gone WHERE gen < 4000"));
	assert_int_equal(1, raw_int(f->path, "SELECT count(*) FROM gone WHERE id = 1002"));
	assert_true(raw_int(f->path, "SELECT value FROM meta WHERE key = 'tombstones_from'") > 4000);
	assert_true(whole_report(f->t, &r));
	assert_int_equal(0, r.n);
	/* Caught up again: the next change is a change. */
	public_cert(&a, "last");
	(void)create(b, &a);
	assert_false(whole_report(f->t, &r));
	assert_int_equal(1, r.n);
	b->ops->release(b);
	seen_clear(&s);
}

/* Between commits a check reads nothing, yet the very next check after
 * another handle's object write says so, and a commit that wrote no
 * object (a try counter, a label) is no change. */
static void test_changes_seen_at_once(void **state)
{
	fx *f = *state;
	cid_token *b;
	cid_attrs a;
	uint64_t w;
	report r;
	seen s = { 0 };
	bool ch = true;

	make_token(f, true);
	public_cert(&a, "x");
	(void)create(f->t, &a);
	assert_int_equal(1, load(f->t, &s));
	b = open_again(f);
	for (int i = 0; i < 3; i++) {
		ch = true;
		assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
		assert_false(ch);
	}
	assert_int_equal(0, raw_exec(f->path, "UPDATE meta SET value = value WHERE key = 'label'"));
	assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
	assert_false(ch);
	for (int i = 0; i < 3; i++) {
		public_cert(&a, "w");
		w = create(b, &a);
		assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
		assert_true(ch);
		assert_false(whole_report(f->t, &r));
		assert_int_equal(1, r.n);
		assert_int_equal(w, r.ids[0]);
		assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
		assert_false(ch);
		assert_int_equal(CKR_OK, b->ops->destroy_object(b, w));
		assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
		assert_true(ch);
		assert_false(whole_report(f->t, &r));
		assert_int_equal(1, r.n);
		assert_true(r.gone[0]);
	}
	b->ops->release(b);
	seen_clear(&s);
}

/* What a check read is what the load after it reports; a commit that
 * came in between is a change still to be seen, not one already seen. */
static void test_changes_between_check_and_load(void **state)
{
	fx *f = *state;
	cid_token *b;
	cid_attrs a;
	uint64_t w, v;
	report r;
	seen s = { 0 };
	bool ch = false;

	make_token(f, true);
	assert_int_equal(0, load(f->t, &s));
	b = open_again(f);
	public_cert(&a, "w");
	w = create(b, &a);
	assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
	assert_true(ch);
	public_cert(&a, "v");
	v = create(b, &a);
	assert_false(whole_report(f->t, &r));
	assert_int_equal(1, r.n);
	assert_int_equal(w, r.ids[0]);
	assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
	assert_true(ch);
	assert_false(whole_report(f->t, &r));
	assert_int_equal(1, r.n);
	assert_int_equal(v, r.ids[0]);
	assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
	assert_false(ch);
	/* Our own write in between: what the check read is read again. */
	public_cert(&a, "u");
	(void)create(b, &a);
	assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
	assert_true(ch);
	relabel(f->t, w, "w2");
	assert_false(whole_report(f->t, &r));
	assert_int_equal(2, r.n);
	assert_string_equal("w2", r.label[at(&r, w)]);
	b->ops->release(b);
	seen_clear(&s);
}

/* A change read that fails says so, at the check and at the load, for as
 * long as it fails; nothing is taken as seen meanwhile. */
static void test_changes_read_fails(void **state)
{
	fx *f = *state;
	cid_token *b;
	cid_attrs a;
	uint64_t w;
	report r;
	seen s = { 0 };
	bool ch = false, whole = false;

	make_token(f, true);
	assert_int_equal(0, load(f->t, &s));
	b = open_again(f);
	public_cert(&a, "first");
	(void)create(b, &a);
	assert_false(whole_report(f->t, &r));
	assert_int_equal(1, r.n);
	public_cert(&a, "w");
	w = create(b, &a);
	assert_int_equal(0, raw_exec(f->path, "ALTER TABLE gone RENAME TO gone_away"));
	for (int i = 0; i < 2; i++) {
		ch = false;
		assert_int_equal(CKR_DEVICE_ERROR, f->t->ops->changed(f->t, &ch));
		memset(&r, 0, sizeof(r));
		assert_int_equal(CKR_DEVICE_ERROR, f->t->ops->load_changes(f->t, collect_change, &r, &whole));
	}
	assert_int_equal(0, raw_exec(f->path, "ALTER TABLE gone_away RENAME TO gone"));
	assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
	assert_true(ch);
	assert_false(whole_report(f->t, &r));
	assert_int_equal(1, r.n);
	assert_int_equal(w, r.ids[0]);
	b->ops->release(b);
	seen_clear(&s);
}

static CK_RV refuse_change(void *ctx, uint64_t id, const cid_attrs *attrs)
{
	(void)ctx;
	(void)id;
	(void)attrs;
	return CKR_HOST_MEMORY;
}

/* Changes the front could not take are still changes at the next check. */
static void test_changes_not_taken(void **state)
{
	fx *f = *state;
	cid_token *b;
	cid_attrs a;
	uint64_t w;
	report r;
	seen s = { 0 };
	bool ch = false, whole = false;

	make_token(f, true);
	assert_int_equal(0, load(f->t, &s));
	b = open_again(f);
	public_cert(&a, "w");
	w = create(b, &a);
	for (int i = 0; i < 2; i++) {
		/* First through what the check read, then read by the load. */
		if (i == 0) {
			assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
			assert_true(ch);
		}
		assert_int_equal(CKR_HOST_MEMORY, f->t->ops->load_changes(f->t, refuse_change, NULL, &whole));
		assert_false(whole);
		ch = false;
		assert_int_equal(CKR_OK, f->t->ops->changed(f->t, &ch));
		assert_true(ch);
	}
	assert_false(whole_report(f->t, &r));
	assert_int_equal(1, r.n);
	assert_int_equal(w, r.ids[0]);
	b->ops->release(b);
	seen_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_visibility, setup, teardown),
		cmocka_unit_test_setup_teardown(test_at_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampering_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_deletions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_hide_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_after_reinit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_from_schema_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_fall_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_seen_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_between_check_and_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_read_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_not_taken, setup, teardown),
	};

	cid_log_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
