/* The shared state and helpers of the careid card test (careid_card.c):
 * the loaded module and the card's slot, the rig's environment, control of
 * the virtual card, its state file and APDU count, the PKCS#11 steps the
 * tests repeat (sessions, login, find, attributes, passcode flags), and the
 * group setup and teardown with the teardown after each test. */
#ifndef CAREID_TESTS_CARD_FIXTURE_H
#define CAREID_TESTS_CARD_FIXTURE_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "../api/harness.h"

/* The fresh card's credentials (docs/vcard.md); its administrator key is
 * in card_crypto_tests.c, the one file that uses it. */
#define USER_PIN  "123456"
#define OTHER_PIN "24681357"
#define PUK       "12345678"

#define PIN_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)

struct card_state {
	th_env env;
	CK_SLOT_ID slot;
	char uuid[13];
	char serial[17];
	char dir[256];
	bool finalized;
	bool wait_stuck;  /* a thread is still inside the module */
};

extern struct card_state card_g;

#define F (card_g.env.f)

extern CK_C_INITIALIZE_ARGS card_init_args;

/* ---- environment and card control -------------------------------------- */

double card_now(void);
void sleep_ms(long ms);
char *state_line(const char *prefix);
int state_pin_tries(void);
long apdu_count(void);
int vcard_signal(void);
void vcard_toggle(void);
void lib_run(const char *fn);
bool slot_has_token(void);
bool wait_token(bool present, double secs);
void remove_card(void);
void insert_card(void);
CK_SLOT_ID find_card_slot(void);

/* ---- PKCS#11 helpers ---------------------------------------------------- */

CK_SESSION_HANDLE open_session(bool rw);
CK_RV card_login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin);
CK_SESSION_HANDLE user_session(bool rw);
void expect_pin_flags(CK_FLAGS want, const char *when);
void expect_rv(CK_RV want, CK_RV got, const char *what);
CK_ULONG card_find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, int id, CK_OBJECT_HANDLE *out, CK_ULONG max);
CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, int id);
CK_BBOOL attr_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t);
CK_BYTE attr_byte(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t);
X509 *cert_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o);

/* ---- fixtures ----------------------------------------------------------- */

int group_setup(void **state);
int group_teardown(void **state);
int after_each(void **state);

#endif
