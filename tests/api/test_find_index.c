/* Searches answer from an index of class, id and label; these tests keep a
 * model of every object next to the module and compare each search with
 * what the model says, after every kind of change that can move an object
 * in or out of the index: creation, copying, destruction, a changed label
 * or id, a closed session, another process's edit, logout. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)
#define MAXOBJ 1024

static const char *const labels[] = { "L0", "L1", "L2", "L3", "", "L5" };
static const char *const ids[] = { "a", "b", "", "cc" };
#define NLABELS (sizeof(labels) / sizeof(labels[0]))
#define NIDS (sizeof(ids) / sizeof(ids[0]))

typedef struct mobj {
	CK_OBJECT_HANDLE h;
	CK_OBJECT_CLASS cls;
	char label[8], id[8];
	bool has_id, alive, token, priv;
	CK_SESSION_HANDLE owner;
} mobj;

typedef struct model {
	th_env *env;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s[2];
	mobj o[MAXOBJ];
	size_t n;
} model;

static int cmp_h(const void *a, const void *b)
{
	CK_OBJECT_HANDLE x = *(const CK_OBJECT_HANDLE *)a, y = *(const CK_OBJECT_HANDLE *)b;
	return x < y ? -1 : x > y;
}

/* Reads what the module says of an object the test did not make (the
 * token's profile object). */
static void adopt(model *m, CK_OBJECT_HANDLE h)
{
	mobj *o = &m->o[m->n++];
	CK_BBOOL tok = CK_FALSE, priv = CK_FALSE;
	CK_ATTRIBUTE a[] = {
		{ CKA_CLASS, &o->cls, sizeof(o->cls) },
		{ CKA_TOKEN, &tok, sizeof(tok) },
		{ CKA_PRIVATE, &priv, sizeof(priv) },
		{ CKA_LABEL, o->label, sizeof(o->label) - 1 },
		{ CKA_ID, o->id, sizeof(o->id) - 1 },
	};
	CK_RV rv;

	memset(o, 0, sizeof(*o));
	rv = m->env->f->C_GetAttributeValue(m->s[0], h, a, 5);
	assert_true(rv == CKR_OK || rv == CKR_ATTRIBUTE_TYPE_INVALID);
	assert_true(a[3].ulValueLen != CK_UNAVAILABLE_INFORMATION);
	o->h = h;
	o->label[a[3].ulValueLen] = 0;
	o->has_id = a[4].ulValueLen != CK_UNAVAILABLE_INFORMATION;
	if (o->has_id)
		o->id[a[4].ulValueLen] = 0;
	o->alive = true;
	o->token = tok;
	o->priv = priv;
}

static size_t find(model *m, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	CK_ULONG got = 0, total = 0;

	CK(m->env->f->C_FindObjectsInit(s, t, n));
	do {
		CK(m->env->f->C_FindObjects(s, out + total, 7, &got));
		total += got;
		assert_true(total <= MAXOBJ);
	} while (got == 7);
	CK(m->env->f->C_FindObjectsFinal(s));
	qsort(out, total, sizeof(*out), cmp_h);
	return total;
}

/* Which model objects the template selects; the template uses only
 * CKA_CLASS, CKA_ID and CKA_LABEL. */
static size_t expect(const model *m, const CK_ATTRIBUTE *t, CK_ULONG n, bool logged_in,
                     CK_OBJECT_HANDLE *out)
{
	size_t k = 0;

	for (size_t i = 0; i < m->n; i++) {
		const mobj *o = &m->o[i];
		bool ok = o->alive && (logged_in || !o->priv);

		for (CK_ULONG j = 0; ok && j < n; j++) {
			if (t[j].type == CKA_CLASS)
				ok = t[j].ulValueLen == sizeof(CK_OBJECT_CLASS) &&
				     *(CK_OBJECT_CLASS *)t[j].pValue == o->cls;
			else if (t[j].type == CKA_LABEL)
				ok = t[j].ulValueLen == strlen(o->label) &&
				     (!t[j].ulValueLen || memcmp(t[j].pValue, o->label, t[j].ulValueLen) == 0);
			else
				ok = o->has_id && t[j].ulValueLen == strlen(o->id) &&
				     (!t[j].ulValueLen || memcmp(t[j].pValue, o->id, t[j].ulValueLen) == 0);
		}
		if (ok)
			out[k++] = o->h;
	}
	qsort(out, k, sizeof(*out), cmp_h);
	return k;
}

static void check_one(model *m, CK_ATTRIBUTE *t, CK_ULONG n, bool logged_in, const char *what)
{
	static CK_OBJECT_HANDLE got[MAXOBJ], want[MAXOBJ];
	size_t ng = find(m, m->s[0], t, n, got), nw = expect(m, t, n, logged_in, want);

	if (ng != nw || memcmp(got, want, ng * sizeof(*got)) != 0)
		fail_msg("search %s: %zu objects found, the model has %zu", what, ng, nw);
}

/* Every search the index can answer, and some it cannot. */
static void check_all(model *m, bool logged_in)
{
	CK_OBJECT_CLASS data = CKO_DATA, sec = CKO_SECRET_KEY, prof = CKO_PROFILE;

	check_one(m, NULL, 0, logged_in, "all");
	check_one(m, &(CK_ATTRIBUTE){ CKA_CLASS, &data, sizeof(data) }, 1, logged_in, "class data");
	check_one(m, &(CK_ATTRIBUTE){ CKA_CLASS, &sec, sizeof(sec) }, 1, logged_in, "class secret");
	check_one(m, &(CK_ATTRIBUTE){ CKA_CLASS, &prof, sizeof(prof) }, 1, logged_in, "class profile");
	for (size_t i = 0; i < NLABELS; i++) {
		CK_ATTRIBUTE t[2] = { { CKA_LABEL, (void *)labels[i], strlen(labels[i]) },
		                      { CKA_CLASS, &sec, sizeof(sec) } };
		check_one(m, t, 1, logged_in, labels[i]);
		check_one(m, t, 2, logged_in, "label and class");
	}
	for (size_t i = 0; i < NIDS; i++) {
		CK_ATTRIBUTE t[2] = { { CKA_ID, (void *)ids[i], strlen(ids[i]) },
		                      { CKA_LABEL, (void *)labels[i], strlen(labels[i]) } };
		check_one(m, t, 1, logged_in, "id");
		check_one(m, t, 2, logged_in, "id and label");
	}
	check_one(m, &(CK_ATTRIBUTE){ CKA_LABEL, "nowhere", 7 }, 1, logged_in, "absent label");
}

static mobj *pick_alive(model *m)
{
	size_t alive = 0, k;

	for (size_t i = 0; i < m->n; i++)
		alive += m->o[i].alive && m->o[i].cls != CKO_PROFILE;
	if (alive == 0)
		return NULL;
	k = (size_t)rand() % alive;
	for (size_t i = 0; i < m->n; i++)
		if (m->o[i].alive && m->o[i].cls != CKO_PROFILE && k-- == 0)
			return &m->o[i];
	return NULL;
}

static void op_create(model *m)
{
	static const CK_BYTE value[16] = "0123456789abcdef";
	mobj *o = &m->o[m->n];
	CK_BBOOL tok = rand() % 3 == 0, priv = rand() % 2, yes = CK_TRUE;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_SESSION_HANDLE s = m->s[rand() % 2];
	const char *l = labels[rand() % NLABELS], *id = ids[rand() % NIDS];
	bool key = rand() % 2;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &o->cls, sizeof(o->cls) },
		{ CKA_TOKEN, &tok, sizeof(tok) },
		{ CKA_PRIVATE, &priv, sizeof(priv) },
		{ CKA_LABEL, (void *)l, strlen(l) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_VALUE, (void *)value, sizeof(value) },
		{ CKA_ID, (void *)id, strlen(id) },
		{ CKA_SIGN, &yes, sizeof(yes) },
	};

	if (m->n == MAXOBJ)
		return;
	memset(o, 0, sizeof(*o));
	o->cls = key ? CKO_SECRET_KEY : CKO_DATA;
	CK(m->env->f->C_CreateObject(s, t, key ? 8 : 4, &o->h));
	snprintf(o->label, sizeof(o->label), "%s", l);
	snprintf(o->id, sizeof(o->id), "%s", id);
	o->has_id = key;
	o->alive = true;
	o->token = tok;
	o->priv = priv;
	o->owner = tok ? 0 : s;
	m->n++;
}

static void op_copy(model *m)
{
	mobj *src = pick_alive(m), *o = &m->o[m->n];
	CK_SESSION_HANDLE s = m->s[rand() % 2];
	const char *l = labels[rand() % NLABELS];
	CK_ATTRIBUTE t = { CKA_LABEL, (void *)l, strlen(l) };

	if (!src || m->n == MAXOBJ)
		return;
	*o = *src;
	CK(m->env->f->C_CopyObject(s, src->h, &t, 1, &o->h));
	snprintf(o->label, sizeof(o->label), "%s", l);
	o->owner = o->token ? 0 : s;
	m->n++;
}

static void op_destroy(model *m)
{
	mobj *o = pick_alive(m);

	if (!o)
		return;
	CK(m->env->f->C_DestroyObject(m->s[rand() % 2], o->h));
	o->alive = false;
}

static void op_set(model *m)
{
	mobj *o = pick_alive(m);
	const char *l = labels[rand() % NLABELS], *id = ids[rand() % NIDS];
	CK_ATTRIBUTE t[2] = { { CKA_LABEL, (void *)l, strlen(l) }, { CKA_ID, (void *)id, strlen(id) } };

	if (!o)
		return;
	CK(m->env->f->C_SetAttributeValue(m->s[0], o->h, t, o->has_id ? 2 : 1));
	snprintf(o->label, sizeof(o->label), "%s", l);
	if (o->has_id)
		snprintf(o->id, sizeof(o->id), "%s", id);
}

/* The second session ends: its session objects with it, nothing else. */
static void op_close(model *m)
{
	CK(m->env->f->C_CloseSession(m->s[1]));
	for (size_t i = 0; i < m->n; i++)
		if (m->o[i].alive && !m->o[i].token && m->o[i].owner == m->s[1])
			m->o[i].alive = false;
	CK(m->env->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &m->s[1]));
}

static void model_start(model *m, th_env *env, const char *label)
{
	static CK_OBJECT_HANDLE h[MAXOBJ];
	size_t n;

	memset(m, 0, sizeof(*m));
	m->env = env;
	m->slot = th_new_token(env, label);
	m->s[0] = th_user_session(env, m->slot);
	CK(env->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &m->s[1]));
	n = find(m, m->s[0], NULL, 0, h);
	for (size_t i = 0; i < n; i++)
		adopt(m, h[i]);
}

static void test_index_follows_every_change(void **state)
{
	static model m;
	unsigned seed = getenv("CAREID_TEST_SEED") ? (unsigned)atoi(getenv("CAREID_TEST_SEED")) : 7;

	srand(seed);
	model_start(&m, TH_ENV(state), "find-index");
	for (int round = 0; round < 400; round++) {
		int r = rand() % 10;

		if (r < 4)
			op_create(&m);
		else if (r < 6)
			op_set(&m);
		else if (r < 7)
			op_copy(&m);
		else if (r < 9)
			op_destroy(&m);
		else
			op_close(&m);
		check_all(&m, true);
	}
	CK(m.env->f->C_Logout(m.s[0]));
	for (size_t i = 0; i < m.n; i++)
		if (m.o[i].priv)
			m.o[i].alive = false;
	check_all(&m, false);
}

/* Closing a session leaves the other session's objects and every token
 * object in place, also when a search was running over them. */
static void test_close_keeps_other_sessions_objects(void **state)
{
	static model m;

	srand(11);
	model_start(&m, TH_ENV(state), "find-close");
	CK_SESSION_HANDLE s3;
	CK_OBJECT_HANDLE got[MAXOBJ], want[MAXOBJ];
	CK_ULONG ng = 0;

	for (int i = 0; i < 60; i++)
		op_create(&m);
	CK(m.env->f->C_OpenSession(m.slot, CKF_SERIAL_SESSION, NULL, NULL, &s3));
	CK(m.env->f->C_FindObjectsInit(s3, NULL, 0));
	op_close(&m);
	check_all(&m, true);
	CK(m.env->f->C_FindObjects(s3, got, MAXOBJ, &ng));
	CK(m.env->f->C_FindObjectsFinal(s3));
	assert_int_equal(ng, expect(&m, NULL, 0, true, want));
}

/* Another process renames a token object: this process's next search
 * finds it under the new label, with the same handle, and not under the
 * old one. */
/* In a child (no cmocka there): the slot of the token labelled label, or
 * (CK_SLOT_ID)-1. */
static CK_SLOT_ID child_slot_of(th_env *env, const char *label)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	CK_UTF8CHAR want[32];

	th_pad(want, sizeof(want), label);
	if (env->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return (CK_SLOT_ID)-1;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (env->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && memcmp(ti.label, want, 32) == 0)
			return slots[i];
	}
	return (CK_SLOT_ID)-1;
}

static void test_other_process_rename(void **state)
{
	static model m;
	th_env *env = TH_ENV(state);
	CK_BBOOL yes = CK_TRUE;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &data, sizeof(data) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_LABEL, "before", 6 },
	};
	CK_OBJECT_HANDLE h;
	int status = 0;
	pid_t pid;

	model_start(&m, env, "find-rename");
	CK(env->f->C_CreateObject(m.s[0], t, 3, &h));
	assert_int_equal(h, th_find_one(env, m.s[0], &t[2], 1));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		CK_OBJECT_HANDLE ch;
		CK_ULONG got = 0;
		CK_ATTRIBUTE after = { CKA_LABEL, "after", 5 };

		if (env->f->C_Initialize(NULL) != CKR_OK)
			_exit(10);
		if (env->f->C_OpenSession(child_slot_of(env, "find-rename"), CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK)
			_exit(11);
		if (env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)) != CKR_OK)
			_exit(12);
		if (env->f->C_FindObjectsInit(s, &t[2], 1) != CKR_OK ||
		    env->f->C_FindObjects(s, &ch, 1, &got) != CKR_OK || got != 1 ||
		    env->f->C_FindObjectsFinal(s) != CKR_OK)
			_exit(13);
		if (env->f->C_SetAttributeValue(s, ch, &after, 1) != CKR_OK)
			_exit(14);
		env->f->C_Finalize(NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("the other process failed at step %d", WEXITSTATUS(status));
	assert_int_equal(h, th_find_one(env, m.s[0], &(CK_ATTRIBUTE){ CKA_LABEL, "after", 5 }, 1));
	assert_int_equal(0, find(&m, m.s[0], &t[2], 1, (CK_OBJECT_HANDLE[MAXOBJ]){ 0 }));
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

	CK(env->f->C_CreateObject(s, t, 4, &h));
	return h;
}

/* Another process destroys one object, makes one and renames one: this
 * process sees exactly that, and the objects it did not touch keep their
 * handles. */
static void test_other_process_changes(void **state)
{
	static model m;
	th_env *env = TH_ENV(state);
	CK_OBJECT_HANDLE a, b, c, d;
	CK_ATTRIBUTE lab = { CKA_LABEL, NULL, 0 };
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_OBJECT_HANDLE got[MAXOBJ];
	int status = 0;
	pid_t pid;

	model_start(&m, env, "find-changes");
	a = token_data(env, m.s[0], "a");
	b = token_data(env, m.s[0], "b");
	c = token_data(env, m.s[0], "c");
	assert_int_equal(3, find(&m, m.s[0], &(CK_ATTRIBUTE){ CKA_CLASS, &data, sizeof(data) }, 1, got));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		CK_OBJECT_HANDLE hb, hc;
		CK_ULONG got1 = 0, got2 = 0;
		CK_ATTRIBUTE tb = { CKA_LABEL, "b", 1 }, tc = { CKA_LABEL, "c", 1 }, c2 = { CKA_LABEL, "c2", 2 };

		if (env->f->C_Initialize(NULL) != CKR_OK ||
		    env->f->C_OpenSession(child_slot_of(env, "find-changes"), CKF_SERIAL_SESSION | CKF_RW_SESSION,
		                          NULL, NULL, &s) != CKR_OK)
			_exit(10);
		if (env->f->C_FindObjectsInit(s, &tb, 1) != CKR_OK || env->f->C_FindObjects(s, &hb, 1, &got1) != CKR_OK ||
		    env->f->C_FindObjectsFinal(s) != CKR_OK || env->f->C_FindObjectsInit(s, &tc, 1) != CKR_OK ||
		    env->f->C_FindObjects(s, &hc, 1, &got2) != CKR_OK || env->f->C_FindObjectsFinal(s) != CKR_OK ||
		    got1 != 1 || got2 != 1)
			_exit(11);
		if (env->f->C_DestroyObject(s, hb) != CKR_OK || env->f->C_SetAttributeValue(s, hc, &c2, 1) != CKR_OK)
			_exit(12);
		env->f->C_Finalize(NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("the other process failed at step %d", WEXITSTATUS(status));
	/* The parent writes too, after the other process: its own new object
	 * must not come back twice. */
	d = token_data(env, m.s[0], "d");
	assert_int_equal(3, find(&m, m.s[0], &(CK_ATTRIBUTE){ CKA_CLASS, &data, sizeof(data) }, 1, got));
	assert_int_equal(a, th_find_one(env, m.s[0], &(CK_ATTRIBUTE){ CKA_LABEL, "a", 1 }, 1));
	assert_int_equal(c, th_find_one(env, m.s[0], &(CK_ATTRIBUTE){ CKA_LABEL, "c2", 2 }, 1));
	assert_int_equal(d, th_find_one(env, m.s[0], &(CK_ATTRIBUTE){ CKA_LABEL, "d", 1 }, 1));
	assert_int_equal(0, find(&m, m.s[0], &(CK_ATTRIBUTE){ CKA_LABEL, "b", 1 }, 1, got));
	assert_int_equal(CKR_OBJECT_HANDLE_INVALID, env->f->C_GetAttributeValue(m.s[0], b, &lab, 1));
}

/* Templates the index must not answer wrongly: a NULL value with a
 * length, a class of the wrong size, an attribute it does not index. */
static void test_odd_templates(void **state)
{
	static model m;
	static CK_OBJECT_HANDLE got[MAXOBJ];
	CK_BYTE small = CKO_DATA;
	CK_BBOOL yes = CK_TRUE;

	srand(3);
	model_start(&m, TH_ENV(state), "find-odd");
	for (int i = 0; i < 30; i++)
		op_create(&m);
	assert_int_equal(0, find(&m, m.s[0], &(CK_ATTRIBUTE){ CKA_LABEL, NULL, 2 }, 1, got));
	assert_int_equal(0, find(&m, m.s[0], &(CK_ATTRIBUTE){ CKA_CLASS, &small, 1 }, 1, got));
	CK_ATTRIBUTE two[2] = { { CKA_LABEL, NULL, 2 }, { CKA_SIGN, &yes, sizeof(yes) } };
	assert_int_equal(0, find(&m, m.s[0], two, 2, got));
	/* CKA_SIGN is not indexed: a scan answers, and must agree with a
	 * count of the keys the model holds. */
	size_t keys = 0;
	for (size_t i = 0; i < m.n; i++)
		keys += m.o[i].alive && m.o[i].cls == CKO_SECRET_KEY;
	assert_int_equal(keys, find(&m, m.s[0], &two[1], 1, got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_index_follows_every_change, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_close_keeps_other_sessions_objects, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_other_process_rename, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_other_process_changes, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_odd_templates, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
