/* The shared state and helpers of the careid card test: environment and
 * control of the virtual card in the rig, the card's state file, the APDU
 * count, session, login, find and attribute helpers, passcode flag checks,
 * and the fixtures (group setup and teardown, after_each). */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "../api/th_ossl.h"
#include "card_fixture.h"

struct card_state card_g;

CK_C_INITIALIZE_ARGS card_init_args = { .flags = CKF_OS_LOCKING_OK };

/* ---- environment and card control -------------------------------------- */

double card_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *need_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		fail_msg("%s is not set: run this through tests/card/careid.sh", name);
	return v;
}

/* The rest of the state file line that starts with prefix and a space
 * (allocated), or NULL. */
char *state_line(const char *prefix)
{
	FILE *f = fopen(need_env("CAREID_STATE"), "r");
	size_t plen = strlen(prefix), cap = 0;
	char *line = NULL, *out = NULL;

	assert_non_null(f);
	while (out == NULL && getline(&line, &cap, f) > 0) {
		if (strncmp(line, prefix, plen) == 0 && line[plen] == ' ') {
			line[strcspn(line, "\n")] = '\0';
			out = strdup(line + plen + 1);
		}
	}
	free(line);
	fclose(f);
	return out;
}

/* Tries left on the card's user passcode, from its state file. */
int state_pin_tries(void)
{
	char *v = state_line("pin");
	int n;

	assert_non_null(v);
	n = atoi(v);
	free(v);
	return n;
}

/* APDUs the card has served.  The card rewrites the file after it
 * answers, so give it a moment first. */
long apdu_count(void)
{
	FILE *f;
	long n = -1;

	sleep_ms(300);
	f = fopen(need_env("CAREID_COUNT_FILE"), "r");
	if (f != NULL) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* SIGUSR1 toggles the card between inserted and removed.  No cmocka
 * assertion here: threads call it too. */
int vcard_signal(void)
{
	const char *pf = getenv("CAREID_VCARD_PIDFILE");
	FILE *f = pf != NULL ? fopen(pf, "r") : NULL;
	long pid = 0;
	int ok;

	if (f == NULL)
		return -1;
	ok = fscanf(f, "%ld", &pid) == 1 && pid > 1;
	fclose(f);
	return ok && kill((pid_t)pid, SIGUSR1) == 0 ? 0 : -1;
}

void vcard_toggle(void)
{
	need_env("CAREID_VCARD_PIDFILE");
	if (vcard_signal() != 0)
		fail_msg("cannot signal the card process");
}

/* A helper of tests/card/lib.sh, run through bash. */
void lib_run(const char *fn)
{
	char cmd[256];

	need_env("CAREID_CARD_LIB");
	need_env("CAREID_RIG_DIR");
	snprintf(cmd, sizeof(cmd), "bash -c '. \"$CAREID_CARD_LIB\" && %s' >/dev/null 2>&1", fn);
	if (system(cmd) != 0)
		fail_msg("%s failed", fn);
}

/* Whether the module shows a token in the card slot.  C_GetSlotList makes
 * it look at the readers again, as an application polling would. */
bool slot_has_token(void)
{
	CK_ULONG n = 0;
	CK_SLOT_INFO si;

	if (F->C_GetSlotList(CK_FALSE, NULL, &n) != CKR_OK || F->C_GetSlotInfo(card_g.slot, &si) != CKR_OK)
		return false;
	return (si.flags & CKF_TOKEN_PRESENT) != 0;
}

bool wait_token(bool present, double secs)
{
	for (double end = card_now() + secs; card_now() < end; sleep_ms(100))
		if (slot_has_token() == present)
			return true;
	return slot_has_token() == present;
}

void remove_card(void)
{
	vcard_toggle();
	if (!wait_token(false, 10))
		fail_msg("the module still shows a token 10 s after the card was pulled");
}

void insert_card(void)
{
	vcard_toggle();
	if (!wait_token(true, 15))
		fail_msg("the module shows no token 15 s after the card was inserted");
}

/* The first slot of a removable reader with a card in it. */
CK_SLOT_ID find_card_slot(void)
{
	for (double end = card_now() + 10; card_now() < end; sleep_ms(200)) {
		CK_SLOT_ID list[32];
		CK_ULONG n = 32;

		CK(F->C_GetSlotList(CK_TRUE, list, &n));
		for (CK_ULONG i = 0; i < n; i++) {
			CK_SLOT_INFO si;

			CK(F->C_GetSlotInfo(list[i], &si));
			if ((si.flags & (CKF_REMOVABLE_DEVICE | CKF_TOKEN_PRESENT)) ==
			    (CKF_REMOVABLE_DEVICE | CKF_TOKEN_PRESENT))
				return list[i];
		}
	}
	fail_msg("no removable slot with a token: the module does not see the card");
	return 0;
}

/* ---- PKCS#11 helpers ---------------------------------------------------- */

CK_SESSION_HANDLE open_session(bool rw)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;

	CK(F->C_OpenSession(card_g.slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL, &s));
	return s;
}

CK_RV card_login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
	return F->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
}

CK_SESSION_HANDLE user_session(bool rw)
{
	CK_SESSION_HANDLE s = open_session(rw);

	CK(card_login(s, CKU_USER, USER_PIN));
	return s;
}

static CK_FLAGS pin_flags(void)
{
	CK_TOKEN_INFO ti;

	CK(F->C_GetTokenInfo(card_g.slot, &ti));
	return ti.flags & PIN_FLAGS;
}

void expect_pin_flags(CK_FLAGS want, const char *when)
{
	CK_FLAGS got = pin_flags();

	if (got != want)
		fail_msg("%s: user passcode flags 0x%lx, expected 0x%lx", when, got, want);
}

void expect_rv(CK_RV want, CK_RV got, const char *what)
{
	if (got != want)
		fail_msg("%s: 0x%lx, expected 0x%lx", what, got, want);
}

/* Objects of a class, with CKA_ID id when id >= 0. */
CK_ULONG card_find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, int id, CK_OBJECT_HANDLE *out, CK_ULONG max)
{
	CK_BYTE idb = (CK_BYTE)id;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, &idb, 1 } };
	CK_ULONG n = 0;

	CK(F->C_FindObjectsInit(s, t, id < 0 ? 1 : 2));
	CK(F->C_FindObjects(s, out, max, &n));
	CK(F->C_FindObjectsFinal(s));
	return n;
}

CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, int id)
{
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = card_find(s, cls, id, h, 4);

	if (n != 1)
		fail_msg("%lu objects of class %lu with CKA_ID %02x, expected 1", n, cls, id);
	return h[0];
}

CK_BBOOL attr_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL v = 0x55;
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };

	CK(F->C_GetAttributeValue(s, o, &a, 1));
	assert_true(v == CK_TRUE || v == CK_FALSE);
	return v;
}

CK_BYTE attr_byte(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_BYTE v = 0;
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };

	CK(F->C_GetAttributeValue(s, o, &a, 1));
	assert_int_equal(1, a.ulValueLen);
	return v;
}

X509 *cert_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
	CK_ULONG len = 0;
	CK_BYTE *der = tho_attr(&card_g.env, s, o, CKA_VALUE, &len);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	free(der);
	assert_non_null(x);
	return x;
}

/* ---- fixtures ----------------------------------------------------------- */

int group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char conf[320], *v;
	FILE *f;

	(void)state;
	snprintf(card_g.dir, sizeof(card_g.dir), "%s/careid-card-XXXXXX", tmp != NULL ? tmp : "/tmp");
	assert_non_null(mkdtemp(card_g.dir));
	snprintf(conf, sizeof(conf), "%s/careid.conf", card_g.dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	/* Soft tokens stay on, in a directory of their own, so that the card
	 * slot has to be found among others. */
	fprintf(f, "token_dir = %s/tokens\ncard_readers = yes\nkdf_cost = 10\n", card_g.dir);
	fclose(f);
	setenv("CAREID_CONF", conf, 1);

	v = state_line("uuid");
	assert_non_null(v);
	snprintf(card_g.uuid, sizeof(card_g.uuid), "%s", v);
	free(v);
	v = state_line("serial");
	assert_non_null(v);
	snprintf(card_g.serial, sizeof(card_g.serial), "%s", v);
	free(v);

	th_load(&card_g.env);
	CK(F->C_Initialize(&card_init_args));
	card_g.slot = find_card_slot();
	return 0;
}

int group_teardown(void **state)
{
	char path[320];

	(void)state;
	if (!card_g.finalized)
		(void)F->C_Finalize(NULL);
	/* Unloading under a thread still inside the module would crash it. */
	if (!card_g.wait_stuck)
		th_unload(&card_g.env);
	snprintf(path, sizeof(path), "%s/careid.conf", card_g.dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/tokens", card_g.dir);
	remove(path);
	remove(card_g.dir);
	return 0;
}

/* Leaves no session (hence no login) and the card in the reader. */
/* A file in the rig's directory (a static buffer). */
static const char *lib_file(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", need_env("CAREID_RIG_DIR"), name);
	return path;
}

int after_each(void **state)
{
	(void)state;
	if (card_g.finalized)
		return 0;
	(void)F->C_CloseAllSessions(card_g.slot);
	/* A test that renamed the card's reader and failed before renaming
	 * it back must not take the later tests' card away. */
	if (access(lib_file("careid-vpcd.orig"), F_OK) == 0)
		(void)system("bash -c '. \"$CAREID_CARD_LIB\" && pcscd_restore_reader' >/dev/null 2>&1");
	if (!wait_token(true, 1)) {
		(void)vcard_signal();
		(void)wait_token(true, 15);
		(void)F->C_CloseAllSessions(card_g.slot);
	}
	return 0;
}
