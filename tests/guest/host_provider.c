/* A host whose OpenSSL routes SHA-256 back into careid.
 *
 * The situation of `openssl` with pkcs11-provider loading careid: the
 * default library context holds a provider that answers SHA-256 and, to
 * do so, calls into the same PKCS#11 module.  Were careid to fetch its own
 * algorithms from that context, its C_Login (scrypt, HMAC-SHA-256) would
 * re-enter the module while holding the slot's lock and hang.  This host
 * builds that trap with an in-process provider preferred for SHA-256,
 * re-entering careid with C_OpenSession, and checks that careid's logins,
 * key generation and signatures never step into it, while the host's own
 * SHA-256 does (so the trap is live).  A watchdog turns a hang into a
 * failure. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "harness.h"

#define TRAP_NAME "careid-test-reentry"
#define WATCHDOG_SECONDS 120

static atomic_int routed;      /* SHA-256 inits that reached the trap */
static atomic_int reentered;   /* of those, calls back into careid that succeeded */
static CK_FUNCTION_LIST_3_0 *module;
static CK_SLOT_ID trap_slot = (CK_SLOT_ID)-1;
static OSSL_LIB_CTX *impl_ctx; /* where the trap computes real SHA-256 */
static EVP_MD *impl_md;
static OSSL_PROVIDER *loaded[3]; /* the host's, unloaded at exit */

/* ---- the trap provider ---------------------------------------------------- */

static void reenter(void)
{
	CK_SESSION_HANDLE s;

	atomic_fetch_add(&routed, 1);
	if (module == NULL || trap_slot == (CK_SLOT_ID)-1)
		return;
	if (module->C_OpenSession(trap_slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK) {
		module->C_CloseSession(s);
		atomic_fetch_add(&reentered, 1);
	}
}

static void *d_newctx(void *provctx)
{
	(void)provctx;
	return EVP_MD_CTX_new();
}

static void d_freectx(void *c)
{
	EVP_MD_CTX_free(c);
}

static void *d_dupctx(void *c)
{
	EVP_MD_CTX *d = EVP_MD_CTX_new();

	if (d != NULL && !EVP_MD_CTX_copy_ex(d, c)) {
		EVP_MD_CTX_free(d);
		d = NULL;
	}
	return d;
}

static int d_init(void *c, const OSSL_PARAM params[])
{
	(void)params;
	reenter();
	return EVP_DigestInit_ex2(c, impl_md, NULL);
}

static int d_update(void *c, const unsigned char *in, size_t n)
{
	return EVP_DigestUpdate(c, in, n);
}

static int d_final(void *c, unsigned char *out, size_t *outl, size_t outsz)
{
	unsigned int n = 0;

	if (outsz < 32 || !EVP_DigestFinal_ex(c, out, &n))
		return 0;
	*outl = n;
	return 1;
}

static int d_get_params(OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_BLOCK_SIZE)) != NULL && !OSSL_PARAM_set_size_t(p, 64))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_SIZE)) != NULL && !OSSL_PARAM_set_size_t(p, 32))
		return 0;
	return 1;
}

static const OSSL_PARAM *d_gettable(void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_BLOCK_SIZE, NULL),
		OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_SIZE, NULL),
		OSSL_PARAM_END,
	};
	(void)provctx;
	return t;
}

#define FN(id, f) { id, (void (*)(void))(f) }
static const OSSL_DISPATCH sha256_fns[] = {
	FN(OSSL_FUNC_DIGEST_NEWCTX, d_newctx),
	FN(OSSL_FUNC_DIGEST_FREECTX, d_freectx),
	FN(OSSL_FUNC_DIGEST_DUPCTX, d_dupctx),
	FN(OSSL_FUNC_DIGEST_INIT, d_init),
	FN(OSSL_FUNC_DIGEST_UPDATE, d_update),
	FN(OSSL_FUNC_DIGEST_FINAL, d_final),
	FN(OSSL_FUNC_DIGEST_GET_PARAMS, d_get_params),
	FN(OSSL_FUNC_DIGEST_GETTABLE_PARAMS, d_gettable),
	{ 0, NULL },
};

static const OSSL_ALGORITHM digests[] = {
	{ "SHA2-256:SHA-256:SHA256:2.16.840.1.101.3.4.2.1", "provider=" TRAP_NAME, sha256_fns, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const OSSL_ALGORITHM *p_query(void *provctx, int op, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	return op == OSSL_OP_DIGEST ? digests : NULL;
}

static const OSSL_DISPATCH p_fns[] = {
	FN(OSSL_FUNC_PROVIDER_QUERY_OPERATION, p_query),
	{ 0, NULL },
};

static int p_init(const OSSL_CORE_HANDLE *h, const OSSL_DISPATCH *in, const OSSL_DISPATCH **out, void **provctx)
{
	(void)h;
	(void)in;
	*out = p_fns;
	*provctx = (void *)p_fns;
	return 1;
}

/* ---- the host ------------------------------------------------------------- */

static void on_watchdog(int sig)
{
	static const char msg[] = "host_provider: careid hung: its own cryptography reached the host's "
	                          "provider, which called back into careid\n";
	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static int arm_trap(void)
{
	impl_ctx = OSSL_LIB_CTX_new();
	if (impl_ctx == NULL || (loaded[0] = OSSL_PROVIDER_load(impl_ctx, "default")) == NULL ||
	    (impl_md = EVP_MD_fetch(impl_ctx, "SHA256", NULL)) == NULL)
		return -1;
	if (!OSSL_PROVIDER_add_builtin(NULL, TRAP_NAME, p_init) ||
	    (loaded[1] = OSSL_PROVIDER_load(NULL, TRAP_NAME)) == NULL ||
	    (loaded[2] = OSSL_PROVIDER_load(NULL, "default")) == NULL ||
	    !EVP_set_default_properties(NULL, "?provider=" TRAP_NAME))
		return -1;
	signal(SIGALRM, on_watchdog);
	alarm(WATCHDOG_SECONDS);
	return 0;
}

static void sign_with(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, CK_MECHANISM m)
{
	CK_BYTE sig[512];
	CK_ULONG n = sizeof(sig);

	CK(env->f->C_SignInit(s, &m, priv));
	CK(env->f->C_Sign(s, (CK_BYTE_PTR)"guest", 5, sig, &n));
	assert_true(n > 0);
}

static void test_careid_never_uses_the_hosts_context(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE pub, priv;
	CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };

	module = env->f;
	slot = th_new_token(env, "provider-host");
	trap_slot = slot;
	s = th_user_session(env, slot);
	th_keypair(env, s, "rsa2048", "rsa", &pub, &priv);
	sign_with(env, s, priv, (CK_MECHANISM){ CKM_SHA256_RSA_PKCS, NULL, 0 });
	sign_with(env, s, priv, (CK_MECHANISM){ CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof(pss) });
	th_keypair(env, s, "p256", "ec", &pub, &priv);
	sign_with(env, s, priv, (CK_MECHANISM){ CKM_ECDSA_SHA256, NULL, 0 });
	CK(env->f->C_Logout(s));
	CK(env->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN)));
	CK(env->f->C_CloseSession(s));
	assert_int_equal(0, atomic_load(&routed));
}

/* The host's own SHA-256 goes through the trap, and the trap reaches
 * careid: the route the test guards against is real. */
static void test_the_trap_is_live(void **state)
{
	th_env *env = TH_ENV(state);
	unsigned char md[32];
	unsigned int n = 0;
	int before = atomic_load(&routed), back = atomic_load(&reentered);

	module = env->f;
	trap_slot = th_new_token(env, "trap");
	assert_int_equal(1, EVP_Digest("x", 1, md, &n, EVP_sha256(), NULL));
	assert_int_equal(32, n);
	assert_int_equal(before + 1, atomic_load(&routed));
	assert_int_equal(back + 1, atomic_load(&reentered));
	atomic_store(&routed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_the_trap_is_live, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_careid_never_uses_the_hosts_context, th_setup, th_teardown),
	};

	int failed;

	if (arm_trap() != 0) {
		fprintf(stderr, "host_provider: cannot set up the trap provider\n");
		return 1;
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	EVP_MD_free(impl_md);
	for (int i = 2; i >= 0; i--)
		OSSL_PROVIDER_unload(loaded[i]);
	OSSL_LIB_CTX_free(impl_ctx);
	return failed;
}
