#include "policy/policy.h"

CK_RV cid_policy_pin_format(const CK_UTF8CHAR *pin, CK_ULONG len)
{
	if (pin == NULL && len != 0)
		return CKR_ARGUMENTS_BAD;
	if (len < CID_POLICY_PIN_MIN_LEN || len > CID_POLICY_PIN_MAX_LEN)
		return CKR_PIN_LEN_RANGE;
	for (CK_ULONG i = 0; i < len; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return CKR_PIN_INVALID;
	return CKR_OK;
}

CK_RV cid_policy_new_pin(const CK_UTF8CHAR *old, CK_ULONG oldlen, const CK_UTF8CHAR *new_pin, CK_ULONG newlen,
                         bool *same_as_old)
{
	CK_RV rv = cid_policy_pin_format(new_pin, newlen);
	unsigned char diff = 0;

	*same_as_old = false;
	if (rv != CKR_OK || old == NULL || oldlen != newlen)
		return rv;
	for (CK_ULONG i = 0; i < newlen; i++)
		diff |= (unsigned char)(old[i] ^ new_pin[i]);
	*same_as_old = diff == 0;
	return *same_as_old ? CKR_PIN_INVALID : CKR_OK;
}

bool cid_policy_pin_plausible(const CK_UTF8CHAR *pin, CK_ULONG len)
{
	return pin != NULL && cid_policy_pin_format(pin, len) == CKR_OK;
}

CK_FLAGS cid_policy_pin_flags(unsigned tries_left, unsigned max_tries, bool so)
{
	CK_FLAGS low = so ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW;
	CK_FLAGS final = so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY;
	CK_FLAGS locked = so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED;
	CK_FLAGS f = 0;

	if (tries_left == 0)
		return locked;
	if (tries_left < max_tries)
		f |= low;
	if (tries_left == 1)
		f |= final;
	return f;
}

CK_RV cid_policy_unlock_code_format(const CK_UTF8CHAR *code, CK_ULONG len)
{
	if (code == NULL && len != 0)
		return CKR_ARGUMENTS_BAD;
	if (len < CID_POLICY_UNLOCK_CODE_MIN_LEN || len > CID_POLICY_UNLOCK_CODE_MAX_LEN)
		return CKR_PIN_LEN_RANGE;
	for (CK_ULONG i = 0; i < len; i++)
		if (!((code[i] >= 'A' && code[i] <= 'Z') || (code[i] >= '2' && code[i] <= '7')))
			return CKR_PIN_INVALID;
	return CKR_OK;
}
