/* The function lists and the 3.x interface discovery calls.
 *
 * Three interfaces named "PKCS 11": 3.1 and 3.0 (the 3.x list, whose
 * version field tells which one the caller asked for) and 2.40 (the list
 * C_GetFunctionList returns); and careid's own, "Vendor careid" (careid.h).  None claims CKF_INTERFACE_FORK_SAFE: a
 * forked child must call C_Initialize again and gets none of the parent's
 * sessions or login state. */
#include <string.h>

#include "careid/careid.h"
#include "p11/internal.h"

extern CK_CAREID_FUNCTION_LIST cid_vendor_list; /* vendor_api.c */

#define CID_ENTRIES_2_40 \
	.C_Initialize = C_Initialize, .C_Finalize = C_Finalize, .C_GetInfo = C_GetInfo, \
	.C_GetFunctionList = C_GetFunctionList, .C_GetSlotList = C_GetSlotList, \
	.C_GetSlotInfo = C_GetSlotInfo, .C_GetTokenInfo = C_GetTokenInfo, \
	.C_GetMechanismList = C_GetMechanismList, .C_GetMechanismInfo = C_GetMechanismInfo, \
	.C_InitToken = C_InitToken, .C_InitPIN = C_InitPIN, .C_SetPIN = C_SetPIN, \
	.C_OpenSession = C_OpenSession, .C_CloseSession = C_CloseSession, \
	.C_CloseAllSessions = C_CloseAllSessions, .C_GetSessionInfo = C_GetSessionInfo, \
	.C_GetOperationState = C_GetOperationState, .C_SetOperationState = C_SetOperationState, \
	.C_Login = C_Login, .C_Logout = C_Logout, .C_CreateObject = C_CreateObject, \
	.C_CopyObject = C_CopyObject, .C_DestroyObject = C_DestroyObject, \
	.C_GetObjectSize = C_GetObjectSize, .C_GetAttributeValue = C_GetAttributeValue, \
	.C_SetAttributeValue = C_SetAttributeValue, .C_FindObjectsInit = C_FindObjectsInit, \
	.C_FindObjects = C_FindObjects, .C_FindObjectsFinal = C_FindObjectsFinal, \
	.C_EncryptInit = C_EncryptInit, .C_Encrypt = C_Encrypt, \
	.C_EncryptUpdate = C_EncryptUpdate, .C_EncryptFinal = C_EncryptFinal, \
	.C_DecryptInit = C_DecryptInit, .C_Decrypt = C_Decrypt, \
	.C_DecryptUpdate = C_DecryptUpdate, .C_DecryptFinal = C_DecryptFinal, \
	.C_DigestInit = C_DigestInit, .C_Digest = C_Digest, .C_DigestUpdate = C_DigestUpdate, \
	.C_DigestKey = C_DigestKey, .C_DigestFinal = C_DigestFinal, \
	.C_SignInit = C_SignInit, .C_Sign = C_Sign, .C_SignUpdate = C_SignUpdate, \
	.C_SignFinal = C_SignFinal, .C_SignRecoverInit = C_SignRecoverInit, \
	.C_SignRecover = C_SignRecover, .C_VerifyInit = C_VerifyInit, .C_Verify = C_Verify, \
	.C_VerifyUpdate = C_VerifyUpdate, .C_VerifyFinal = C_VerifyFinal, \
	.C_VerifyRecoverInit = C_VerifyRecoverInit, .C_VerifyRecover = C_VerifyRecover, \
	.C_DigestEncryptUpdate = C_DigestEncryptUpdate, \
	.C_DecryptDigestUpdate = C_DecryptDigestUpdate, \
	.C_SignEncryptUpdate = C_SignEncryptUpdate, \
	.C_DecryptVerifyUpdate = C_DecryptVerifyUpdate, .C_GenerateKey = C_GenerateKey, \
	.C_GenerateKeyPair = C_GenerateKeyPair, .C_WrapKey = C_WrapKey, \
	.C_UnwrapKey = C_UnwrapKey, .C_DeriveKey = C_DeriveKey, .C_SeedRandom = C_SeedRandom, \
	.C_GenerateRandom = C_GenerateRandom, .C_GetFunctionStatus = C_GetFunctionStatus, \
	.C_CancelFunction = C_CancelFunction, .C_WaitForSlotEvent = C_WaitForSlotEvent

#define CID_ENTRIES_3_0 \
	CID_ENTRIES_2_40, \
	.C_GetInterfaceList = C_GetInterfaceList, .C_GetInterface = C_GetInterface, \
	.C_LoginUser = C_LoginUser, .C_SessionCancel = C_SessionCancel, \
	.C_MessageEncryptInit = C_MessageEncryptInit, .C_EncryptMessage = C_EncryptMessage, \
	.C_EncryptMessageBegin = C_EncryptMessageBegin, \
	.C_EncryptMessageNext = C_EncryptMessageNext, \
	.C_MessageEncryptFinal = C_MessageEncryptFinal, \
	.C_MessageDecryptInit = C_MessageDecryptInit, .C_DecryptMessage = C_DecryptMessage, \
	.C_DecryptMessageBegin = C_DecryptMessageBegin, \
	.C_DecryptMessageNext = C_DecryptMessageNext, \
	.C_MessageDecryptFinal = C_MessageDecryptFinal, \
	.C_MessageSignInit = C_MessageSignInit, .C_SignMessage = C_SignMessage, \
	.C_SignMessageBegin = C_SignMessageBegin, .C_SignMessageNext = C_SignMessageNext, \
	.C_MessageSignFinal = C_MessageSignFinal, .C_MessageVerifyInit = C_MessageVerifyInit, \
	.C_VerifyMessage = C_VerifyMessage, .C_VerifyMessageBegin = C_VerifyMessageBegin, \
	.C_VerifyMessageNext = C_VerifyMessageNext, \
	.C_MessageVerifyFinal = C_MessageVerifyFinal

/* Not const: the spec's pointer types are not const-qualified, and
 * callers receive these addresses through them. */
static CK_FUNCTION_LIST list_2_40 = { .version = { 2, 40 }, CID_ENTRIES_2_40 };
static CK_FUNCTION_LIST_3_0 list_3_0 = { .version = { 3, 0 }, CID_ENTRIES_3_0 };
static CK_FUNCTION_LIST_3_0 list_3_1 = { .version = { 3, 1 }, CID_ENTRIES_3_0 };

static CK_CHAR interface_name[] = "PKCS 11";
static CK_CHAR vendor_name[] = CAREID_INTERFACE_NAME;

/* Most preferred first: C_GetInterface without a name or version returns
 * [0].  The vendor interface comes last, so that a caller taking the
 * first interface it is given gets PKCS#11. */
static CK_INTERFACE interfaces[] = {
	{ interface_name, &list_3_1, 0 },
	{ interface_name, &list_3_0, 0 },
	{ interface_name, &list_2_40, 0 },
	{ vendor_name, &cid_vendor_list, 0 },
};
#define N_INTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))

/* Every list starts with its CK_VERSION. */
static CK_VERSION interface_version(const CK_INTERFACE *i)
{
	return *(const CK_VERSION *)i->pFunctionList;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (ppFunctionList == NULL)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &list_2_40;
	return CKR_OK;
}

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	if (pInterfacesList == NULL) {
		*pulCount = N_INTERFACES;
		return CKR_OK;
	}
	if (*pulCount < N_INTERFACES) {
		*pulCount = N_INTERFACES;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(pInterfacesList, interfaces, sizeof(interfaces));
	*pulCount = N_INTERFACES;
	return CKR_OK;
}

static bool interface_matches(const CK_INTERFACE *i, CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
                              CK_FLAGS flags)
{
	CK_VERSION v = interface_version(i);

	if (name != NULL && strcmp((const char *)name, (const char *)i->pInterfaceName) != 0)
		return false;
	if (version != NULL && (version->major != v.major || version->minor != v.minor))
		return false;
	return (i->flags & flags) == flags;
}

CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	if (ppInterface == NULL)
		return CKR_ARGUMENTS_BAD;
	for (size_t i = 0; i < N_INTERFACES; i++) {
		if (interface_matches(&interfaces[i], pInterfaceName, pVersion, flags)) {
			*ppInterface = &interfaces[i];
			return CKR_OK;
		}
	}
	return CKR_ARGUMENTS_BAD;
}
