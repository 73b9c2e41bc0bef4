/* The PKCS#11 front's answers when a backend call fails.
 *
 * careid-mock-pkcs11.so is the front and core over the in-memory mock
 * backend (mock_backend.h); these tests make each backend operation fail
 * and check what the front answers and the state it leaves.  The table of
 * front error paths and the test reaching each is docs/mock-backend.md.
 *
 * Codes used for "a backend failure": every function of PKCS#11 3.0 may
 * answer CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY,
 * CKR_FUNCTION_FAILED and CKR_GENERAL_ERROR, so the front passes them
 * through unchanged.  CKR_DEVICE_REMOVED also ends the slot's sessions.
 *
 * Tests named finding_* check behaviour the spec asks for that an earlier
 * front lacked (docs/mock-backend.md tells each story).
 *
 * This header: the fixture the test_front_errors_*.c programs share. */
#ifndef CAREID_TESTS_MOCK_FRONT_FIXTURE_H
#define CAREID_TESTS_MOCK_FRONT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

typedef struct fx {
	th_env *env;
	int (*arm_fn)(const char *op, unsigned nth, CK_RV rv);
	unsigned long (*calls)(const char *op);
	void (*reset)(void);
	void (*forget_login)(void);
	void (*keys_on_host)(bool on);
	CK_SLOT_ID slot;   /* the token labelled mock-a */
} fx;

/* The codes every PKCS#11 function may answer: "a backend failure". */
#define NGENERIC 5
extern const CK_RV generic[NGENERIC];

/* The running test's fixture, set by setup(). */
extern fx *FX;
#define F (FX->env->f)

/* cmocka setup and teardown: the mock module loaded, its tokens as at the
 * start, C_Initialize done, FX->slot the token mock-a. */
int setup(void **state);
int teardown(void **state);

/* careid_mock_fail(op, nth, rv), asserted to succeed. */
void arm(const char *op, unsigned nth, CK_RV rv);
void disarm(const char *op);
unsigned long calls(const char *op);
void reload_module(void);

CK_SESSION_HANDLE open_rw(void);
CK_SESSION_HANDLE user_rw(void);
CK_STATE state_of(CK_SESSION_HANDLE s);
CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin);
CK_ULONG session_count(void);
CK_RV make_data(CK_SESSION_HANDLE s, const char *label, bool token, bool priv, CK_OBJECT_HANDLE *h);
CK_ULONG count_label(CK_SESSION_HANDLE s, const char *label);
void label_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, char *out, size_t cap);

/* ---- provoking each backend operation ------------------------------------
 *
 * Each via_* brings a fresh session s (read/write, public) to the point
 * where the next front call reaches the backend operation, arms the rule,
 * makes that call and returns the front's answer.  The table vias drives
 * the codes-pass-through and removal tests. */

CK_RV via_status(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_login(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_logout(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_init_pin(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_set_pin(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_load_objects(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_changed(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_create_object(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_update_object(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_destroy_object(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_key_op(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_generate_keypair(CK_SESSION_HANDLE s, CK_RV rv);
CK_RV via_check_login(CK_SESSION_HANDLE s, CK_RV rv);

typedef struct via {
	const char *op;
	CK_RV (*provoke)(CK_SESSION_HANDLE s, CK_RV rv);
	/* The front passes the backend's code through (false: it may not
	 * tell, see the op's own test). */
	bool passes_code;
} via;

#define NVIAS 13
extern const via vias[NVIAS];

#endif
