/* APDUs per PKCS#11 operation, for any module, against the virtual card of
 * tests/card/rig.sh: after each step the number of APDUs the card served
 * during it (from the card's count file) is printed as one line
 *
 *   apdu <row> <count>
 *
 * with rows cold_start, find_certs, login, sign_rsa, sign_p256,
 * find_certs_warm, sign_rsa_warm, sign_p256_warm, token_info_warm and
 * total.  Other lines:
 * "module PATH", "slot ID DESCRIPTION", "certs N", and "error STEP RV"
 * (exit 1) when a call fails.
 *
 *   apdu_count [--count-file FILE] [--reader NAME] [--pin PIN] MODULE
 *
 * The count file defaults to $CAREID_COUNT_FILE, the reader to
 * $CAREID_READER (the slot whose description contains it; else the first
 * slot with a token). */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11.h"

static const char *count_file;
static unsigned long last;
static unsigned long total;
static CK_FUNCTION_LIST *f;

static unsigned long read_count(void)
{
	unsigned long n = 0;
	FILE *fp = fopen(count_file, "r");

	/* No file yet: the card has served nothing since it started. */
	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%lu", &n) != 1)
		n = 0;
	fclose(fp);
	return n;
}

static void row(const char *name)
{
	unsigned long now = read_count();
	unsigned long d = now >= last ? now - last : 0;

	total += d;
	last = now;
	printf("apdu %s %lu\n", name, d);
	fflush(stdout);
}

static void check(const char *step, CK_RV rv)
{
	if (rv == CKR_OK)
		return;
	printf("error %s 0x%08lx\n", step, (unsigned long)rv);
	fflush(stdout);
	exit(1);
}

static CK_SLOT_ID pick_slot(const char *reader)
{
	CK_ULONG n = 0;
	CK_SLOT_ID *list, chosen;
	CK_SLOT_INFO si;
	bool found = false;

	check("C_GetSlotList", f->C_GetSlotList(CK_TRUE, NULL, &n));
	if (n == 0)
		check("C_GetSlotList", CKR_TOKEN_NOT_PRESENT);
	list = calloc(n, sizeof(*list));
	if (list == NULL)
		check("calloc", CKR_HOST_MEMORY);
	check("C_GetSlotList", f->C_GetSlotList(CK_TRUE, list, &n));
	chosen = list[0];
	for (CK_ULONG i = 0; i < n && reader != NULL && !found; i++) {
		char desc[sizeof(si.slotDescription) + 1];

		check("C_GetSlotInfo", f->C_GetSlotInfo(list[i], &si));
		memcpy(desc, si.slotDescription, sizeof(si.slotDescription));
		desc[sizeof(si.slotDescription)] = '\0';
		for (size_t k = sizeof(si.slotDescription); k > 0 && desc[k - 1] == ' '; k--)
			desc[k - 1] = '\0';
		if (strstr(desc, reader) != NULL) {
			chosen = list[i];
			found = true;
			printf("slot %lu %s\n", (unsigned long)chosen, desc);
		}
	}
	if (!found)
		printf("slot %lu (first with a token)\n", (unsigned long)chosen);
	free(list);
	return chosen;
}

/* Every certificate, with its value read. */
static void find_certs(CK_SESSION_HANDLE s, bool say)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0;

	check("C_FindObjectsInit", f->C_FindObjectsInit(s, &t, 1));
	check("C_FindObjects", f->C_FindObjects(s, h, 16, &n));
	check("C_FindObjectsFinal", f->C_FindObjectsFinal(s));
	for (CK_ULONG i = 0; i < n; i++) {
		CK_ATTRIBUTE v = { CKA_VALUE, NULL, 0 };

		check("C_GetAttributeValue", f->C_GetAttributeValue(s, h[i], &v, 1));
		v.pValue = malloc(v.ulValueLen);
		if (v.pValue == NULL)
			check("malloc", CKR_HOST_MEMORY);
		check("C_GetAttributeValue", f->C_GetAttributeValue(s, h[i], &v, 1));
		free(v.pValue);
	}
	if (say)
		printf("certs %lu\n", (unsigned long)n);
}

static CK_OBJECT_HANDLE find_key(CK_SESSION_HANDLE s, CK_BYTE id)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, &id, 1 } };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	check("C_FindObjectsInit", f->C_FindObjectsInit(s, t, 2));
	check("C_FindObjects", f->C_FindObjects(s, &h, 1, &n));
	check("C_FindObjectsFinal", f->C_FindObjectsFinal(s));
	if (n != 1)
		check("find private key", CKR_KEY_HANDLE_INVALID);
	return h;
}

static void sign_rsa(CK_SESSION_HANDLE s)
{
	static const CK_BYTE data[] = "careid APDU count: data to sign";
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE sig[512];
	CK_ULONG sl = sizeof(sig);
	CK_OBJECT_HANDLE k = find_key(s, 0x01);

	check("C_SignInit RSA", f->C_SignInit(s, &m, k));
	check("C_Sign RSA", f->C_Sign(s, (CK_BYTE_PTR)data, sizeof(data) - 1, sig, &sl));
	if (sl != 256)
		check("RSA-2048 signature length", CKR_SIGNATURE_LEN_RANGE);
}

static void sign_p256(CK_SESSION_HANDLE s, const char *pin)
{
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	CK_BYTE digest[32], sig[132];
	CK_ULONG sl = sizeof(sig);
	CK_OBJECT_HANDLE k = find_key(s, 0x02);

	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (CK_BYTE)(0x5a ^ i);
	check("C_SignInit P-256", f->C_SignInit(s, &m, k));
	/* 9C is ALWAYS_AUTHENTICATE: the passcode again, for this signature. */
	check("C_Login CKU_CONTEXT_SPECIFIC",
	      f->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)));
	check("C_Sign P-256", f->C_Sign(s, digest, sizeof(digest), sig, &sl));
	if (sl != 64)
		check("P-256 signature length", CKR_SIGNATURE_LEN_RANGE);
}

static void usage(void)
{
	fprintf(stderr, "usage: apdu_count [--count-file FILE] [--reader NAME] [--pin PIN] MODULE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *module = NULL, *reader = getenv("CAREID_READER"), *pin = "123456";
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_SESSION_HANDLE s;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	void *dl;

	count_file = getenv("CAREID_COUNT_FILE");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--count-file") == 0 && i + 1 < argc)
			count_file = argv[++i];
		else if (strcmp(argv[i], "--reader") == 0 && i + 1 < argc)
			reader = argv[++i];
		else if (strcmp(argv[i], "--pin") == 0 && i + 1 < argc)
			pin = argv[++i];
		else if (argv[i][0] == '-' || module != NULL)
			usage();
		else
			module = argv[i];
	}
	if (module == NULL || count_file == NULL || *count_file == '\0')
		usage();
	if (reader != NULL && *reader == '\0')
		reader = NULL;
	dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		fprintf(stderr, "apdu_count: %s\n", dlerror());
		return 1;
	}
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (get == NULL || get(&f) != CKR_OK) {
		fprintf(stderr, "apdu_count: %s has no usable C_GetFunctionList\n", module);
		return 1;
	}
	printf("module %s\n", module);
	last = read_count();

	check("C_Initialize", f->C_Initialize(NULL));
	slot = pick_slot(reader);
	check("C_GetTokenInfo", f->C_GetTokenInfo(slot, &ti));
	row("cold_start");

	check("C_OpenSession", f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	find_certs(s, true);
	row("find_certs");

	check("C_Login CKU_USER", f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)));
	row("login");

	sign_rsa(s);
	row("sign_rsa");
	sign_p256(s, pin);
	row("sign_p256");

	find_certs(s, false);
	row("find_certs_warm");
	sign_rsa(s);
	row("sign_rsa_warm");
	sign_p256(s, pin);
	row("sign_p256_warm");
	/* What an application polling the token costs once all is known. */
	check("C_GetTokenInfo", f->C_GetTokenInfo(slot, &ti));
	row("token_info_warm");

	printf("apdu total %lu\n", total);
	check("C_CloseSession", f->C_CloseSession(s));
	check("C_Finalize", f->C_Finalize(NULL));
	/* Left loaded: some modules keep threads that outlive C_Finalize. */
	return 0;
}
