/* A module is a guest in its host's process and installs no handlers:
 * loading careid and using it (C_Initialize with and without card readers,
 * listing, a token made, a login, a key generated, a signature, C_Finalize,
 * dlclose) changes no signal's disposition and registers no exit handler,
 * neither careid's own nor one of a library it brings in (libcrypto
 * registers OPENSSL_cleanup with atexit when careid is the first to start
 * it, unless told not to; at a host's exit it would tear down what other
 * threads still use).
 *
 * Exit handlers are seen by interposing __cxa_atexit, which atexit() in
 * every shared object calls through the PLT: this executable exports its
 * own (meson: export_dynamic), counting registrations while the module is
 * under test and passing each on.  Signals are compared, disposition and
 * flags, before and after each step. */
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)

int __cxa_atexit(void (*func)(void *), void *arg, void *dso);

static atomic_bool watching;
static atomic_int registered;
static char first_owner[256];

int __cxa_atexit(void (*func)(void *), void *arg, void *dso)
{
	static int (*real)(void (*)(void *), void *, void *);

	if (atomic_load(&watching)) {
		Dl_info di;

		if (atomic_fetch_add(&registered, 1) == 0)
			snprintf(first_owner, sizeof(first_owner), "%s in %s",
			         dladdr((void *)func, &di) && di.dli_sname ? di.dli_sname : "?",
			         dladdr((void *)func, &di) && di.dli_fname ? di.dli_fname : "?");
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "__cxa_atexit");
	return real != NULL ? real(func, arg, dso) : -1;
}

static struct sigaction before[NSIG];
static bool have[NSIG];

static void note_signals(void)
{
	for (int s = 1; s < NSIG; s++)
		have[s] = sigaction(s, NULL, &before[s]) == 0;
}

/* Every signal as it was; on a change, names the signal and the step. */
static void assert_signals_unchanged(const char *step)
{
	for (int s = 1; s < NSIG; s++) {
		struct sigaction now;

		if (!have[s] || sigaction(s, NULL, &now) != 0)
			continue;
		if (now.sa_handler != before[s].sa_handler || now.sa_flags != before[s].sa_flags) {
			fprintf(stderr, "%s changed the disposition of signal %d (%s)\n", step, s, strsignal(s));
			fail();
		}
	}
}

static void assert_no_exit_handler(const char *step)
{
	if (atomic_load(&registered) != 0) {
		fprintf(stderr, "%s registered %d exit handler(s), the first %s\n", step,
		        atomic_load(&registered), first_owner);
		fail();
	}
}

static void check(const char *step)
{
	assert_signals_unchanged(step);
	assert_no_exit_handler(step);
}

static void rewrite_conf(th_env *env, bool readers)
{
	FILE *f = fopen(env->conf, "w");

	assert_non_null(f);
	fprintf(f, "token_dir = %s/tokens\nkdf_cost = 10\ncard_readers = %s\n", env->dir, readers ? "yes" : "no");
	fclose(f);
}

static void test_no_handlers(void **state)
{
	th_env *env = TH_ENV(state);
	CK_MECHANISM mech = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	CK_BYTE sig[128];
	CK_ULONG siglen = sizeof(sig), n = 0;
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;

	/* th_setup_loaded has loaded the module already: start again, with
	 * the watch on from before the dlopen. */
	th_unload(env);
	note_signals();
	atomic_store(&watching, true);

	th_load(env);
	check("dlopen");
	rewrite_conf(env, true);
	CK(env->f->C_Initialize(NULL));
	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n));
	check("C_Initialize and C_GetSlotList with card readers");
	CK(env->f->C_Finalize(NULL));

	rewrite_conf(env, false);
	CK(env->f->C_Initialize(NULL));
	slot = th_new_token(env, "handlers");
	check("C_InitToken and C_InitPIN");
	s = th_user_session(env, slot);
	th_keypair(env, s, "p256", "handlers", &pub, &priv);
	CK(env->f->C_SignInit(s, &mech, priv));
	CK(env->f->C_Sign(s, (CK_BYTE_PTR) "data", 4, sig, &siglen));
	check("a login, a key pair and a signature");
	CK(env->f->C_Finalize(NULL));
	check("C_Finalize");
	th_unload(env);
	check("dlclose");
	atomic_store(&watching, false);
	/* th_teardown must not call into the unloaded module. */
	env->f = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_handlers, th_setup_loaded, th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
