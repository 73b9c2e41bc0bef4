#include <dlfcn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

void th_pad(CK_UTF8CHAR *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	memset(dst, ' ', n);
	memcpy(dst, src, len < n ? len : n);
}

void th_load(th_env *env)
{
	const char *path = getenv("CAREID_MODULE");
	CK_RV (*get_interface)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS);
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	CK_INTERFACE *iface = NULL;
	CK_VERSION v30 = { 3, 0 };

	if (path == NULL)
		fail_msg("CAREID_MODULE is not set");
	env->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (env->dl == NULL)
		fail_msg("dlopen %s: %s", path, dlerror());
	*(void **)&get_interface = dlsym(env->dl, "C_GetInterface");
	*(void **)&get_list = dlsym(env->dl, "C_GetFunctionList");
	assert_non_null(get_interface);
	assert_non_null(get_list);
	CK(get_interface((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &iface, 0));
	assert_non_null(iface);
	env->f = iface->pFunctionList;
	CK(get_list(&env->f2));
}

void th_unload(th_env *env)
{
	if (env->dl != NULL)
		dlclose(env->dl);
	env->dl = NULL;
	env->f = NULL;
	env->f2 = NULL;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int th_setup_loaded(void **state)
{
	th_env *env = calloc(1, sizeof(*env));
	FILE *f;

	assert_non_null(env);
	snprintf(env->dir, sizeof(env->dir), "%s/careid-test-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(env->dir));
	snprintf(env->conf, sizeof(env->conf), "%s/careid.conf", env->dir);
	f = fopen(env->conf, "w");
	assert_non_null(f);
	/* A low scrypt cost keeps hundreds of logins fast; the rules under
	 * test do not depend on it.  Readers on the host running the tests
	 * must not change the slots. */
	fprintf(f, "token_dir = %s/tokens\nkdf_cost = 10\ncard_readers = no\n", env->dir);
	fclose(f);
	setenv("CAREID_CONF", env->conf, 1);
	th_load(env);
	*state = env;
	return 0;
}

int th_setup(void **state)
{
	th_setup_loaded(state);
	CK(TH_ENV(state)->f->C_Initialize(NULL));
	return 0;
}

int th_teardown(void **state)
{
	th_env *env = *state;

	if (env == NULL)
		return 0;
	if (env->f != NULL)
		(void)env->f->C_Finalize(NULL);
	th_unload(env);
	nftw(env->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(env);
	*state = NULL;
	return 0;
}

void *th_group_new(size_t size)
{
	void *fixture = calloc(1, size);
	void *envp = NULL;

	assert_non_null(fixture);
	assert_int_equal(0, th_setup(&envp));
	/* A pointer to a struct, converted, points to its first member. */
	*(th_env **)fixture = envp;
	return fixture;
}

int th_group_teardown(void **state)
{
	void *envp;

	if (*state == NULL)
		return 0;
	envp = *(th_env **)*state;
	th_teardown(&envp);
	free(*state);
	*state = NULL;
	return 0;
}

static CK_SLOT_ID *slots(th_env *env, CK_ULONG *n)
{
	CK_SLOT_ID *list;

	CK(env->f->C_GetSlotList(CK_FALSE, NULL, n));
	list = calloc(*n + 1, sizeof(*list));
	assert_non_null(list);
	CK(env->f->C_GetSlotList(CK_FALSE, list, n));
	return list;
}

CK_SLOT_ID th_free_slot(th_env *env)
{
	CK_ULONG n;
	CK_SLOT_ID *list = slots(env, &n), found = (CK_SLOT_ID)-1;

	for (CK_ULONG i = 0; i < n; i++) {
		CK_SLOT_INFO si;
		CK_TOKEN_INFO ti;

		CK(env->f->C_GetSlotInfo(list[i], &si));
		if (!(si.flags & CKF_TOKEN_PRESENT))
			continue;
		CK(env->f->C_GetTokenInfo(list[i], &ti));
		if (!(ti.flags & CKF_TOKEN_INITIALIZED)) {
			found = list[i];
			break;
		}
	}
	free(list);
	if (found == (CK_SLOT_ID)-1)
		fail_msg("no free slot");
	return found;
}

CK_SLOT_ID th_slot_of(th_env *env, const char *label)
{
	CK_ULONG n;
	CK_SLOT_ID *list = slots(env, &n), found = (CK_SLOT_ID)-1;
	CK_UTF8CHAR lab[32];

	th_pad(lab, sizeof(lab), label);
	for (CK_ULONG i = 0; i < n && found == (CK_SLOT_ID)-1; i++) {
		CK_TOKEN_INFO ti;

		if (env->f->C_GetTokenInfo(list[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) &&
		    memcmp(ti.label, lab, sizeof(lab)) == 0)
			found = list[i];
	}
	free(list);
	if (found == (CK_SLOT_ID)-1)
		fail_msg("no token labelled %s", label);
	return found;
}

CK_SLOT_ID th_new_token_no_user(th_env *env, const char *label)
{
	CK_SLOT_ID slot = th_free_slot(env);
	CK_UTF8CHAR lab[32];
	CK_TOKEN_INFO ti;

	th_pad(lab, sizeof(lab), label);
	CK(env->f->C_InitToken(slot, (CK_UTF8CHAR_PTR)TH_SO_PIN, strlen(TH_SO_PIN), lab));
	/* The token stays in the slot it was created in. */
	CK(env->f->C_GetTokenInfo(slot, &ti));
	assert_true(ti.flags & CKF_TOKEN_INITIALIZED);
	assert_memory_equal(ti.label, lab, sizeof(lab));
	return slot;
}

CK_SLOT_ID th_new_token(th_env *env, const char *label)
{
	CK_SLOT_ID slot = th_new_token_no_user(env, label);
	CK_SESSION_HANDLE s;

	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	CK(env->f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)TH_SO_PIN, strlen(TH_SO_PIN)));
	CK(env->f->C_InitPIN(s, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN)));
	CK(env->f->C_Logout(s));
	CK(env->f->C_CloseSession(s));
	return slot;
}

CK_SESSION_HANDLE th_user_session(th_env *env, CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s;
	CK_RV rv;

	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	rv = env->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		fail_msg("C_Login: 0x%lx", rv);
	return s;
}

CK_OBJECT_HANDLE th_find_one(th_env *env, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_OBJECT_HANDLE h[2];
	CK_ULONG count = 0;

	CK(env->f->C_FindObjectsInit(s, tmpl, n));
	CK(env->f->C_FindObjects(s, h, 2, &count));
	CK(env->f->C_FindObjectsFinal(s));
	assert_int_equal(count, 1);
	return h[0];
}

/* DER OIDs of the curves the module supports. */
static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const CK_BYTE oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const CK_BYTE oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };

void th_keypair(th_env *env, CK_SESSION_HANDLE s, const char *kind, const char *label,
                CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG bits = 0;
	CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_BYTE id[] = { 0x01 };
	CK_ATTRIBUTE pt[8] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, id, sizeof(id) },
	};
	CK_ATTRIBUTE kt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, id, sizeof(id) },
	};
	CK_ULONG np = 4;

	if (strncmp(kind, "rsa", 3) == 0) {
		bits = strtoul(kind + 3, NULL, 10);
		pt[np++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		pt[np++] = (CK_ATTRIBUTE){ CKA_ENCRYPT, &yes, sizeof(yes) };
	} else if (strcmp(kind, "p256") == 0 || strcmp(kind, "p384") == 0) {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		if (strcmp(kind, "p256") == 0)
			pt[np++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) };
		else
			pt[np++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)oid_p384, sizeof(oid_p384) };
	} else if (strcmp(kind, "ed25519") == 0) {
		mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		pt[np++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)oid_ed25519, sizeof(oid_ed25519) };
	} else {
		fail_msg("unknown key kind %s", kind);
	}
	CK(env->f->C_GenerateKeyPair(s, &mech, pt, np, kt, sizeof(kt) / sizeof(kt[0]), pub, priv));
}
