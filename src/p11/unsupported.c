/* Entry points this module does not offer.  Each still checks
 * initialisation first, so that a caller learns the usual
 * CKR_CRYPTOKI_NOT_INITIALIZED before anything else. */
#include "p11/internal.h"

static CK_RV refuse(CK_RV why)
{
	CK_RV rv = cid_enter();

	return rv != CKR_OK ? rv : why;
}

#define UNUSED(x) (void)(x)

/* ---- legacy parallel functions -------------------------------------------
 * PKCS#11 keeps these for 1.x compatibility and says they always return
 * CKR_FUNCTION_NOT_PARALLEL. */

CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	return refuse(CKR_FUNCTION_NOT_PARALLEL);
}

CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	return refuse(CKR_FUNCTION_NOT_PARALLEL);
}

/* ---- dual-function operations ---------------------------------------------
 * They pair a multi-part cipher with a digest or signature; the only
 * encryption here is RSA, which is single-part, and no client this module
 * serves uses them. */

CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                            CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
	UNUSED(hSession), UNUSED(pPart), UNUSED(ulPartLen), UNUSED(pEncryptedPart);
	UNUSED(pulEncryptedPartLen);
	return cid_not_supported(__func__);
}

CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                            CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
	UNUSED(hSession), UNUSED(pEncryptedPart), UNUSED(ulEncryptedPartLen), UNUSED(pPart);
	UNUSED(pulPartLen);
	return cid_not_supported(__func__);
}

CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                          CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
	UNUSED(hSession), UNUSED(pPart), UNUSED(ulPartLen), UNUSED(pEncryptedPart);
	UNUSED(pulEncryptedPartLen);
	return cid_not_supported(__func__);
}

CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                            CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
	UNUSED(hSession), UNUSED(pEncryptedPart), UNUSED(ulEncryptedPartLen), UNUSED(pPart);
	UNUSED(pulPartLen);
	return cid_not_supported(__func__);
}

/* ---- the 3.0 message-based API ----------------------------------------------
 * Meant for AEAD ciphers and per-message parameters; the module's
 * mechanisms (RSA, ECDSA, EdDSA, digests) are all served by the classic
 * single- and multi-part calls. */

CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey)
{
	UNUSED(hSession), UNUSED(pMechanism), UNUSED(hKey);
	return cid_not_supported(__func__);
}

CK_RV C_EncryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext,
                       CK_ULONG_PTR pulCiphertextLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pAssociatedData);
	UNUSED(ulAssociatedDataLen), UNUSED(pPlaintext), UNUSED(ulPlaintextLen);
	UNUSED(pCiphertext), UNUSED(pulCiphertextLen);
	return cid_not_supported(__func__);
}

CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pAssociatedData);
	UNUSED(ulAssociatedDataLen);
	return cid_not_supported(__func__);
}

CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pPlaintextPart);
	UNUSED(ulPlaintextPartLen), UNUSED(pCiphertextPart), UNUSED(pulCiphertextPartLen);
	UNUSED(flags);
	return cid_not_supported(__func__);
}

CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	return cid_not_supported(__func__);
}

CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey)
{
	UNUSED(hSession), UNUSED(pMechanism), UNUSED(hKey);
	return cid_not_supported(__func__);
}

CK_RV C_DecryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pCiphertext, CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext,
                       CK_ULONG_PTR pulPlaintextLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pAssociatedData);
	UNUSED(ulAssociatedDataLen), UNUSED(pCiphertext), UNUSED(ulCiphertextLen);
	UNUSED(pPlaintext), UNUSED(pulPlaintextLen);
	return cid_not_supported(__func__);
}

CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pAssociatedData);
	UNUSED(ulAssociatedDataLen);
	return cid_not_supported(__func__);
}

CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pCiphertextPart);
	UNUSED(ulCiphertextPartLen), UNUSED(pPlaintextPart), UNUSED(pulPlaintextPartLen);
	UNUSED(flags);
	return cid_not_supported(__func__);
}

CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	return cid_not_supported(__func__);
}

CK_RV C_MessageSignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hKey)
{
	UNUSED(hSession), UNUSED(pMechanism), UNUSED(hKey);
	return cid_not_supported(__func__);
}

CK_RV C_SignMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                    CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pData);
	UNUSED(ulDataLen), UNUSED(pSignature), UNUSED(pulSignatureLen);
	return cid_not_supported(__func__);
}

CK_RV C_SignMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                         CK_ULONG ulParameterLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen);
	return cid_not_supported(__func__);
}

CK_RV C_SignMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                        CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                        CK_ULONG_PTR pulSignatureLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pData);
	UNUSED(ulDataLen), UNUSED(pSignature), UNUSED(pulSignatureLen);
	return cid_not_supported(__func__);
}

CK_RV C_MessageSignFinal(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	return cid_not_supported(__func__);
}

CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                          CK_OBJECT_HANDLE hKey)
{
	UNUSED(hSession), UNUSED(pMechanism), UNUSED(hKey);
	return cid_not_supported(__func__);
}

CK_RV C_VerifyMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                      CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                      CK_ULONG ulSignatureLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pData);
	UNUSED(ulDataLen), UNUSED(pSignature), UNUSED(ulSignatureLen);
	return cid_not_supported(__func__);
}

CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen);
	return cid_not_supported(__func__);
}

CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                          CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                          CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pData);
	UNUSED(ulDataLen), UNUSED(pSignature), UNUSED(ulSignatureLen);
	return cid_not_supported(__func__);
}

CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	return cid_not_supported(__func__);
}
