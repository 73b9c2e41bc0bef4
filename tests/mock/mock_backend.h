/* A token backend held in memory, for testing the PKCS#11 front's error
 * paths (tests/mock/test_front_errors_*.c).  It implements every operation of
 * src/backend/backend.h for real (passcodes with a try counter, an object
 * list, RSA and EC private-key operations on OpenSSL keys it generates) and
 * can be told to fail any of them: "the Nth call of operation X from now
 * answers R", or every call.
 *
 * The control functions are exported by careid-mock-pkcs11.so only (its
 * own version script), so a test that loads that module with dlopen finds
 * them with dlsym.  The product module never contains this code.
 *
 * The token contents live in the module, not in the token handles, so they
 * survive C_Finalize/C_Initialize; careid_mock_reset() restores the
 * starting state.  Not thread-safe: the tests drive it from one thread. */
#ifndef CAREID_TESTS_MOCK_BACKEND_H
#define CAREID_TESTS_MOCK_BACKEND_H

#include <stdbool.h>

#include "pkcs11.h"
#include "backend/backend.h"

/* The starting state: CAREID_MOCK_TOKENS (default 2, at most 4)
 * initialised tokens labelled "mock-a", "mock-b", ... with SO passcode
 * "87654321" and user passcode "123456" (tests/api/harness.h), no objects,
 * and one free place where C_InitToken creates a token. */
#define MOCK_SO_PIN   "87654321"
#define MOCK_USER_PIN "123456"
#define MOCK_TRIES    3

/* Operation names, as careid_mock_fail and careid_mock_calls take them:
 * the token operations by their cid_token_ops names, and the provider's
 * "scan", "open", "create", "mechanism" and "prov_release".  "release" is
 * the token's. */
#define MOCK_OPS(X)                                                           \
	X(status) X(login) X(logout) X(init_token) X(init_pin) X(set_pin)     \
	X(changed) X(load_objects) X(create_object) X(update_object)          \
	X(destroy_object) X(key_op) X(generate_keypair) X(check_login)        \
	X(random) X(release) X(scan) X(open) X(create) X(mechanism)           \
	X(prov_release)

/* Arms a failure: the nth call of op from now (1 = the next one) answers
 * rv, doing nothing else; nth 0 = every call until reset.  One rule per
 * operation: arming again replaces it.  "mechanism" fails by answering
 * false; "release" and "prov_release" cannot fail (they only count).
 * Returns 0, or -1 for an unknown operation name. */
int careid_mock_fail(const char *op, unsigned nth, CK_RV rv);
/* Calls of op since the last reset (failed ones included); ~0UL for an
 * unknown name. */
unsigned long careid_mock_calls(const char *op);
/* Failures disarmed, counts zeroed, tokens back to the starting state. */
void careid_mock_reset(void);
/* The device forgets every user login, as a card reset by another program
 * does: check_login then reports it, and key_op answers
 * CKR_USER_NOT_LOGGED_IN. */
void careid_mock_forget_login(void);

/* Tokens opened from now on keep no keys (no key_op, no
 * generate_keypair), as the soft token: the front then generates key pairs
 * on the host and stores both halves with create_object.  Reset: off. */
void careid_mock_keys_on_host(bool on);

/* The provider, for tests/mock/registry_mock.c. */
CK_RV cid_mock_provider_new(cid_provider **out);

#endif
