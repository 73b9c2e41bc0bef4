/* CONFORMANCE.md must tell the truth: the functions it lists as not
 * supported return CKR_FUNCTION_NOT_SUPPORTED, every other one does not,
 * and every function of the 3.0 list appears in it.  Every function also
 * refuses to work before C_Initialize. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *const names[] = {
	"C_GetInfo",
	"C_GetSlotList",
	"C_GetSlotInfo",
	"C_GetTokenInfo",
	"C_GetMechanismList",
	"C_GetMechanismInfo",
	"C_InitToken",
	"C_InitPIN",
	"C_SetPIN",
	"C_OpenSession",
	"C_CloseSession",
	"C_CloseAllSessions",
	"C_GetSessionInfo",
	"C_GetOperationState",
	"C_SetOperationState",
	"C_Login",
	"C_Logout",
	"C_CreateObject",
	"C_CopyObject",
	"C_DestroyObject",
	"C_GetObjectSize",
	"C_GetAttributeValue",
	"C_SetAttributeValue",
	"C_FindObjectsInit",
	"C_FindObjects",
	"C_FindObjectsFinal",
	"C_EncryptInit",
	"C_Encrypt",
	"C_EncryptUpdate",
	"C_EncryptFinal",
	"C_DecryptInit",
	"C_Decrypt",
	"C_DecryptUpdate",
	"C_DecryptFinal",
	"C_DigestInit",
	"C_Digest",
	"C_DigestUpdate",
	"C_DigestKey",
	"C_DigestFinal",
	"C_SignInit",
	"C_Sign",
	"C_SignUpdate",
	"C_SignFinal",
	"C_SignRecoverInit",
	"C_SignRecover",
	"C_VerifyInit",
	"C_Verify",
	"C_VerifyUpdate",
	"C_VerifyFinal",
	"C_VerifyRecoverInit",
	"C_VerifyRecover",
	"C_DigestEncryptUpdate",
	"C_DecryptDigestUpdate",
	"C_SignEncryptUpdate",
	"C_DecryptVerifyUpdate",
	"C_GenerateKey",
	"C_GenerateKeyPair",
	"C_WrapKey",
	"C_UnwrapKey",
	"C_DeriveKey",
	"C_SeedRandom",
	"C_GenerateRandom",
	"C_GetFunctionStatus",
	"C_CancelFunction",
	"C_LoginUser",
	"C_SessionCancel",
	"C_MessageEncryptInit",
	"C_EncryptMessage",
	"C_EncryptMessageBegin",
	"C_EncryptMessageNext",
	"C_MessageEncryptFinal",
	"C_MessageDecryptInit",
	"C_DecryptMessage",
	"C_DecryptMessageBegin",
	"C_DecryptMessageNext",
	"C_MessageDecryptFinal",
	"C_MessageSignInit",
	"C_SignMessage",
	"C_SignMessageBegin",
	"C_SignMessageNext",
	"C_MessageSignFinal",
	"C_MessageVerifyInit",
	"C_VerifyMessage",
	"C_VerifyMessageBegin",
	"C_VerifyMessageNext",
	"C_MessageVerifyFinal",
};
#define NFUNCS (sizeof(names) / sizeof(names[0]))

/* Calls function i with an invalid session/slot, zero numbers, and every
 * pointer aimed at a zeroed scratch area (so that argument checks pass and
 * the answer depends on the function's state checks alone), or, with
 * nulls, every pointer NULL (so that only the order of the checks decides
 * whether the state check comes first). */
static CK_RV call(size_t i, CK_FUNCTION_LIST_3_0 *f, CK_ULONG bad, bool nulls)
{
	static CK_ULONG scratch[1024];
#define P (nulls ? NULL : (void *)scratch)

	memset(scratch, 0, sizeof(scratch));
	switch (i) {
	case 0: return f->C_GetInfo(P);
	case 1: return f->C_GetSlotList(0, P, P);
	case 2: return f->C_GetSlotInfo(bad, P);
	case 3: return f->C_GetTokenInfo(bad, P);
	case 4: return f->C_GetMechanismList(bad, P, P);
	case 5: return f->C_GetMechanismInfo(bad, 0, P);
	case 6: return f->C_InitToken(bad, P, 0, P);
	case 7: return f->C_InitPIN(bad, P, 0);
	case 8: return f->C_SetPIN(bad, P, 0, P, 0);
	case 9: return f->C_OpenSession(bad, 0, P, 0, P);
	case 10: return f->C_CloseSession(bad);
	case 11: return f->C_CloseAllSessions(bad);
	case 12: return f->C_GetSessionInfo(bad, P);
	case 13: return f->C_GetOperationState(bad, P, P);
	case 14: return f->C_SetOperationState(bad, P, 0, 0, 0);
	case 15: return f->C_Login(bad, 0, P, 0);
	case 16: return f->C_Logout(bad);
	case 17: return f->C_CreateObject(bad, P, 0, P);
	case 18: return f->C_CopyObject(bad, 0, P, 0, P);
	case 19: return f->C_DestroyObject(bad, 0);
	case 20: return f->C_GetObjectSize(bad, 0, P);
	case 21: return f->C_GetAttributeValue(bad, 0, P, 0);
	case 22: return f->C_SetAttributeValue(bad, 0, P, 0);
	case 23: return f->C_FindObjectsInit(bad, P, 0);
	case 24: return f->C_FindObjects(bad, P, 0, P);
	case 25: return f->C_FindObjectsFinal(bad);
	case 26: return f->C_EncryptInit(bad, P, 0);
	case 27: return f->C_Encrypt(bad, P, 0, P, P);
	case 28: return f->C_EncryptUpdate(bad, P, 0, P, P);
	case 29: return f->C_EncryptFinal(bad, P, P);
	case 30: return f->C_DecryptInit(bad, P, 0);
	case 31: return f->C_Decrypt(bad, P, 0, P, P);
	case 32: return f->C_DecryptUpdate(bad, P, 0, P, P);
	case 33: return f->C_DecryptFinal(bad, P, P);
	case 34: return f->C_DigestInit(bad, P);
	case 35: return f->C_Digest(bad, P, 0, P, P);
	case 36: return f->C_DigestUpdate(bad, P, 0);
	case 37: return f->C_DigestKey(bad, 0);
	case 38: return f->C_DigestFinal(bad, P, P);
	case 39: return f->C_SignInit(bad, P, 0);
	case 40: return f->C_Sign(bad, P, 0, P, P);
	case 41: return f->C_SignUpdate(bad, P, 0);
	case 42: return f->C_SignFinal(bad, P, P);
	case 43: return f->C_SignRecoverInit(bad, P, 0);
	case 44: return f->C_SignRecover(bad, P, 0, P, P);
	case 45: return f->C_VerifyInit(bad, P, 0);
	case 46: return f->C_Verify(bad, P, 0, P, 0);
	case 47: return f->C_VerifyUpdate(bad, P, 0);
	case 48: return f->C_VerifyFinal(bad, P, 0);
	case 49: return f->C_VerifyRecoverInit(bad, P, 0);
	case 50: return f->C_VerifyRecover(bad, P, 0, P, P);
	case 51: return f->C_DigestEncryptUpdate(bad, P, 0, P, P);
	case 52: return f->C_DecryptDigestUpdate(bad, P, 0, P, P);
	case 53: return f->C_SignEncryptUpdate(bad, P, 0, P, P);
	case 54: return f->C_DecryptVerifyUpdate(bad, P, 0, P, P);
	case 55: return f->C_GenerateKey(bad, P, P, 0, P);
	case 56: return f->C_GenerateKeyPair(bad, P, P, 0, P, 0, P, P);
	case 57: return f->C_WrapKey(bad, P, 0, 0, P, P);
	case 58: return f->C_UnwrapKey(bad, P, 0, P, 0, P, 0, P);
	case 59: return f->C_DeriveKey(bad, P, 0, P, 0, P);
	case 60: return f->C_SeedRandom(bad, P, 0);
	case 61: return f->C_GenerateRandom(bad, P, 0);
	case 62: return f->C_GetFunctionStatus(bad);
	case 63: return f->C_CancelFunction(bad);
	case 64: return f->C_LoginUser(bad, 0, P, 0, P, 0);
	case 65: return f->C_SessionCancel(bad, 0);
	case 66: return f->C_MessageEncryptInit(bad, P, 0);
	case 67: return f->C_EncryptMessage(bad, P, 0, P, 0, P, 0, P, P);
	case 68: return f->C_EncryptMessageBegin(bad, P, 0, P, 0);
	case 69: return f->C_EncryptMessageNext(bad, P, 0, P, 0, P, P, 0);
	case 70: return f->C_MessageEncryptFinal(bad);
	case 71: return f->C_MessageDecryptInit(bad, P, 0);
	case 72: return f->C_DecryptMessage(bad, P, 0, P, 0, P, 0, P, P);
	case 73: return f->C_DecryptMessageBegin(bad, P, 0, P, 0);
	case 74: return f->C_DecryptMessageNext(bad, P, 0, P, 0, P, P, 0);
	case 75: return f->C_MessageDecryptFinal(bad);
	case 76: return f->C_MessageSignInit(bad, P, 0);
	case 77: return f->C_SignMessage(bad, P, 0, P, 0, P, P);
	case 78: return f->C_SignMessageBegin(bad, P, 0);
	case 79: return f->C_SignMessageNext(bad, P, 0, P, 0, P, P);
	case 80: return f->C_MessageSignFinal(bad);
	case 81: return f->C_MessageVerifyInit(bad, P, 0);
	case 82: return f->C_VerifyMessage(bad, P, 0, P, 0, P, 0);
	case 83: return f->C_VerifyMessageBegin(bad, P, 0);
	case 84: return f->C_VerifyMessageNext(bad, P, 0, P, 0, P, 0);
	case 85: return f->C_MessageVerifyFinal(bad);
	}
#undef P
	fail_msg("no function %zu", i);
	return CKR_GENERAL_ERROR;
}

typedef enum { ST_UNLISTED, ST_IMPLEMENTED, ST_NOT_SUPPORTED, ST_NOT_PARALLEL } status;

/* Rows look like: | `C_Name` | implemented | ... */
static status doc_status(const char *doc, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "| `%s` |", name);
	p = strstr(doc, key);
	if (p == NULL)
		return ST_UNLISTED;
	p += strlen(key);
	while (*p == ' ')
		p++;
	if (strncmp(p, "implemented", 11) == 0)
		return ST_IMPLEMENTED;
	if (strncmp(p, "not supported", 13) == 0)
		return ST_NOT_SUPPORTED;
	if (strncmp(p, "legacy", 6) == 0)
		return ST_NOT_PARALLEL;
	fail_msg("%s: unknown status in CONFORMANCE.md", name);
	return ST_UNLISTED;
}

static char *read_doc(void)
{
	const char *path = getenv("CAREID_CONFORMANCE");
	FILE *f;
	char *buf;
	long n;

	assert_non_null(path);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal((size_t)n, fread(buf, 1, (size_t)n, f));
	fclose(f);
	return buf;
}

static void before_initialize(void **state)
{
	th_env *env = TH_ENV(state);

	int wrong = 0;

	for (int nulls = 0; nulls <= 1; nulls++) {
		for (size_t i = 0; i < NFUNCS; i++) {
			CK_RV rv = call(i, env->f, 1, nulls);

			if (rv != CKR_CRYPTOKI_NOT_INITIALIZED) {
				print_error("%s before C_Initialize, %s pointers, returned 0x%lx\n", names[i],
				            nulls ? "NULL" : "valid", rv);
				wrong++;
			}
		}
	}
	assert_int_equal(0, wrong);
}

static void matches_document(void **state)
{
	th_env *env = TH_ENV(state);
	char *doc = read_doc();
	/* An id no session or slot will ever have. */
	const CK_ULONG bad = 0x7fff0000UL;

	CK(env->f->C_Initialize(NULL));
	for (size_t i = 0; i < NFUNCS; i++) {
		status st = doc_status(doc, names[i]);
		CK_RV rv = call(i, env->f, bad, false);

		switch (st) {
		case ST_UNLISTED:
			fail_msg("%s is missing from CONFORMANCE.md", names[i]);
			break;
		case ST_IMPLEMENTED:
			if (rv == CKR_FUNCTION_NOT_SUPPORTED)
				fail_msg("%s is listed as implemented but returned 0x%lx", names[i], rv);
			break;
		case ST_NOT_SUPPORTED:
			if (rv != CKR_FUNCTION_NOT_SUPPORTED)
				fail_msg("%s is listed as not supported but returned 0x%lx", names[i], rv);
			break;
		case ST_NOT_PARALLEL:
			if (rv != CKR_FUNCTION_NOT_PARALLEL)
				fail_msg("%s should return CKR_FUNCTION_NOT_PARALLEL, got 0x%lx", names[i], rv);
			break;
		}
	}
	/* The entry points that take no session are listed too. */
	assert_int_equal(ST_IMPLEMENTED, doc_status(doc, "C_Initialize"));
	assert_int_equal(ST_IMPLEMENTED, doc_status(doc, "C_Finalize"));
	assert_int_equal(ST_IMPLEMENTED, doc_status(doc, "C_GetInterfaceList"));
	assert_int_equal(ST_IMPLEMENTED, doc_status(doc, "C_GetInterface"));
	assert_int_equal(ST_IMPLEMENTED, doc_status(doc, "C_GetFunctionList"));
	assert_int_equal(ST_IMPLEMENTED, doc_status(doc, "C_WaitForSlotEvent"));
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(before_initialize, th_setup_loaded, th_teardown),
		cmocka_unit_test_setup_teardown(matches_document, th_setup_loaded, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
