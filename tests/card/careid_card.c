/* careid-pkcs11.so on a card through a real pcscd: the virtual Care
 * Identity card (careid-vcard) in the private rig of tests/card/rig.sh,
 * run by tests/card/careid.sh.
 *
 * The tests share one card and run in order.  Each leaves the card in the
 * reader, unlocked, with passcode 123456 and no session open, so that one
 * failure does not hide the checks after it.  OpenSSL judges every
 * signature and supplies every ciphertext, from the card's certificates. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/x509.h>

#include "../api/th_ossl.h"
#include "careid/careid.h"

/* The fresh card's credentials (docs/vcard.md). */
#define USER_PIN  "123456"
#define OTHER_PIN "24681357"
#define PUK       "12345678"
static const CK_BYTE admin_key[24] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8 };

#define PIN_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)

static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const CK_BYTE msg[] = "careid card test data, signed and checked end to end";

static struct {
	th_env env;
	CK_SLOT_ID slot;
	char uuid[13];
	char serial[17];
	char dir[256];
	bool finalized;
	bool wait_stuck;  /* a thread is still inside the module */
} g;

#define F (g.env.f)

static CK_C_INITIALIZE_ARGS init_args = { .flags = CKF_OS_LOCKING_OK };

/* ---- environment and card control -------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
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
static char *state_line(const char *prefix)
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
static int state_pin_tries(void)
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
static long apdu_count(void)
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
static int vcard_signal(void)
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

static void vcard_toggle(void)
{
	need_env("CAREID_VCARD_PIDFILE");
	if (vcard_signal() != 0)
		fail_msg("cannot signal the card process");
}

/* A helper of tests/card/lib.sh, run through bash. */
static void lib_run(const char *fn)
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
static bool slot_has_token(void)
{
	CK_ULONG n = 0;
	CK_SLOT_INFO si;

	if (F->C_GetSlotList(CK_FALSE, NULL, &n) != CKR_OK || F->C_GetSlotInfo(g.slot, &si) != CKR_OK)
		return false;
	return (si.flags & CKF_TOKEN_PRESENT) != 0;
}

static bool wait_token(bool present, double secs)
{
	for (double end = now() + secs; now() < end; sleep_ms(100))
		if (slot_has_token() == present)
			return true;
	return slot_has_token() == present;
}

static void remove_card(void)
{
	vcard_toggle();
	if (!wait_token(false, 10))
		fail_msg("the module still shows a token 10 s after the card was pulled");
}

static void insert_card(void)
{
	vcard_toggle();
	if (!wait_token(true, 15))
		fail_msg("the module shows no token 15 s after the card was inserted");
}

/* The first slot of a removable reader with a card in it. */
static CK_SLOT_ID find_card_slot(void)
{
	for (double end = now() + 10; now() < end; sleep_ms(200)) {
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

static CK_SESSION_HANDLE open_session(bool rw)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;

	CK(F->C_OpenSession(g.slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL, &s));
	return s;
}

static CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
	return F->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
}

static CK_SESSION_HANDLE user_session(bool rw)
{
	CK_SESSION_HANDLE s = open_session(rw);

	CK(login(s, CKU_USER, USER_PIN));
	return s;
}

static CK_FLAGS pin_flags(void)
{
	CK_TOKEN_INFO ti;

	CK(F->C_GetTokenInfo(g.slot, &ti));
	return ti.flags & PIN_FLAGS;
}

static void expect_pin_flags(CK_FLAGS want, const char *when)
{
	CK_FLAGS got = pin_flags();

	if (got != want)
		fail_msg("%s: user passcode flags 0x%lx, expected 0x%lx", when, got, want);
}

static void expect_rv(CK_RV want, CK_RV got, const char *what)
{
	if (got != want)
		fail_msg("%s: 0x%lx, expected 0x%lx", what, got, want);
}

/* Objects of a class, with CKA_ID id when id >= 0. */
static CK_ULONG find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, int id, CK_OBJECT_HANDLE *out, CK_ULONG max)
{
	CK_BYTE idb = (CK_BYTE)id;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, &idb, 1 } };
	CK_ULONG n = 0;

	CK(F->C_FindObjectsInit(s, t, id < 0 ? 1 : 2));
	CK(F->C_FindObjects(s, out, max, &n));
	CK(F->C_FindObjectsFinal(s));
	return n;
}

static CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, int id)
{
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = find(s, cls, id, h, 4);

	if (n != 1)
		fail_msg("%lu objects of class %lu with CKA_ID %02x, expected 1", n, cls, id);
	return h[0];
}

static CK_BBOOL attr_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL v = 0x55;
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };

	CK(F->C_GetAttributeValue(s, o, &a, 1));
	assert_true(v == CK_TRUE || v == CK_FALSE);
	return v;
}

static CK_BYTE attr_byte(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_BYTE v = 0;
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };

	CK(F->C_GetAttributeValue(s, o, &a, 1));
	assert_int_equal(1, a.ulValueLen);
	return v;
}

static X509 *cert_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
	CK_ULONG len = 0;
	CK_BYTE *der = tho_attr(&g.env, s, o, CKA_VALUE, &len);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	free(der);
	assert_non_null(x);
	return x;
}

/* The public key of the card's certificate with CKA_ID id. */
static EVP_PKEY *cert_key(int id)
{
	CK_SESSION_HANDLE s = open_session(false);
	X509 *x = cert_of(s, find_one(s, CKO_CERTIFICATE, id));
	EVP_PKEY *pk = X509_get_pubkey(x);

	X509_free(x);
	CK(F->C_CloseSession(s));
	assert_non_null(pk);
	return pk;
}

static bool offered(CK_MECHANISM_TYPE m, CK_FLAGS need)
{
	CK_MECHANISM_INFO mi;

	return F->C_GetMechanismInfo(g.slot, m, &mi) == CKR_OK && (mi.flags & need) == need;
}

static const char *mech_name(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_RSA_PKCS: return "CKM_RSA_PKCS";
	case CKM_RSA_X_509: return "CKM_RSA_X_509";
	case CKM_RSA_PKCS_OAEP: return "CKM_RSA_PKCS_OAEP";
	case CKM_SHA1_RSA_PKCS: return "CKM_SHA1_RSA_PKCS";
	case CKM_SHA224_RSA_PKCS: return "CKM_SHA224_RSA_PKCS";
	case CKM_SHA256_RSA_PKCS: return "CKM_SHA256_RSA_PKCS";
	case CKM_SHA384_RSA_PKCS: return "CKM_SHA384_RSA_PKCS";
	case CKM_SHA512_RSA_PKCS: return "CKM_SHA512_RSA_PKCS";
	case CKM_RSA_PKCS_PSS: return "CKM_RSA_PKCS_PSS";
	case CKM_SHA1_RSA_PKCS_PSS: return "CKM_SHA1_RSA_PKCS_PSS";
	case CKM_SHA224_RSA_PKCS_PSS: return "CKM_SHA224_RSA_PKCS_PSS";
	case CKM_SHA256_RSA_PKCS_PSS: return "CKM_SHA256_RSA_PKCS_PSS";
	case CKM_SHA384_RSA_PKCS_PSS: return "CKM_SHA384_RSA_PKCS_PSS";
	case CKM_SHA512_RSA_PKCS_PSS: return "CKM_SHA512_RSA_PKCS_PSS";
	case CKM_ECDSA: return "CKM_ECDSA";
	case CKM_ECDSA_SHA1: return "CKM_ECDSA_SHA1";
	case CKM_ECDSA_SHA224: return "CKM_ECDSA_SHA224";
	case CKM_ECDSA_SHA256: return "CKM_ECDSA_SHA256";
	case CKM_ECDSA_SHA384: return "CKM_ECDSA_SHA384";
	case CKM_ECDSA_SHA512: return "CKM_ECDSA_SHA512";
	default: return "mechanism";
	}
}

/* The hash a PSS or OAEP parameter block names, for a hash of md. */
static void hash_params(const EVP_MD *md, CK_MECHANISM_TYPE *hash, CK_RSA_PKCS_MGF_TYPE *mgf)
{
	switch (EVP_MD_get_type(md)) {
	case NID_sha1: *hash = CKM_SHA_1; *mgf = CKG_MGF1_SHA1; break;
	case NID_sha224: *hash = CKM_SHA224; *mgf = CKG_MGF1_SHA224; break;
	case NID_sha384: *hash = CKM_SHA384; *mgf = CKG_MGF1_SHA384; break;
	case NID_sha512: *hash = CKM_SHA512; *mgf = CKG_MGF1_SHA512; break;
	default: *hash = CKM_SHA256; *mgf = CKG_MGF1_SHA256; break;
	}
}

static size_t sha256(const CK_BYTE *in, size_t len, CK_BYTE out[32])
{
	unsigned int n = 0;

	assert_int_equal(1, EVP_Digest(in, len, out, &n, EVP_sha256(), NULL));
	return n;
}

static bool is_pss(CK_MECHANISM_TYPE m)
{
	return m == CKM_RSA_PKCS_PSS || m == CKM_SHA1_RSA_PKCS_PSS || m == CKM_SHA224_RSA_PKCS_PSS ||
	       m == CKM_SHA256_RSA_PKCS_PSS || m == CKM_SHA384_RSA_PKCS_PSS || m == CKM_SHA512_RSA_PKCS_PSS;
}

/* What a mechanism signs: the message for the hashing mechanisms, a
 * SHA-256 digest (wrapped or padded as the mechanism wants) otherwise. */
static size_t sign_input(CK_MECHANISM_TYPE m, CK_BYTE *out, size_t modlen)
{
	static const CK_BYTE sha256_info[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		                               0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	size_t n;

	if (tho_md(m) != NULL) {
		memcpy(out, msg, sizeof(msg));
		return sizeof(msg);
	}
	if (m == CKM_RSA_PKCS) {
		memcpy(out, sha256_info, sizeof(sha256_info));
		return sizeof(sha256_info) + sha256(msg, sizeof(msg), out + sizeof(sha256_info));
	}
	if (m == CKM_RSA_X_509) {
		/* An EMSA-PKCS1-v1_5 block built by hand: the card sees a raw
		 * modulus-size integer. */
		n = sizeof(sha256_info) + 32;
		assert_true(modlen > n + 11);
		out[0] = 0x00;
		out[1] = 0x01;
		memset(out + 2, 0xff, modlen - n - 3);
		out[modlen - n - 1] = 0x00;
		memcpy(out + modlen - n, sha256_info, sizeof(sha256_info));
		sha256(msg, sizeof(msg), out + modlen - 32);
		return modlen;
	}
	return sha256(msg, sizeof(msg), out);
}

/* C_SignInit, a context-specific login when asked, then the two-call
 * C_Sign (size, then signature). */
static CK_RV sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_MECHANISM *m, bool ctx_login, const CK_BYTE *in,
                  CK_ULONG inlen, CK_BYTE *sig, CK_ULONG *siglen)
{
	CK_ULONG cap = *siglen;
	CK_RV rv = F->C_SignInit(s, m, key);

	if (rv == CKR_OK && ctx_login)
		rv = login(s, CKU_CONTEXT_SPECIFIC, USER_PIN);
	if (rv == CKR_OK)
		rv = F->C_Sign(s, (CK_BYTE_PTR)in, inlen, NULL, siglen);
	if (rv == CKR_OK && *siglen > cap)
		return CKR_BUFFER_TOO_SMALL;
	if (rv == CKR_OK)
		rv = F->C_Sign(s, (CK_BYTE_PTR)in, inlen, sig, siglen);
	return rv;
}

/* Signs with every mechanism in list that the slot offers for signing and
 * has OpenSSL check each signature against pk; required ones must be
 * offered.  The hashing mechanisms are tried multi-part as well. */
static void sign_all(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, EVP_PKEY *pk, bool ctx_login,
                     const CK_MECHANISM_TYPE *list, size_t n, const CK_MECHANISM_TYPE *required, size_t nreq)
{
	size_t modlen = (size_t)EVP_PKEY_get_size(pk), done = 0;

	for (size_t i = 0; i < nreq; i++)
		if (!offered(required[i], CKF_SIGN))
			fail_msg("%s is not offered for signing on the card slot", mech_name(required[i]));
	for (size_t i = 0; i < n; i++) {
		CK_RSA_PKCS_PSS_PARAMS pss = { 0 };
		CK_MECHANISM m = { list[i], NULL, 0 };
		CK_BYTE in[512], sig[512];
		CK_ULONG siglen = sizeof(sig);
		size_t inlen;
		CK_RV rv;

		if (!offered(list[i], CKF_SIGN))
			continue;
		if (is_pss(list[i])) {
			const EVP_MD *md = tho_md(list[i]) != NULL ? tho_md(list[i]) : EVP_sha256();

			hash_params(md, &pss.hashAlg, &pss.mgf);
			pss.sLen = (CK_ULONG)EVP_MD_get_size(md);
			m.pParameter = &pss;
			m.ulParameterLen = sizeof(pss);
		}
		inlen = sign_input(list[i], in, modlen);
		rv = sign(s, key, &m, ctx_login, in, inlen, sig, &siglen);
		if (rv != CKR_OK)
			fail_msg("sign with %s: 0x%lx", mech_name(list[i]), rv);
		if (!tho_verify(pk, &m, in, inlen, sig, siglen))
			fail_msg("OpenSSL rejects the %s signature", mech_name(list[i]));
		done++;
		if (tho_md(list[i]) == NULL)
			continue;
		siglen = sizeof(sig);
		rv = F->C_SignInit(s, &m, key);
		if (rv == CKR_OK && ctx_login)
			rv = login(s, CKU_CONTEXT_SPECIFIC, USER_PIN);
		if (rv == CKR_OK)
			rv = F->C_SignUpdate(s, in, 10);
		if (rv == CKR_OK)
			rv = F->C_SignUpdate(s, in + 10, inlen - 10);
		if (rv == CKR_OK)
			rv = F->C_SignFinal(s, sig, &siglen);
		if (rv != CKR_OK)
			fail_msg("multi-part sign with %s: 0x%lx", mech_name(list[i]), rv);
		if (!tho_verify(pk, &m, in, inlen, sig, siglen))
			fail_msg("OpenSSL rejects the multi-part %s signature", mech_name(list[i]));
	}
	assert_true(done >= nreq);
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char conf[320], *v;
	FILE *f;

	(void)state;
	snprintf(g.dir, sizeof(g.dir), "%s/careid-card-XXXXXX", tmp != NULL ? tmp : "/tmp");
	assert_non_null(mkdtemp(g.dir));
	snprintf(conf, sizeof(conf), "%s/careid.conf", g.dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	/* Soft tokens stay on, in a directory of their own, so that the card
	 * slot has to be found among others. */
	fprintf(f, "token_dir = %s/tokens\ncard_readers = yes\nkdf_cost = 10\n", g.dir);
	fclose(f);
	setenv("CAREID_CONF", conf, 1);

	v = state_line("uuid");
	assert_non_null(v);
	snprintf(g.uuid, sizeof(g.uuid), "%s", v);
	free(v);
	v = state_line("serial");
	assert_non_null(v);
	snprintf(g.serial, sizeof(g.serial), "%s", v);
	free(v);

	th_load(&g.env);
	CK(F->C_Initialize(&init_args));
	g.slot = find_card_slot();
	return 0;
}

static int group_teardown(void **state)
{
	char path[320];

	(void)state;
	if (!g.finalized)
		(void)F->C_Finalize(NULL);
	/* Unloading under a thread still inside the module would crash it. */
	if (!g.wait_stuck)
		th_unload(&g.env);
	snprintf(path, sizeof(path), "%s/careid.conf", g.dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/tokens", g.dir);
	remove(path);
	remove(g.dir);
	return 0;
}

/* Leaves no session (hence no login) and the card in the reader. */
static int after_each(void **state)
{
	(void)state;
	if (g.finalized)
		return 0;
	(void)F->C_CloseAllSessions(g.slot);
	if (!wait_token(true, 1)) {
		(void)vcard_signal();
		(void)wait_token(true, 15);
		(void)F->C_CloseAllSessions(g.slot);
	}
	return 0;
}

/* ---- the tests ---------------------------------------------------------- */

static void pad_cmp(const CK_UTF8CHAR *field, size_t n, const char *want, const char *what)
{
	char exp[64];

	memset(exp, ' ', n);
	memcpy(exp, want, strlen(want));
	if (memcmp(field, exp, n) != 0)
		fail_msg("%s is '%.*s', expected '%s'", what, (int)n, (const char *)field, want);
}

static void test_token_info(void **state)
{
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	const CK_FLAGS must = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED;
	const char *reader = getenv("CAREID_READER");

	(void)state;
	CK(F->C_GetSlotInfo(g.slot, &si));
	assert_true(si.flags & CKF_HW_SLOT);
	if (reader != NULL && memmem(si.slotDescription, sizeof(si.slotDescription), reader, strlen(reader)) == NULL)
		fail_msg("slot description '%.64s' does not name reader '%s'", (const char *)si.slotDescription,
		         reader);
	CK(F->C_GetTokenInfo(g.slot, &ti));
	/* P13: the token is labelled with the holder's UUID. */
	pad_cmp(ti.label, sizeof(ti.label), g.uuid, "token label");
	pad_cmp(ti.serialNumber, sizeof(ti.serialNumber), g.serial, "token serial");
	assert_int_equal(6, ti.ulMinPinLen);
	assert_int_equal(8, ti.ulMaxPinLen);
	if ((ti.flags & must) != must)
		fail_msg("token flags 0x%lx lack 0x%lx", ti.flags, must & ~ti.flags);
	assert_false(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
	assert_int_equal(0, ti.flags & PIN_FLAGS);
}

static void test_objects(void **state)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h[8];
	static const struct {
		int id;
		CK_BYTE ref;
		CK_KEY_TYPE kt;
		int bits;
		bool always;
	} want[] = { { 1, 0x9a, CKK_RSA, 2048, false }, { 2, 0x9c, CKK_EC, 256, true } };

	(void)state;
	s = open_session(false);
	assert_int_equal(2, find(s, CKO_CERTIFICATE, -1, h, 8));
	/* Private keys are private objects: invisible before login. */
	assert_int_equal(0, find(s, CKO_PRIVATE_KEY, -1, h, 8));
	CK(login(s, CKU_USER, USER_PIN));
	assert_int_equal(2, find(s, CKO_PRIVATE_KEY, -1, h, 8));
	assert_int_equal(2, find(s, CKO_PUBLIC_KEY, -1, h, 8));

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CK_OBJECT_HANDLE c = find_one(s, CKO_CERTIFICATE, want[i].id);
		CK_OBJECT_HANDLE pub = find_one(s, CKO_PUBLIC_KEY, want[i].id);
		CK_OBJECT_HANDLE priv = find_one(s, CKO_PRIVATE_KEY, want[i].id);
		X509 *x = cert_of(s, c);
		EVP_PKEY *pk = X509_get_pubkey(x), *ppk = tho_pubkey(&g.env, s, pub);
		unsigned char *subj = NULL;
		int subjlen = i2d_X509_NAME(X509_get_subject_name(x), &subj);
		CK_BYTE start[8], end[8], value[1] = { 0 };
		CK_ATTRIBUTE a[] = { { CKA_SUBJECT, NULL, 0 }, { CKA_START_DATE, start, sizeof(start) },
			             { CKA_END_DATE, end, sizeof(end) } };
		CK_ATTRIBUTE secret = { want[i].kt == CKK_RSA ? CKA_PRIVATE_EXPONENT : CKA_VALUE, value,
			                sizeof(value) };
		char cn[64] = "", date[9];
		struct tm tm;

		assert_non_null(pk);
		assert_int_equal(want[i].kt == CKK_RSA ? EVP_PKEY_RSA : EVP_PKEY_EC, EVP_PKEY_get_base_id(pk));
		assert_int_equal(want[i].bits, EVP_PKEY_get_bits(pk));
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
		assert_string_equal(g.uuid, cn);
		assert_int_equal(CKC_X_509, tho_ulong(&g.env, s, c, CKA_CERTIFICATE_TYPE));

		/* CKA_SUBJECT, CKA_START_DATE and CKA_END_DATE as the
		 * certificate has them. */
		CK(F->C_GetAttributeValue(s, c, a, 3));
		assert_true(subjlen > 0);
		assert_int_equal(subjlen, a[0].ulValueLen);
		assert_int_equal(8, a[1].ulValueLen);
		assert_int_equal(8, a[2].ulValueLen);
		a[0].pValue = malloc(a[0].ulValueLen);
		CK(F->C_GetAttributeValue(s, c, a, 1));
		assert_memory_equal(subj, a[0].pValue, (size_t)subjlen);
		free(a[0].pValue);
		OPENSSL_free(subj);
		assert_int_equal(1, ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm));
		strftime(date, sizeof(date), "%Y%m%d", &tm);
		assert_memory_equal(date, start, 8);
		assert_int_equal(1, ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm));
		strftime(date, sizeof(date), "%Y%m%d", &tm);
		assert_memory_equal(date, end, 8);

		/* Public and private key paired with the certificate by CKA_ID. */
		assert_int_equal(want[i].kt, tho_ulong(&g.env, s, pub, CKA_KEY_TYPE));
		assert_int_equal(want[i].kt, tho_ulong(&g.env, s, priv, CKA_KEY_TYPE));
		assert_int_equal(1, EVP_PKEY_eq(pk, ppk));
		assert_int_equal(want[i].ref, attr_byte(s, priv, CKA_CAREID_KEY_REF));
		assert_true(attr_bool(s, priv, CKA_TOKEN));
		assert_true(attr_bool(s, priv, CKA_PRIVATE));
		assert_true(attr_bool(s, priv, CKA_SIGN));
		assert_true(attr_bool(s, priv, CKA_SENSITIVE));
		assert_false(attr_bool(s, priv, CKA_EXTRACTABLE));
		assert_int_equal(want[i].always, attr_bool(s, priv, CKA_ALWAYS_AUTHENTICATE));
		assert_int_equal(CKR_ATTRIBUTE_SENSITIVE, F->C_GetAttributeValue(s, priv, &secret, 1));
		if (want[i].kt == CKK_RSA)
			assert_int_equal(want[i].bits, tho_ulong(&g.env, s, pub, CKA_MODULUS_BITS));
		EVP_PKEY_free(pk);
		EVP_PKEY_free(ppk);
		X509_free(x);
	}
	CK(F->C_Logout(s));
	assert_int_equal(0, find(s, CKO_PRIVATE_KEY, -1, h, 8));
}

/* The card's contents are read once: listing certificates again in a new
 * session costs no APDU. */
static void test_cold_listing(void **state)
{
	CK_OBJECT_HANDLE h[8];
	CK_SESSION_HANDLE s;
	CK_ULONG len;
	long before, after;

	(void)state;
	s = open_session(false);
	assert_int_equal(2, find(s, CKO_CERTIFICATE, -1, h, 8));
	CK(F->C_CloseSession(s));
	before = apdu_count();
	assert_true(before > 0);

	s = open_session(false);
	assert_int_equal(2, find(s, CKO_CERTIFICATE, -1, h, 8));
	for (int i = 0; i < 2; i++)
		free(tho_attr(&g.env, s, h[i], CKA_VALUE, &len));
	CK(F->C_CloseSession(s));
	after = apdu_count();
	if (after != before)
		fail_msg("the second certificate listing sent %ld APDUs to the card", after - before);
}

static void test_login_user(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;

	(void)state;
	s = open_session(false);
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_PUBLIC_SESSION, si.state);
	CK(login(s, CKU_USER, USER_PIN));
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_USER_FUNCTIONS, si.state);
	expect_rv(CKR_USER_ALREADY_LOGGED_IN, login(s, CKU_USER, USER_PIN), "second C_Login");
	CK(F->C_Logout(s));
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_PUBLIC_SESSION, si.state);
}

/* Another program resets the card under a logged-in session: the card
 * forgets the passcode, so the session must stop claiming a user login,
 * and logging in again must work rather than say "already logged in". */
static void test_reset_elsewhere(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;

	(void)state;
	s = user_session(false);
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_USER_FUNCTIONS, si.state);
	if (system("opensc-tool -r 0 --reset >/dev/null 2>&1") != 0)
		fail_msg("opensc-tool could not reset the card");
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_PUBLIC_SESSION, si.state);
	CK(login(s, CKU_USER, USER_PIN));
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_USER_FUNCTIONS, si.state);
	CK(F->C_Logout(s));
}

/* P1: a passcode that cannot be right is refused before the card sees it,
 * and costs no try (CONFORMANCE.md: CKR_PIN_INCORRECT). */
static void test_malformed_passcode(void **state)
{
	static const char *const bad[] = { "12ab", "12345", "123456789", "12ab56" };
	CK_SESSION_HANDLE s;

	(void)state;
	s = open_session(false);
	expect_pin_flags(0, "before");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "malformed passcode #%zu", i + 1);
		expect_rv(CKR_PIN_INCORRECT, login(s, CKU_USER, bad[i]), what);
		expect_pin_flags(0, what);
	}
	assert_int_equal(3, state_pin_tries());
	/* Exactly one try goes with one wrong, well-formed passcode. */
	expect_rv(CKR_PIN_INCORRECT, login(s, CKU_USER, "000000"), "wrong passcode");
	expect_pin_flags(CKF_USER_PIN_COUNT_LOW, "after one wrong passcode");
	assert_int_equal(2, state_pin_tries());
	CK(login(s, CKU_USER, USER_PIN));
	expect_pin_flags(0, "after the right passcode");
	assert_int_equal(3, state_pin_tries());
}

static void expect_locked(const char *when)
{
	CK_SESSION_HANDLE s = open_session(false);

	expect_pin_flags(CKF_USER_PIN_LOCKED, when);
	expect_rv(CKR_PIN_LOCKED, login(s, CKU_USER, USER_PIN), when);
	CK(F->C_CloseSession(s));
}

/* P2: three wrong passcodes block the card, and the card keeps it so. */
static void test_lockout(void **state)
{
	CK_SESSION_HANDLE s;

	(void)state;
	s = open_session(false);
	expect_rv(CKR_PIN_INCORRECT, login(s, CKU_USER, "000000"), "wrong passcode #1");
	expect_pin_flags(CKF_USER_PIN_COUNT_LOW, "after wrong passcode #1");
	expect_rv(CKR_PIN_INCORRECT, login(s, CKU_USER, "000001"), "wrong passcode #2");
	expect_pin_flags(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY, "after wrong passcode #2");
	expect_rv(CKR_PIN_LOCKED, login(s, CKU_USER, "000002"), "wrong passcode #3");
	expect_pin_flags(CKF_USER_PIN_LOCKED, "after wrong passcode #3");
	expect_rv(CKR_PIN_LOCKED, login(s, CKU_USER, USER_PIN), "right passcode on a blocked card");
	assert_int_equal(0, state_pin_tries());
	CK(F->C_CloseSession(s));

	remove_card();
	insert_card();
	expect_locked("after removal and re-insertion");

	lib_run("card_restart");
	if (!wait_token(true, 15))
		fail_msg("no token 15 s after the card process restarted");
	/* The restart may be too quick for the module to see the card go:
	 * the first use then finds a new card and ends the old state. */
	for (double end = now() + 10; now() < end; sleep_ms(200)) {
		CK_TOKEN_INFO ti;

		if (F->C_GetTokenInfo(g.slot, &ti) == CKR_OK)
			break;
		(void)slot_has_token();
	}
	expect_locked("after the card process restarted");
}

/* P3: the SO (the card's PUK) unblocks by setting a new user passcode. */
static void test_unblock(void **state)
{
	CK_SESSION_HANDLE s;

	(void)state;
	expect_pin_flags(CKF_USER_PIN_LOCKED, "before unblocking (test_lockout leaves the card blocked)");
	s = open_session(true);
	CK(login(s, CKU_SO, PUK));
	expect_rv(CKR_PIN_LEN_RANGE, F->C_InitPIN(s, (CK_UTF8CHAR_PTR) "12345", 5), "C_InitPIN, 5 digits");
	expect_rv(CKR_PIN_INVALID, F->C_InitPIN(s, (CK_UTF8CHAR_PTR) "12ab56", 6), "C_InitPIN, not digits");
	CK(F->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	expect_pin_flags(0, "after C_InitPIN");
	assert_int_equal(3, state_pin_tries());
	CK(F->C_Logout(s));
	CK(login(s, CKU_USER, USER_PIN));
}

/* P5: the user changes the passcode, and changes it back. */
static void test_set_pin(void **state)
{
	CK_SESSION_HANDLE s;

	(void)state;
	s = user_session(true);
	expect_rv(CKR_PIN_LEN_RANGE, F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 6, (CK_UTF8CHAR_PTR) "12345", 5),
	          "C_SetPIN to 5 digits");
	expect_rv(CKR_PIN_INVALID, F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 6, (CK_UTF8CHAR_PTR) "12ab56", 6),
	          "C_SetPIN to non-digits");
	expect_rv(CKR_PIN_INVALID, F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 6, (CK_UTF8CHAR_PTR)USER_PIN, 6),
	          "C_SetPIN to the same passcode");
	expect_pin_flags(0, "after refused changes");
	CK(F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 6, (CK_UTF8CHAR_PTR)OTHER_PIN, strlen(OTHER_PIN)));
	CK(F->C_Logout(s));
	expect_rv(CKR_PIN_INCORRECT, login(s, CKU_USER, USER_PIN), "old passcode after C_SetPIN");
	CK(login(s, CKU_USER, OTHER_PIN));
	expect_pin_flags(0, "after login with the new passcode");
	CK(F->C_SetPIN(s, (CK_UTF8CHAR_PTR)OTHER_PIN, strlen(OTHER_PIN), (CK_UTF8CHAR_PTR)USER_PIN, 6));
	CK(F->C_Logout(s));
	expect_rv(CKR_PIN_INCORRECT, login(s, CKU_USER, OTHER_PIN), "changed passcode after changing back");
	CK(login(s, CKU_USER, USER_PIN));
	expect_pin_flags(0, "at the end");
}

static void test_sign_rsa(void **state)
{
	static const CK_MECHANISM_TYPE all[] = {
		CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS,
		CKM_SHA512_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_SHA1_RSA_PKCS_PSS, CKM_SHA224_RSA_PKCS_PSS,
		CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS, CKM_RSA_X_509,
	};
	static const CK_MECHANISM_TYPE req[] = { CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS_PSS,
		                                 CKM_SHA256_RSA_PKCS_PSS };
	EVP_PKEY *pk = cert_key(1);
	CK_SESSION_HANDLE s = user_session(false);

	(void)state;
	sign_all(s, find_one(s, CKO_PRIVATE_KEY, 1), pk, false, all, sizeof(all) / sizeof(all[0]), req,
	         sizeof(req) / sizeof(req[0]));
	EVP_PKEY_free(pk);
}

/* 9C wants the passcode before each signature (CKA_ALWAYS_AUTHENTICATE). */
static void test_sign_ec(void **state)
{
	static const CK_MECHANISM_TYPE all[] = { CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256,
		                                 CKM_ECDSA_SHA384, CKM_ECDSA_SHA512 };
	static const CK_MECHANISM_TYPE req[] = { CKM_ECDSA, CKM_ECDSA_SHA256 };
	EVP_PKEY *pk = cert_key(2);
	CK_SESSION_HANDLE s = user_session(false);

	(void)state;
	sign_all(s, find_one(s, CKO_PRIVATE_KEY, 2), pk, true, all, sizeof(all) / sizeof(all[0]), req,
	         sizeof(req) / sizeof(req[0]));
	EVP_PKEY_free(pk);
}

static void test_always_authenticate(void **state)
{
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 }, rsa = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	EVP_PKEY *pk = cert_key(2);
	CK_SESSION_HANDLE s = user_session(false);
	CK_OBJECT_HANDLE k9c = find_one(s, CKO_PRIVATE_KEY, 2), k9a = find_one(s, CKO_PRIVATE_KEY, 1);
	CK_BYTE sig[512];
	CK_ULONG siglen = sizeof(sig);

	(void)state;
	assert_true(attr_bool(s, k9c, CKA_ALWAYS_AUTHENTICATE));
	/* A context-specific login with no operation waiting for it. */
	expect_rv(CKR_OPERATION_NOT_INITIALIZED, login(s, CKU_CONTEXT_SPECIFIC, USER_PIN),
	          "context-specific login without an operation");
	CK(F->C_SignInit(s, &m, k9c));
	expect_rv(CKR_USER_NOT_LOGGED_IN, F->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &siglen),
	          "C_Sign with 9C without context-specific login");
	/* The operation waits for the login, as on soft tokens
	 * (tests/api/test_sign.c). */
	CK(login(s, CKU_CONTEXT_SPECIFIC, USER_PIN));
	siglen = sizeof(sig);
	CK(F->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &siglen));
	assert_true(tho_verify(pk, &m, msg, sizeof(msg), sig, siglen));
	/* The context-specific login was for that one signature. */
	siglen = sizeof(sig);
	CK(F->C_SignInit(s, &m, k9c));
	expect_rv(CKR_USER_NOT_LOGGED_IN, F->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &siglen),
	          "second C_Sign with 9C after one context-specific login");
	CK(F->C_SignInit(s, NULL, CK_INVALID_HANDLE));
	siglen = sizeof(sig);
	CK(sign(s, k9c, &m, true, msg, sizeof(msg), sig, &siglen));
	assert_true(tho_verify(pk, &m, msg, sizeof(msg), sig, siglen));
	/* 9A signs on the session login alone, as often as asked. */
	assert_false(attr_bool(s, k9a, CKA_ALWAYS_AUTHENTICATE));
	for (int i = 0; i < 2; i++) {
		siglen = sizeof(sig);
		CK(sign(s, k9a, &rsa, false, msg, sizeof(msg), sig, &siglen));
	}
	EVP_PKEY_free(pk);
}

static size_t ossl_encrypt(EVP_PKEY *pk, const CK_MECHANISM *m, const CK_BYTE *in, size_t inlen, CK_BYTE *out)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	size_t outlen = 512;
	int ok;

	assert_non_null(c);
	ok = EVP_PKEY_encrypt_init(c) == 1;
	if (ok && m->mechanism == CKM_RSA_PKCS)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1;
	if (ok && m->mechanism == CKM_RSA_X_509)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1;
	if (ok && m->mechanism == CKM_RSA_PKCS_OAEP) {
		const CK_RSA_PKCS_OAEP_PARAMS *p = m->pParameter;

		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_oaep_md(c, tho_md(p->hashAlg)) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(c, tho_mgf_md(p->mgf)) == 1;
		if (ok && p->ulSourceDataLen > 0)
			ok = EVP_PKEY_CTX_set0_rsa_oaep_label(
				     c, OPENSSL_memdup(p->pSourceData, p->ulSourceDataLen),
				     (int)p->ulSourceDataLen) == 1;
	}
	ok = ok && EVP_PKEY_encrypt(c, out, &outlen, in, inlen) == 1;
	EVP_PKEY_CTX_free(c);
	assert_true(ok);
	return outlen;
}

static void test_decrypt_rsa(void **state)
{
	static CK_BYTE label[] = "careid";
	CK_RSA_PKCS_OAEP_PARAMS sha1 = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_RSA_PKCS_OAEP_PARAMS sha256 = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, label,
		                           sizeof(label) - 1 };
	CK_MECHANISM mechs[] = {
		{ CKM_RSA_PKCS, NULL, 0 },
		{ CKM_RSA_PKCS_OAEP, &sha1, sizeof(sha1) },
		{ CKM_RSA_PKCS_OAEP, &sha256, sizeof(sha256) },
		{ CKM_RSA_X_509, NULL, 0 },
	};
	EVP_PKEY *pk = cert_key(1);
	CK_SESSION_HANDLE s = user_session(false);
	CK_OBJECT_HANDLE key = find_one(s, CKO_PRIVATE_KEY, 1);
	size_t modlen = (size_t)EVP_PKEY_get_size(pk);

	(void)state;
	assert_true(attr_bool(s, key, CKA_DECRYPT));
	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		CK_BYTE pt[512], ct[512], out[512];
		size_t ptlen = 32, ctlen;
		CK_ULONG outlen = 0;
		CK_RV rv;

		if (mechs[i].mechanism == CKM_RSA_X_509 && !offered(CKM_RSA_X_509, CKF_DECRYPT))
			continue;
		if (!offered(mechs[i].mechanism, CKF_DECRYPT))
			fail_msg("%s is not offered for decryption", mech_name(mechs[i].mechanism));
		assert_int_equal(1, RAND_bytes(pt, sizeof(pt)));
		if (mechs[i].mechanism == CKM_RSA_X_509) {
			ptlen = modlen;
			pt[0] = 0;  /* below the modulus */
		}
		ctlen = ossl_encrypt(pk, &mechs[i], pt, ptlen, ct);
		rv = F->C_DecryptInit(s, &mechs[i], key);
		if (rv == CKR_OK)
			rv = F->C_Decrypt(s, ct, ctlen, NULL, &outlen);
		if (rv == CKR_OK && outlen > sizeof(out))
			rv = CKR_BUFFER_TOO_SMALL;
		if (rv == CKR_OK)
			rv = F->C_Decrypt(s, ct, ctlen, out, &outlen);
		if (rv != CKR_OK)
			fail_msg("decrypt #%zu with %s: 0x%lx", i + 1, mech_name(mechs[i].mechanism), rv);
		assert_int_equal(ptlen, outlen);
		assert_memory_equal(pt, out, ptlen);
	}
	EVP_PKEY_free(pk);
}

static void test_admin_refused(void **state)
{
	CK_BYTE wrong[24];
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE id = 3;
	CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
		                { CKA_ID, &id, 1 } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 }, { CKA_ID, &id, 1 },
		                 { CKA_SIGN, &yes, 1 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub = 0, priv = 0, h[4];
	CK_SESSION_HANDLE ro, s;
	CK_RV rv;

	(void)state;
	memcpy(wrong, admin_key, sizeof(wrong));
	/* Not bit 0: 3DES ignores the parity bits. */
	wrong[23] ^= 0x02;
	ro = open_session(false);
	s = open_session(true);
	CK(login(s, CKU_USER, USER_PIN));
	expect_rv(CKR_SESSION_READ_ONLY, F->C_Login(ro, CKU_CAREID_CARD_ADMIN, (CK_UTF8CHAR_PTR)admin_key, 24),
	          "administrator login in a read-only session");
	expect_rv(CKR_PIN_INCORRECT, F->C_Login(s, CKU_CAREID_CARD_ADMIN, wrong, 24), "wrong administrator key");
	rv = F->C_Login(s, CKU_CAREID_CARD_ADMIN, wrong, 10);
	if (rv != CKR_PIN_LEN_RANGE && rv != CKR_PIN_INCORRECT)
		fail_msg("administrator key of 10 bytes: 0x%lx", rv);
	/* Without the administrator, the card generates and writes nothing. */
	expect_rv(CKR_USER_NOT_LOGGED_IN, F->C_GenerateKeyPair(s, &gen, pubt, 3, privt, 4, &pub, &priv),
	          "C_GenerateKeyPair without the administrator");
	assert_int_equal(0, find(s, CKO_PRIVATE_KEY, 3, h, 4));
	assert_int_equal(0, find(s, CKO_PUBLIC_KEY, 3, h, 4));
}

static CK_BYTE *make_cert(EVP_PKEY *pub, size_t *len, CK_BYTE **subj, size_t *subjlen)
{
	EVP_PKEY *ca = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	unsigned char *der = NULL, *sd = NULL;
	int dl, sl;

	assert_non_null(ca);
	assert_non_null(x);
	assert_int_equal(1, X509_set_version(x, X509_VERSION_3));
	assert_int_equal(1, ASN1_INTEGER_set(X509_get_serialNumber(x), 0x9d));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 730L * 86400));
	n = X509_get_subject_name(x);
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"careid", -1, -1, 0));
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)"people", -1, -1, 0));
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)g.uuid, -1, -1, 0));
	n = X509_get_issuer_name(x);
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	                                               (const unsigned char *)"careid card test issuer", -1, -1, 0));
	assert_int_equal(1, X509_set_pubkey(x, pub));
	assert_true(X509_sign(x, ca, EVP_sha256()) > 0);
	dl = i2d_X509(x, &der);
	sl = i2d_X509_NAME(X509_get_subject_name(x), &sd);
	assert_true(dl > 0 && sl > 0);
	X509_free(x);
	EVP_PKEY_free(ca);
	*len = (size_t)dl;
	*subjlen = (size_t)sl;
	*subj = sd;
	return der;
}

static void sign_and_check(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, EVP_PKEY *pk)
{
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_BYTE sig[128];
	CK_ULONG siglen = sizeof(sig);

	CK(sign(s, priv, &m, false, msg, sizeof(msg), sig, &siglen));
	assert_int_equal(64, siglen);
	assert_true(tho_verify(pk, &m, msg, sizeof(msg), sig, siglen));
}

/* Whether the card's state file holds the certificate in object 5FC10B
 * (key 9D): the card, not the module's cache, has it. */
static bool card_holds_cert(const CK_BYTE *der, size_t len)
{
	char *v = state_line("obj 5fc10b"), *hex = malloc(2 * len + 1);
	bool found;

	assert_non_null(hex);
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", der[i]);
	found = v != NULL && strstr(v, hex) != NULL;
	free(v);
	free(hex);
	return found;
}

static void expect_cert(CK_SESSION_HANDLE s, const CK_BYTE *der, size_t len, const char *when)
{
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = find(s, CKO_CERTIFICATE, 3, h, 4), got = 0;
	CK_BYTE *v;

	if (n != 1)
		fail_msg("%s: %lu certificates with CKA_ID 03, expected 1", when, n);
	v = tho_attr(&g.env, s, h[0], CKA_VALUE, &got);
	if (got != len || memcmp(v, der, len) != 0)
		fail_msg("%s: the certificate read back differs from the one written", when);
	free(v);
}

/* The administrator generates a P-256 key in 9D (CKA_ID 03) and writes
 * its certificate, which the card keeps. */
static void test_admin_keygen_and_cert(void **state)
{
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE id = 3;
	CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
		                { CKA_ID, &id, 1 }, { CKA_VERIFY, &yes, 1 } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 }, { CKA_SENSITIVE, &yes, 1 },
		                 { CKA_ID, &id, 1 },     { CKA_SIGN, &yes, 1 },    { CKA_DERIVE, &yes, 1 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_OBJECT_HANDLE pub = 0, priv = 0, cert = 0, h[8];
	CK_SESSION_HANDLE s;
	CK_BYTE *der, *subj;
	size_t derlen, subjlen;
	EVP_PKEY *pk;
	X509 *x;

	(void)state;
	s = open_session(true);
	CK(login(s, CKU_USER, USER_PIN));
	CK(F->C_Login(s, CKU_CAREID_CARD_ADMIN, (CK_UTF8CHAR_PTR)admin_key, sizeof(admin_key)));
	CK(F->C_GenerateKeyPair(s, &gen, pubt, 4, privt, 6, &pub, &priv));
	assert_int_equal(0x9d, attr_byte(s, priv, CKA_CAREID_KEY_REF));
	assert_int_equal(3, attr_byte(s, priv, CKA_ID));
	assert_int_equal(3, attr_byte(s, pub, CKA_ID));
	assert_true(attr_bool(s, priv, CKA_LOCAL));
	assert_false(attr_bool(s, priv, CKA_ALWAYS_AUTHENTICATE));
	assert_int_equal(CKK_EC, tho_ulong(&g.env, s, priv, CKA_KEY_TYPE));
	assert_int_equal(priv, find_one(s, CKO_PRIVATE_KEY, 3));
	pk = tho_pubkey(&g.env, s, pub);
	sign_and_check(s, priv, pk);

	der = make_cert(pk, &derlen, &subj, &subjlen);
	{
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cc, sizeof(cc) },   { CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			             { CKA_TOKEN, &yes, 1 },            { CKA_ID, &id, 1 },
			             { CKA_SUBJECT, subj, subjlen },    { CKA_VALUE, der, derlen } };

		CK(F->C_CreateObject(s, t, 6, &cert));
	}
	expect_cert(s, der, derlen, "right after C_CreateObject");
	assert_int_equal(3, find(s, CKO_CERTIFICATE, -1, h, 8));
	assert_true(card_holds_cert(der, derlen));
	CK(F->C_CloseSession(s));

	remove_card();
	insert_card();
	s = open_session(false);
	expect_cert(s, der, derlen, "after re-insertion");
	CK(F->C_CloseSession(s));

	/* A new module instance has no cache: it reads the card, and finds
	 * the key through its certificate. */
	CK(F->C_Finalize(NULL));
	CK(F->C_Initialize(&init_args));
	g.slot = find_card_slot();
	s = user_session(false);
	expect_cert(s, der, derlen, "after C_Finalize and C_Initialize");
	x = cert_of(s, find_one(s, CKO_CERTIFICATE, 3));
	EVP_PKEY_free(pk);
	pk = X509_get_pubkey(x);
	X509_free(x);
	priv = find_one(s, CKO_PRIVATE_KEY, 3);
	assert_int_equal(0x9d, attr_byte(s, priv, CKA_CAREID_KEY_REF));
	sign_and_check(s, priv, pk);

	EVP_PKEY_free(pk);
	OPENSSL_free(der);
	OPENSSL_free(subj);
}

/* ECDH on the card with the key generated in 9D, against OpenSSL. */
static void test_ecdh_derive(void **state)
{
	CK_SESSION_HANDLE s = user_session(false);
	CK_OBJECT_HANDLE priv = find_one(s, CKO_PRIVATE_KEY, 3), secret = 0;
	CK_OBJECT_CLASS sc = CKO_SECRET_KEY;
	CK_KEY_TYPE gk = CKK_GENERIC_SECRET;
	CK_ULONG vlen = 32, klen = 0;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &sc, sizeof(sc) },      { CKA_KEY_TYPE, &gk, sizeof(gk) },
		             { CKA_VALUE_LEN, &vlen, sizeof(vlen) }, { CKA_TOKEN, &no, 1 },
		             { CKA_SENSITIVE, &no, 1 },           { CKA_EXTRACTABLE, &yes, 1 } };
	CK_BYTE point[133], want[66], *got;
	size_t plen = 0, wlen = sizeof(want);
	CK_ECDH1_DERIVE_PARAMS p = { CKD_NULL, 0, NULL, 0, point };
	CK_MECHANISM m = { CKM_ECDH1_DERIVE, &p, sizeof(p) };
	EVP_PKEY *card = cert_key(3), *eph = EVP_EC_gen("P-256");
	EVP_PKEY_CTX *c;

	(void)state;
	if (!offered(CKM_ECDH1_DERIVE, CKF_DERIVE))
		fail_msg("CKM_ECDH1_DERIVE is not offered for derivation");
	assert_true(attr_bool(s, priv, CKA_DERIVE));
	assert_non_null(eph);
	assert_int_equal(1, EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	                                                    sizeof(point), &plen));
	p.ulPublicDataLen = (CK_ULONG)plen;
	c = EVP_PKEY_CTX_new(eph, NULL);
	assert_non_null(c);
	assert_int_equal(1, EVP_PKEY_derive_init(c));
	assert_int_equal(1, EVP_PKEY_derive_set_peer(c, card));
	assert_int_equal(1, EVP_PKEY_derive(c, want, &wlen));
	EVP_PKEY_CTX_free(c);

	CK(F->C_DeriveKey(s, &m, priv, t, sizeof(t) / sizeof(t[0]), &secret));
	got = tho_attr(&g.env, s, secret, CKA_VALUE, &klen);
	assert_int_equal(wlen, klen);
	assert_memory_equal(want, got, wlen);
	free(got);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(card);
}

/* A card pulled out under an open session ends that session. */
static void test_removal_mid_session(void **state)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_SESSION_HANDLE s, s2;
	CK_SESSION_INFO si;
	CK_SLOT_INFO sl;
	CK_TOKEN_INFO ti;
	CK_OBJECT_HANDLE h[4];
	CK_BYTE sig[512];
	CK_ULONG siglen = sizeof(sig);
	EVP_PKEY *pk = cert_key(1);
	CK_RV rv;

	(void)state;
	s = user_session(false);
	CK(F->C_SignInit(s, &m, find_one(s, CKO_PRIVATE_KEY, 1)));
	vcard_toggle();
	lib_run("card_wait_absent 10");
	rv = F->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &siglen);
	if (rv != CKR_DEVICE_REMOVED && rv != CKR_SESSION_HANDLE_INVALID && rv != CKR_SESSION_CLOSED)
		fail_msg("C_Sign on a pulled card: 0x%lx, expected CKR_DEVICE_REMOVED", rv);
	expect_rv(CKR_SESSION_HANDLE_INVALID, F->C_GetSessionInfo(s, &si), "the session of a pulled card");
	if (!wait_token(false, 10))
		fail_msg("the slot still shows a token 10 s after the card was pulled");
	CK(F->C_GetSlotInfo(g.slot, &sl));
	assert_false(sl.flags & CKF_TOKEN_PRESENT);
	assert_true(sl.flags & CKF_REMOVABLE_DEVICE);
	expect_rv(CKR_TOKEN_NOT_PRESENT, F->C_GetTokenInfo(g.slot, &ti), "C_GetTokenInfo without a card");
	expect_rv(CKR_TOKEN_NOT_PRESENT, F->C_OpenSession(g.slot, CKF_SERIAL_SESSION, NULL, NULL, &s2),
	          "C_OpenSession without a card");

	insert_card();
	s2 = open_session(false);
	CK(F->C_GetSessionInfo(s2, &si));
	assert_int_equal(CKS_RO_PUBLIC_SESSION, si.state);
	assert_int_equal(0, find(s2, CKO_PRIVATE_KEY, -1, h, 4));
	assert_true(find(s2, CKO_CERTIFICATE, -1, h, 4) >= 2);
	CK(login(s2, CKU_USER, USER_PIN));
	siglen = sizeof(sig);
	CK(sign(s2, find_one(s2, CKO_PRIVATE_KEY, 1), &m, false, msg, sizeof(msg), sig, &siglen));
	assert_true(tho_verify(pk, &m, msg, sizeof(msg), sig, siglen));
	EVP_PKEY_free(pk);
}

/* Takes the events earlier tests caused. */
static void drain_events(void)
{
	CK_SLOT_ID id;

	for (int i = 0; i < 100; i++) {
		CK_RV rv = F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL);

		if (rv == CKR_NO_EVENT)
			return;
		if (rv != CKR_OK)
			fail_msg("C_WaitForSlotEvent(CKF_DONT_BLOCK): 0x%lx", rv);
	}
	fail_msg("C_WaitForSlotEvent reports events without end");
}

static void poll_event(bool present, const char *what)
{
	CK_SLOT_ID id = (CK_SLOT_ID)-1;
	CK_RV rv = CKR_NO_EVENT;

	for (double end = now() + 10; rv == CKR_NO_EVENT && now() < end;) {
		rv = F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL);
		if (rv == CKR_NO_EVENT)
			sleep_ms(100);
	}
	if (rv != CKR_OK)
		fail_msg("%s: C_WaitForSlotEvent(CKF_DONT_BLOCK) 0x%lx after 10 s", what, rv);
	if (id != g.slot)
		fail_msg("%s: event for slot %lu, the card is in slot %lu", what, id, g.slot);
	if (!wait_token(present, 5))
		fail_msg("%s: the slot does not show the change the event announced", what);
}

static void test_wait_event_nonblocking(void **state)
{
	CK_SLOT_ID id;

	(void)state;
	drain_events();
	sleep_ms(1000);
	expect_rv(CKR_NO_EVENT, F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL), "nothing happened");
	vcard_toggle();
	poll_event(false, "removal");
	vcard_toggle();
	poll_event(true, "insertion");
}

static void *toggle_soon(void *arg)
{
	(void)arg;
	sleep_ms(700);
	return (void *)(intptr_t)vcard_signal();
}

static void blocking_event(bool present, const char *what)
{
	pthread_t t;
	CK_SLOT_ID id = (CK_SLOT_ID)-1;
	void *res = NULL;
	double t0;
	CK_RV rv;

	drain_events();
	assert_int_equal(0, pthread_create(&t, NULL, toggle_soon, NULL));
	t0 = now();
	alarm(60);  /* a wait that never ends fails the run instead of hanging it */
	rv = F->C_WaitForSlotEvent(0, &id, NULL);
	alarm(0);
	pthread_join(t, &res);
	assert_int_equal(0, (intptr_t)res);
	if (rv != CKR_OK)
		fail_msg("%s: blocking C_WaitForSlotEvent 0x%lx", what, rv);
	if (now() - t0 < 0.5)
		fail_msg("%s: the blocking wait returned before the card moved", what);
	if (id != g.slot)
		fail_msg("%s: event for slot %lu, the card is in slot %lu", what, id, g.slot);
	if (!wait_token(present, 5))
		fail_msg("%s: the slot does not show the change the event announced", what);
}

static void test_wait_event_blocking(void **state)
{
	(void)state;
	blocking_event(false, "removal");
	blocking_event(true, "insertion");
}

struct waiter {
	CK_RV rv;
	CK_SLOT_ID id;
	double at;
	atomic_bool done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rv = F->C_WaitForSlotEvent(0, &w->id, NULL);
	w->at = now();
	atomic_store(&w->done, true);
	return NULL;
}

/* C_Finalize from another thread ends a blocked wait.  Runs last. */
static void test_finalize_ends_wait(void **state)
{
	static struct waiter w;
	pthread_t t;
	double t0;

	(void)state;
	drain_events();
	atomic_init(&w.done, false);
	assert_int_equal(0, pthread_create(&t, NULL, wait_thread, &w));
	sleep_ms(500);
	if (atomic_load(&w.done))
		fail_msg("C_WaitForSlotEvent returned 0x%lx with nothing happening", w.rv);
	t0 = now();
	g.finalized = true;
	CK(F->C_Finalize(NULL));
	for (double end = t0 + 5; !atomic_load(&w.done) && now() < end;)
		sleep_ms(20);
	if (!atomic_load(&w.done)) {
		g.wait_stuck = true;
		pthread_detach(t);
		fail_msg("C_WaitForSlotEvent still blocked 5 s after C_Finalize");
	}
	pthread_join(t, NULL);
	expect_rv(CKR_CRYPTOKI_NOT_INITIALIZED, w.rv, "the wait ended by C_Finalize");
	if (w.at - t0 > 2.0)
		fail_msg("the wait ended %.1f s after C_Finalize", w.at - t0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_token_info, after_each),
		cmocka_unit_test_teardown(test_objects, after_each),
		cmocka_unit_test_teardown(test_cold_listing, after_each),
		cmocka_unit_test_teardown(test_login_user, after_each),
		cmocka_unit_test_teardown(test_reset_elsewhere, after_each),
		cmocka_unit_test_teardown(test_malformed_passcode, after_each),
		cmocka_unit_test_teardown(test_lockout, after_each),
		cmocka_unit_test_teardown(test_unblock, after_each),
		cmocka_unit_test_teardown(test_set_pin, after_each),
		cmocka_unit_test_teardown(test_sign_rsa, after_each),
		cmocka_unit_test_teardown(test_sign_ec, after_each),
		cmocka_unit_test_teardown(test_always_authenticate, after_each),
		cmocka_unit_test_teardown(test_decrypt_rsa, after_each),
		cmocka_unit_test_teardown(test_admin_refused, after_each),
		cmocka_unit_test_teardown(test_admin_keygen_and_cert, after_each),
		cmocka_unit_test_teardown(test_ecdh_derive, after_each),
		cmocka_unit_test_teardown(test_removal_mid_session, after_each),
		cmocka_unit_test_teardown(test_wait_event_nonblocking, after_each),
		cmocka_unit_test_teardown(test_wait_event_blocking, after_each),
		cmocka_unit_test_teardown(test_finalize_ends_wait, after_each),
	};

	return cmocka_run_group_tests_name("careid module on the card", tests, group_setup, group_teardown);
}
