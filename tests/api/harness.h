/* Test harness for API tests: loads the built module the way a client
 * does (dlopen + C_GetInterface), in a private token directory. */
#ifndef CAREID_TESTS_HARNESS_H
#define CAREID_TESTS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pkcs11.h"

#define TH_SO_PIN   "87654321"
#define TH_USER_PIN "123456"

typedef struct th_env {
	void *dl;
	CK_FUNCTION_LIST_3_0 *f;    /* "PKCS 11" 3.0 interface */
	CK_FUNCTION_LIST *f2;       /* C_GetFunctionList's 2.40 list */
	char dir[256];              /* private token directory */
	char conf[320];             /* its configuration file */
} th_env;

/* cmocka group/test setup: temp dir + config (kdf_cost 10, fast tests),
 * CAREID_CONF set, module loaded, C_Initialize(NULL) done. */
int th_setup(void **state);
/* The same without C_Initialize (for tests of initialisation itself). */
int th_setup_loaded(void **state);
/* C_Finalize (when initialised), dlclose, directory removed. */
int th_teardown(void **state);

/* Loads the module from $CAREID_MODULE into env (no C_Initialize). */
void th_load(th_env *env);
void th_unload(th_env *env);

/* The slot whose token is present but not initialised (the free slot). */
CK_SLOT_ID th_free_slot(th_env *env);
/* Initialises a new token in the free slot with TH_SO_PIN and label, sets
 * TH_USER_PIN as user passcode, and returns the slot now holding it. */
CK_SLOT_ID th_new_token(th_env *env, const char *label);
/* The same, leaving the user passcode unset. */
CK_SLOT_ID th_new_token_no_user(th_env *env, const char *label);
/* The slot holding the token labelled label (fails the test if none).
 * A token made in the free slot moves to a slot of its own at the next
 * C_Initialize, so tests that initialise again look it up by label. */
CK_SLOT_ID th_slot_of(th_env *env, const char *label);
/* Opens a R/W session on slot and logs the user in with TH_USER_PIN. */
CK_SESSION_HANDLE th_user_session(th_env *env, CK_SLOT_ID slot);
/* Finds exactly one object matching the template (fails the test otherwise). */
CK_OBJECT_HANDLE th_find_one(th_env *env, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* Generates a key pair on the token: "rsa2048", "rsa3072", "rsa4096",
 * "p256", "p384" or "ed25519"; label and id applied to both keys. */
void th_keypair(th_env *env, CK_SESSION_HANDLE s, const char *kind, const char *label,
                CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv);

/* Group fixtures: a test's own struct whose FIRST member is `th_env *env`.
 * th_group_new allocates size zeroed bytes and sets that member up as
 * th_setup does; th_group_teardown is the matching cmocka group teardown
 * (state points at the fixture). */
void *th_group_new(size_t size);
int th_group_teardown(void **state);

/* Blank-padded PKCS#11 label from a C string. */
void th_pad(CK_UTF8CHAR *dst, size_t n, const char *src);

#define TH_ENV(state) ((th_env *)*(state))
#define CK(call) assert_int_equal(CKR_OK, (call))

#endif
