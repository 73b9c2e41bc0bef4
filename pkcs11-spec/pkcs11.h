/*
 * careid - PKCS #11 (Cryptoki) v3.1 interface, entry header.
 *
 * Written for the careid project from the tables of the OASIS PKCS #11
 * v3.1 specification. Numeric values, structure layouts and the order of
 * the function lists follow the standard, so the module is ABI compatible
 * with ordinary Cryptoki consumers.
 *
 * Target: Linux / GCC (and compatible). Structures use the native
 * alignment (no packing); CK_ULONG is "unsigned long".
 *
 * Layout:
 *   pkcs11.h   - platform glue (this file), prototypes, pointer typedefs,
 *                function list structures
 *   pkcs11t.h  - types and constants (mechanism types in pkcs11m.h)
 *   pkcs11f.h  - X-macro list of every Cryptoki function
 */

#ifndef CAREID_PKCS11_H
#define CAREID_PKCS11_H 1

#ifdef __cplusplus
extern "C" {
#endif

/* ---- platform glue (defaults for GCC on Linux) ------------------------- */

#ifndef CK_PTR
#define CK_PTR *
#endif

#ifndef CK_DECLARE_FUNCTION
#define CK_DECLARE_FUNCTION(rtype, fname) rtype fname
#endif

#ifndef CK_DECLARE_FUNCTION_POINTER
#define CK_DECLARE_FUNCTION_POINTER(rtype, fname) rtype (* fname)
#endif

#ifndef CK_CALLBACK_FUNCTION
#define CK_CALLBACK_FUNCTION(rtype, fname) rtype (* fname)
#endif

#ifndef CK_DEFINE_FUNCTION
#define CK_DEFINE_FUNCTION(rtype, fname) rtype fname
#endif

#ifndef NULL_PTR
#define NULL_PTR 0
#endif

/* ---- types and constants ---------------------------------------------- */

#include "pkcs11t.h"

/* ---- prototypes: CK_RV C_xxx(args); ------------------------------------ */

#define CK_NEED_ARG_LIST 1
#define CK_PKCS11_FUNCTION_INFO(fname) \
    extern CK_DECLARE_FUNCTION(CK_RV, fname)
#include "pkcs11f.h"
#undef CK_PKCS11_FUNCTION_INFO
#undef CK_NEED_ARG_LIST

/* ---- pointer types: typedef CK_RV (*CK_C_xxx)(args); ------------------- */

#define CK_NEED_ARG_LIST 1
#define CK_PKCS11_FUNCTION_INFO(fname) \
    typedef CK_DECLARE_FUNCTION_POINTER(CK_RV, CK_##fname)
#include "pkcs11f.h"
#undef CK_PKCS11_FUNCTION_INFO
#undef CK_NEED_ARG_LIST

/* ---- function lists ---------------------------------------------------- */

/* Version 2.40 list: returned by C_GetFunctionList, stops after
 * C_WaitForSlotEvent (68 entries). */
struct CK_FUNCTION_LIST {
    CK_VERSION version;

    CK_C_Initialize           C_Initialize;
    CK_C_Finalize             C_Finalize;
    CK_C_GetInfo              C_GetInfo;
    CK_C_GetFunctionList      C_GetFunctionList;
    CK_C_GetSlotList          C_GetSlotList;
    CK_C_GetSlotInfo          C_GetSlotInfo;
    CK_C_GetTokenInfo         C_GetTokenInfo;
    CK_C_GetMechanismList     C_GetMechanismList;
    CK_C_GetMechanismInfo     C_GetMechanismInfo;
    CK_C_InitToken            C_InitToken;
    CK_C_InitPIN              C_InitPIN;
    CK_C_SetPIN               C_SetPIN;
    CK_C_OpenSession          C_OpenSession;
    CK_C_CloseSession         C_CloseSession;
    CK_C_CloseAllSessions     C_CloseAllSessions;
    CK_C_GetSessionInfo       C_GetSessionInfo;
    CK_C_GetOperationState    C_GetOperationState;
    CK_C_SetOperationState    C_SetOperationState;
    CK_C_Login                C_Login;
    CK_C_Logout               C_Logout;
    CK_C_CreateObject         C_CreateObject;
    CK_C_CopyObject           C_CopyObject;
    CK_C_DestroyObject        C_DestroyObject;
    CK_C_GetObjectSize        C_GetObjectSize;
    CK_C_GetAttributeValue    C_GetAttributeValue;
    CK_C_SetAttributeValue    C_SetAttributeValue;
    CK_C_FindObjectsInit      C_FindObjectsInit;
    CK_C_FindObjects          C_FindObjects;
    CK_C_FindObjectsFinal     C_FindObjectsFinal;
    CK_C_EncryptInit          C_EncryptInit;
    CK_C_Encrypt              C_Encrypt;
    CK_C_EncryptUpdate        C_EncryptUpdate;
    CK_C_EncryptFinal         C_EncryptFinal;
    CK_C_DecryptInit          C_DecryptInit;
    CK_C_Decrypt              C_Decrypt;
    CK_C_DecryptUpdate        C_DecryptUpdate;
    CK_C_DecryptFinal         C_DecryptFinal;
    CK_C_DigestInit           C_DigestInit;
    CK_C_Digest               C_Digest;
    CK_C_DigestUpdate         C_DigestUpdate;
    CK_C_DigestKey            C_DigestKey;
    CK_C_DigestFinal          C_DigestFinal;
    CK_C_SignInit             C_SignInit;
    CK_C_Sign                 C_Sign;
    CK_C_SignUpdate           C_SignUpdate;
    CK_C_SignFinal            C_SignFinal;
    CK_C_SignRecoverInit      C_SignRecoverInit;
    CK_C_SignRecover          C_SignRecover;
    CK_C_VerifyInit           C_VerifyInit;
    CK_C_Verify               C_Verify;
    CK_C_VerifyUpdate         C_VerifyUpdate;
    CK_C_VerifyFinal          C_VerifyFinal;
    CK_C_VerifyRecoverInit    C_VerifyRecoverInit;
    CK_C_VerifyRecover        C_VerifyRecover;
    CK_C_DigestEncryptUpdate  C_DigestEncryptUpdate;
    CK_C_DecryptDigestUpdate  C_DecryptDigestUpdate;
    CK_C_SignEncryptUpdate    C_SignEncryptUpdate;
    CK_C_DecryptVerifyUpdate  C_DecryptVerifyUpdate;
    CK_C_GenerateKey          C_GenerateKey;
    CK_C_GenerateKeyPair      C_GenerateKeyPair;
    CK_C_WrapKey              C_WrapKey;
    CK_C_UnwrapKey            C_UnwrapKey;
    CK_C_DeriveKey            C_DeriveKey;
    CK_C_SeedRandom           C_SeedRandom;
    CK_C_GenerateRandom       C_GenerateRandom;
    CK_C_GetFunctionStatus    C_GetFunctionStatus;
    CK_C_CancelFunction       C_CancelFunction;
    CK_C_WaitForSlotEvent     C_WaitForSlotEvent;
};

/* Version 3.x list: returned through C_GetInterface / C_GetInterfaceList
 * for the "PKCS 11" interface (92 entries). */
struct CK_FUNCTION_LIST_3_0 {
    CK_VERSION version;

    CK_C_Initialize           C_Initialize;
    CK_C_Finalize             C_Finalize;
    CK_C_GetInfo              C_GetInfo;
    CK_C_GetFunctionList      C_GetFunctionList;
    CK_C_GetSlotList          C_GetSlotList;
    CK_C_GetSlotInfo          C_GetSlotInfo;
    CK_C_GetTokenInfo         C_GetTokenInfo;
    CK_C_GetMechanismList     C_GetMechanismList;
    CK_C_GetMechanismInfo     C_GetMechanismInfo;
    CK_C_InitToken            C_InitToken;
    CK_C_InitPIN              C_InitPIN;
    CK_C_SetPIN               C_SetPIN;
    CK_C_OpenSession          C_OpenSession;
    CK_C_CloseSession         C_CloseSession;
    CK_C_CloseAllSessions     C_CloseAllSessions;
    CK_C_GetSessionInfo       C_GetSessionInfo;
    CK_C_GetOperationState    C_GetOperationState;
    CK_C_SetOperationState    C_SetOperationState;
    CK_C_Login                C_Login;
    CK_C_Logout               C_Logout;
    CK_C_CreateObject         C_CreateObject;
    CK_C_CopyObject           C_CopyObject;
    CK_C_DestroyObject        C_DestroyObject;
    CK_C_GetObjectSize        C_GetObjectSize;
    CK_C_GetAttributeValue    C_GetAttributeValue;
    CK_C_SetAttributeValue    C_SetAttributeValue;
    CK_C_FindObjectsInit      C_FindObjectsInit;
    CK_C_FindObjects          C_FindObjects;
    CK_C_FindObjectsFinal     C_FindObjectsFinal;
    CK_C_EncryptInit          C_EncryptInit;
    CK_C_Encrypt              C_Encrypt;
    CK_C_EncryptUpdate        C_EncryptUpdate;
    CK_C_EncryptFinal         C_EncryptFinal;
    CK_C_DecryptInit          C_DecryptInit;
    CK_C_Decrypt              C_Decrypt;
    CK_C_DecryptUpdate        C_DecryptUpdate;
    CK_C_DecryptFinal         C_DecryptFinal;
    CK_C_DigestInit           C_DigestInit;
    CK_C_Digest               C_Digest;
    CK_C_DigestUpdate         C_DigestUpdate;
    CK_C_DigestKey            C_DigestKey;
    CK_C_DigestFinal          C_DigestFinal;
    CK_C_SignInit             C_SignInit;
    CK_C_Sign                 C_Sign;
    CK_C_SignUpdate           C_SignUpdate;
    CK_C_SignFinal            C_SignFinal;
    CK_C_SignRecoverInit      C_SignRecoverInit;
    CK_C_SignRecover          C_SignRecover;
    CK_C_VerifyInit           C_VerifyInit;
    CK_C_Verify               C_Verify;
    CK_C_VerifyUpdate         C_VerifyUpdate;
    CK_C_VerifyFinal          C_VerifyFinal;
    CK_C_VerifyRecoverInit    C_VerifyRecoverInit;
    CK_C_VerifyRecover        C_VerifyRecover;
    CK_C_DigestEncryptUpdate  C_DigestEncryptUpdate;
    CK_C_DecryptDigestUpdate  C_DecryptDigestUpdate;
    CK_C_SignEncryptUpdate    C_SignEncryptUpdate;
    CK_C_DecryptVerifyUpdate  C_DecryptVerifyUpdate;
    CK_C_GenerateKey          C_GenerateKey;
    CK_C_GenerateKeyPair      C_GenerateKeyPair;
    CK_C_WrapKey              C_WrapKey;
    CK_C_UnwrapKey            C_UnwrapKey;
    CK_C_DeriveKey            C_DeriveKey;
    CK_C_SeedRandom           C_SeedRandom;
    CK_C_GenerateRandom       C_GenerateRandom;
    CK_C_GetFunctionStatus    C_GetFunctionStatus;
    CK_C_CancelFunction       C_CancelFunction;
    CK_C_WaitForSlotEvent     C_WaitForSlotEvent;

    /* added in 3.0 */
    CK_C_GetInterfaceList     C_GetInterfaceList;
    CK_C_GetInterface         C_GetInterface;
    CK_C_LoginUser            C_LoginUser;
    CK_C_SessionCancel        C_SessionCancel;
    CK_C_MessageEncryptInit   C_MessageEncryptInit;
    CK_C_EncryptMessage       C_EncryptMessage;
    CK_C_EncryptMessageBegin  C_EncryptMessageBegin;
    CK_C_EncryptMessageNext   C_EncryptMessageNext;
    CK_C_MessageEncryptFinal  C_MessageEncryptFinal;
    CK_C_MessageDecryptInit   C_MessageDecryptInit;
    CK_C_DecryptMessage       C_DecryptMessage;
    CK_C_DecryptMessageBegin  C_DecryptMessageBegin;
    CK_C_DecryptMessageNext   C_DecryptMessageNext;
    CK_C_MessageDecryptFinal  C_MessageDecryptFinal;
    CK_C_MessageSignInit      C_MessageSignInit;
    CK_C_SignMessage          C_SignMessage;
    CK_C_SignMessageBegin     C_SignMessageBegin;
    CK_C_SignMessageNext      C_SignMessageNext;
    CK_C_MessageSignFinal     C_MessageSignFinal;
    CK_C_MessageVerifyInit    C_MessageVerifyInit;
    CK_C_VerifyMessage        C_VerifyMessage;
    CK_C_VerifyMessageBegin   C_VerifyMessageBegin;
    CK_C_VerifyMessageNext    C_VerifyMessageNext;
    CK_C_MessageVerifyFinal   C_MessageVerifyFinal;
};

#ifdef __cplusplus
}
#endif

#endif /* CAREID_PKCS11_H */
