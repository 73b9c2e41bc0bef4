/* Status words to PKCS#11 codes.  Kept in one table so that a card's
 * answer means the same thing whichever command it came from; commands
 * with a special reading (a missing data object is "empty", not an error)
 * test the status word before asking here. */
#include <stddef.h>

#include "card/sw.h"

static const struct {
	uint16_t sw;
	CK_RV rv;
} table[] = {
	{ CID_SW_OK, CKR_OK },
	/* The security status is not satisfied: PIN or management key needed. */
	{ CID_SW_SECURITY, CKR_USER_NOT_LOGGED_IN },
	{ CID_SW_BLOCKED, CKR_PIN_LOCKED },
	{ 0x6984, CKR_DATA_INVALID },
	{ CID_SW_CONDITIONS, CKR_FUNCTION_REJECTED },
	{ 0x6986, CKR_FUNCTION_REJECTED },
	{ CID_SW_WRONG_DATA, CKR_DATA_INVALID },
	{ CID_SW_FUNC_NOT_SUPP, CKR_FUNCTION_NOT_SUPPORTED },
	{ CID_SW_NOT_FOUND, CKR_OBJECT_HANDLE_INVALID },
	{ CID_SW_NO_SPACE, CKR_DEVICE_MEMORY },
	{ CID_SW_WRONG_P1P2, CKR_ARGUMENTS_BAD },
	{ CID_SW_REF_NOT_FOUND, CKR_KEY_HANDLE_INVALID },
	{ CID_SW_WRONG_LENGTH, CKR_DATA_LEN_RANGE },
	{ CID_SW_INS_UNKNOWN, CKR_FUNCTION_NOT_SUPPORTED },
	{ CID_SW_CLA_UNKNOWN, CKR_FUNCTION_NOT_SUPPORTED },
	{ 0x6581, CKR_DEVICE_ERROR },  /* memory failure */
	{ 0x6F00, CKR_DEVICE_ERROR },  /* no precise diagnosis */
	{ 0x6400, CKR_DEVICE_ERROR },
};

bool cid_sw_tries(uint16_t sw, unsigned *tries)
{
	if ((sw & 0xFFF0) != CID_SW_PIN_TRIES)
		return false;
	if (tries != NULL)
		*tries = sw & 0x0F;
	return true;
}

CK_RV cid_sw_rv(uint16_t sw)
{
	unsigned tries;

	if (cid_sw_tries(sw, &tries))
		return tries == 0 ? CKR_PIN_LOCKED : CKR_PIN_INCORRECT;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].sw == sw)
			return table[i].rv;
	return CKR_DEVICE_ERROR;
}

bool cid_sw_unsupported(uint16_t sw)
{
	return sw == CID_SW_INS_UNKNOWN || sw == CID_SW_CLA_UNKNOWN || sw == CID_SW_FUNC_NOT_SUPP ||
	       sw == CID_SW_WRONG_P1P2;
}
