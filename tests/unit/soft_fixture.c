/* The soft-token unit tests' shared fixture: a token directory per test, a
 * token in it, and raw SQLite access to its file. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "soft_fixture.h"

void label32(CK_UTF8CHAR out[32], const char *s)
{
	memset(out, ' ', 32);
	memcpy(out, s, strlen(s));
}

CK_FLAGS flags(cid_token *t)
{
	cid_token_status st;

	assert_int_equal(t->ops->status(t, &st), CKR_OK);
	return st.flags;
}

int64_t raw_int(const char *path, const char *sql)
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

int64_t raw_tries(const char *path, const char *which)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT value FROM meta WHERE key = '%s'", which);
	return raw_int(path, sql);
}

int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

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

void seen_clear(seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		cid_attrs_clear(&s->a[i]);
	s->n = 0;
}

size_t load(cid_token *t, seen *s)
{
	seen_clear(s);
	assert_int_equal(t->ops->load_objects(t, collect, s), CKR_OK);
	return s->n;
}

/* Index in s of the object with that id, or -1. */
int find_id(const seen *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return (int)i;
	return -1;
}

bool has_value(const cid_attrs *a, CK_ATTRIBUTE_TYPE t, const char *v)
{
	const CK_ATTRIBUTE *at = cid_attrs_get(a, t);

	return at != NULL && at->ulValueLen == strlen(v) && memcmp(at->pValue, v, strlen(v)) == 0;
}

void add_ulong(cid_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	assert_int_equal(cid_attrs_set_ulong(a, t, v), CKR_OK);
}

void add_str(cid_attrs *a, CK_ATTRIBUTE_TYPE t, const char *v)
{
	assert_int_equal(cid_attrs_set(a, t, v, strlen(v)), CKR_OK);
}

/* A private data object with markers in its label and value. */
void private_data(cid_attrs *a)
{
	cid_attrs_init(a);
	add_ulong(a, CKA_CLASS, CKO_DATA);
	assert_int_equal(cid_attrs_set_bool(a, CKA_TOKEN, true), CKR_OK);
	assert_int_equal(cid_attrs_set_bool(a, CKA_PRIVATE, true), CKR_OK);
	add_str(a, CKA_LABEL, MARK_LABEL);
	add_str(a, CKA_VALUE, MARK_VALUE);
}

/* A key object marked public but holding a secret component. */
void public_rsa_private_key(cid_attrs *a)
{
	cid_attrs_init(a);
	add_ulong(a, CKA_CLASS, CKO_PRIVATE_KEY);
	add_ulong(a, CKA_KEY_TYPE, CKK_RSA);
	assert_int_equal(cid_attrs_set_bool(a, CKA_PRIVATE, false), CKR_OK);
	add_str(a, CKA_LABEL, "rsa-key");
	add_str(a, CKA_MODULUS, "modulus-bytes");
	add_str(a, CKA_PRIVATE_EXPONENT, MARK_EXP);
}

void public_cert(cid_attrs *a, const char *label)
{
	cid_attrs_init(a);
	add_ulong(a, CKA_CLASS, CKO_CERTIFICATE);
	assert_int_equal(cid_attrs_set_bool(a, CKA_PRIVATE, false), CKR_OK);
	add_str(a, CKA_LABEL, label);
	add_str(a, CKA_VALUE, MARK_PUBLIC);
}

uint64_t create(cid_token *t, cid_attrs *a)
{
	uint64_t id = 0;

	assert_int_equal(t->ops->create_object(t, a, &id), CKR_OK);
	assert_true(id != 0);
	cid_attrs_clear(a);
	return id;
}

cid_token *open_again(fx *f)
{
	cid_token *t = NULL;

	assert_int_equal(f->p->ops->open(f->p, f->key, &t), CKR_OK);
	return t;
}

/* A new token with the user passcode set and nobody logged in. */
void make_token(fx *f, bool with_user)
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

int setup(void **state)
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

int teardown(void **state)
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
