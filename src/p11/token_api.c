/* The token-facing slot entry points: C_GetTokenInfo, C_InitToken (which
 * creates a token in the free soft-token place or re-initialises one), and
 * the mechanism list.  The slot table itself is slot.c's. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p11/internal.h"
#include "policy/policy.h"

/* ---- C_GetTokenInfo ---------------------------------------------------- */

static void fill_common_token_info(cid_slot *slot, CK_TOKEN_INFO *ti)
{
	ti->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	ti->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	ti->ulSessionCount = slot->sessions;
	ti->ulRwSessionCount = slot->rw_sessions;
	ti->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	ti->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	ti->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	ti->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	/* No CKF_CLOCK_ON_TOKEN: the spec wants utcTime blank then. */
	memset(ti->utcTime, ' ', sizeof(ti->utcTime));
}

/* The free soft place: a token is there to be initialised (C_InitToken),
 * so it is present, but not initialised. */
static void free_place_token_info(cid_slot *slot, CK_TOKEN_INFO *ti)
{
	cid_pad(ti->label, sizeof(ti->label), NULL);
	cid_pad(ti->manufacturerID, sizeof(ti->manufacturerID), "careid");
	cid_pad(ti->model, sizeof(ti->model), "virtual card");
	cid_pad(ti->serialNumber, sizeof(ti->serialNumber), NULL);
	ti->flags = CKF_RNG | CKF_LOGIN_REQUIRED;
	ti->ulMinPinLen = CID_POLICY_PIN_MIN_LEN;
	ti->ulMaxPinLen = CID_POLICY_PIN_MAX_LEN;
	fill_common_token_info(slot, ti);
}

static CK_RV token_info_locked(cid_slot *slot, CK_TOKEN_INFO *ti)
{
	cid_token_status st;
	cid_tok *tok;
	CK_RV rv;

	if (cid_slot_is_free_place(slot) && cid_slot_present(slot)) {
		free_place_token_info(slot, ti);
		return CKR_OK;
	}
	rv = cid_slot_token(slot, &tok);
	if (rv == CKR_OK)
		rv = cid_tok_status(tok, &st);
	/* A token only listed holds nothing open afterwards. */
	if (rv == CKR_OK && slot->sessions == 0)
		cid_tok_rest(tok);
	if (rv != CKR_OK)
		return rv;

	memcpy(ti->label, st.label, sizeof(ti->label));
	memcpy(ti->manufacturerID, st.manufacturer, sizeof(ti->manufacturerID));
	memcpy(ti->model, st.model, sizeof(ti->model));
	memcpy(ti->serialNumber, st.serial, sizeof(ti->serialNumber));
	/* C_GenerateRandom works on every token (the host's generator when
	 * the token has none), so every token says so. */
	ti->flags = st.flags | CKF_RNG;
	ti->ulMinPinLen = st.min_pin_len;
	ti->ulMaxPinLen = st.max_pin_len;
	ti->hardwareVersion = st.hw_version;
	ti->firmwareVersion = st.fw_version;
	fill_common_token_info(slot, ti);
	return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	cid_slot *slot;
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && pInfo == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = cid_slot_get(slotID, &slot);
	if (rv != CKR_OK)
		return rv;

	memset(pInfo, 0, sizeof(*pInfo));
	cid_mutex_lock(slot->lock);
	rv = token_info_locked(slot, pInfo);
	cid_mutex_unlock(slot->lock);
	return rv;
}

/* ---- C_InitToken ------------------------------------------------------- */

/* The free place: the provider makes a new token, which stays in this
 * slot (the slot follows the token to its new key); the provider's next
 * scan reports a new free place, which gets a new slot. */
static CK_RV create_in_free_place(cid_slot *slot, CK_UTF8CHAR_PTR pin, CK_ULONG len,
                                  CK_UTF8CHAR_PTR label)
{
	cid_tok *tok = NULL;
	char *new_key = NULL;
	CK_RV rv;

	rv = cid_tok_create(slot->prov, slot->key, pin, len, label, &slot->lost, &new_key, &tok);
	if (rv != CKR_OK) {
		/* The provider has told why, in words. */
		CID_DEBUG("slot %lu: token creation refused (0x%lx)", slot->id, rv);
		return rv;
	}
	cid_slot_moved_to(slot, new_key);
	slot->tok = tok;
	slot->epoch++;
	slot->objects_loaded = false;
	CID_DEBUG("slot %lu: new token created", slot->id);
	return CKR_OK;
}

static CK_RV reinit_token(cid_slot *slot, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label)
{
	cid_tok *tok;
	CK_RV rv;

	if (slot->sessions > 0) {
		CID_WARN("slot %lu: refused: %u session(s) open", slot->id, slot->sessions);
		return CKR_SESSION_EXISTS;
	}
	rv = cid_slot_token(slot, &tok);
	if (rv == CKR_OK)
		rv = cid_tok_init_token(tok, pin, len, label);
	if (rv != CKR_OK) {
		/* The token has told of a wrong SO passcode, in its one line. */
		CID_DEBUG("slot %lu: re-initialisation refused (0x%lx)", slot->id, rv);
		return rv;
	}
	slot->epoch++;
	cid_objs_drop_all(slot);
	slot->objects_loaded = false;
	CID_INFO("slot %lu: token re-initialised", slot->id);
	return CKR_OK;
}

CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
                  CK_UTF8CHAR_PTR pLabel)
{
	cid_slot *slot;
	CK_RV rv;

	rv = cid_enter();
	/* No protected authentication path: the SO passcode must be given. */
	if (rv == CKR_OK && (pLabel == NULL || pPin == NULL))
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = cid_slot_get(slotID, &slot);
	if (rv != CKR_OK)
		return rv;
	cid_mutex_lock(slot->lock);
	if (!cid_slot_present(slot))
		rv = CKR_TOKEN_NOT_PRESENT;
	else if (cid_slot_is_free_place(slot))
		rv = create_in_free_place(slot, pPin, ulPinLen, pLabel);
	else
		rv = reinit_token(slot, pPin, ulPinLen, pLabel);
	cid_mutex_unlock(slot->lock);
	return rv;
}

/* ---- mechanisms -------------------------------------------------------- */

static CK_RV present_slot(CK_SLOT_ID id, cid_slot **out)
{
	CK_RV rv = cid_slot_get(id, out);

	if (rv == CKR_OK && !cid_slot_present(*out))
		rv = CKR_TOKEN_NOT_PRESENT;
	return rv;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
                         CK_ULONG_PTR pulCount)
{
	const cid_mech_desc *d;
	CK_MECHANISM_INFO info;
	cid_slot *slot;
	size_t n, k = 0;
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && pulCount == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = present_slot(slotID, &slot);
	if (rv != CKR_OK)
		return rv;

	d = cid_mech_list(&n);
	for (size_t i = 0; i < n; i++) {
		if (!cid_tok_mechanism(slot->prov, &d[i], &info))
			continue;
		if (pMechanismList != NULL && k < *pulCount)
			pMechanismList[k] = d[i].type;
		k++;
	}
	if (pMechanismList != NULL && *pulCount < k)
		rv = CKR_BUFFER_TOO_SMALL;
	*pulCount = k;
	return rv;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo)
{
	const cid_mech_desc *d;
	CK_MECHANISM_INFO info;
	cid_slot *slot;
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && pInfo == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = present_slot(slotID, &slot);
	if (rv != CKR_OK)
		return rv;

	d = cid_mech_find(type);
	if (d == NULL || !cid_tok_mechanism(slot->prov, d, &info)) {
		CID_DEBUG("slot %lu: no mechanism 0x%lx", (unsigned long)slotID, (unsigned long)type);
		return CKR_MECHANISM_INVALID;
	}
	*pInfo = info;
	return CKR_OK;
}
