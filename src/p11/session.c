/* The session table and the session entry points.
 *
 * Handles come from a counter (never reused, never pointers, no cap).
 * A session is reference-counted: the table holds one reference and every
 * entry point that looks a session up holds another until it returns, so
 * a C_CloseSession racing with an operation on another thread only ends
 * the session; the memory goes when the last user lets go.
 *
 * What dies when (the handles the spec ties to sessions):
 *   C_CloseSession     its operations, its find state, its session objects;
 *                      the slot's login state when it was the last session
 *   C_CloseAllSessions the same for every session of the slot
 *   C_Logout           (login.c) active operations of the slot's sessions */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p11/internal.h"

/* ---- references -------------------------------------------------------- */

CK_RV cid_session_get(CK_SESSION_HANDLE h, cid_session **out)
{
	cid_session *s = NULL;

	if (h != CK_INVALID_HANDLE) {
		cid_mutex_lock(cid_m.sessions_lock);
		s = cid_hmap_get(&cid_m.sessions, h);
		if (s != NULL)
			atomic_fetch_add(&s->refs, 1);
		cid_mutex_unlock(cid_m.sessions_lock);
	}
	if (s == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	if (atomic_load(&s->slot->lost)) {
		cid_slot *slot = s->slot;

		cid_session_put(&s);
		cid_slot_forget_lost(slot);
		return CKR_SESSION_HANDLE_INVALID;
	}
	*out = s;
	return CKR_OK;
}

void cid_session_reset_ops(cid_session *s)
{
	for (size_t i = 0; i < CID_OPK_COUNT; i++) {
		cid_op_free(&s->ops[i].op);
		s->ops[i].mech = 0;
		s->ops[i].multipart_started = false;
		s->ops[i].oneshot_started = false;
		s->ops[i].needs_context_login = false;
	}
	free(s->found);
	s->found = NULL;
	s->nfound = s->found_pos = 0;
	s->finding = false;
}

void cid_session_put(cid_session **ps)
{
	cid_session *s = *ps;

	*ps = NULL;
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	cid_session_reset_ops(s);
	cid_mutex_free(&s->lock);
	free(s);
}

bool cid_session_rw(const cid_session *s)
{
	return (s->flags & CKF_RW_SESSION) != 0;
}

CK_STATE cid_session_state(const cid_session *s)
{
	bool rw = cid_session_rw(s);

	switch (cid_slot_who(s->slot)) {
	case CKU_SO:
		return CKS_RW_SO_FUNCTIONS;
	case CKU_USER:
		return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	default:
		return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	}
}

/* ---- opening ----------------------------------------------------------- */

/* Counts the new session on its slot, with slot->lock held. */
static CK_RV attach_locked(cid_slot *slot, CK_FLAGS flags)
{
	bool initialised = false;
	cid_tok *tok;
	CK_RV rv;

	if (slot->can_create)
		return CKR_TOKEN_NOT_RECOGNIZED;
	rv = cid_slot_token(slot, &tok);
	if (rv == CKR_OK)
		rv = cid_tok_initialised(tok, &initialised);
	if (rv != CKR_OK)
		return rv;
	if (!initialised)
		return CKR_TOKEN_NOT_RECOGNIZED;
	/* The SO acts only in R/W sessions (PKCS#11 5.6, C_OpenSession). */
	if (!(flags & CKF_RW_SESSION) && cid_tok_who(tok) == CKU_SO)
		return CKR_SESSION_READ_WRITE_SO_EXISTS;
	slot->sessions++;
	if (flags & CKF_RW_SESSION)
		slot->rw_sessions++;
	return CKR_OK;
}

static void detach_locked(cid_slot *slot, CK_FLAGS flags)
{
	slot->sessions--;
	if (flags & CKF_RW_SESSION)
		slot->rw_sessions--;
}

static CK_RV attach(cid_slot *slot, CK_FLAGS flags)
{
	CK_RV rv;

	cid_mutex_lock(slot->lock);
	rv = attach_locked(slot, flags);
	cid_mutex_unlock(slot->lock);
	return rv;
}

static CK_RV new_session(cid_slot *slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                         cid_session **out)
{
	cid_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return CKR_HOST_MEMORY;
	if (cid_mutex_new(&s->lock) != CKR_OK) {
		free(s);
		return CKR_HOST_MEMORY;
	}
	atomic_init(&s->refs, 1);
	s->slot = slot;
	s->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
	s->app = app;
	s->notify = notify;
	s->handle = atomic_fetch_add(&cid_m.next_session, 1) + 1;
	*out = s;
	return CKR_OK;
}

static CK_RV publish(cid_session *s)
{
	int r;

	cid_mutex_lock(cid_m.sessions_lock);
	r = cid_hmap_put(&cid_m.sessions, s->handle, s);
	cid_mutex_unlock(cid_m.sessions_lock);
	return r == 0 ? CKR_OK : CKR_HOST_MEMORY;
}

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
                    CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	cid_session *s = NULL;
	cid_slot *slot;
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && phSession == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv != CKR_OK)
		return rv;
	/* Spec: kept for backward compatibility, must always be set. */
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	rv = cid_slot_get(slotID, &slot);
	if (rv == CKR_OK)
		rv = attach(slot, flags);
	if (rv != CKR_OK) {
		CID_INFO("slot %lu: session refused (0x%lx)", slotID, rv);
		return rv;
	}

	rv = new_session(slot, flags, pApplication, Notify, &s);
	if (rv == CKR_OK)
		rv = publish(s);
	if (rv != CKR_OK) {
		cid_mutex_lock(slot->lock);
		detach_locked(slot, flags);
		cid_mutex_unlock(slot->lock);
		cid_session_put(&s);
		return rv;
	}
	*phSession = s->handle;
	return CKR_OK;
}

/* ---- closing ----------------------------------------------------------- */

/* With slot->lock held: the token forgets who was logged in. */
static void drop_login_locked(cid_slot *slot)
{
	bool was_user = cid_slot_who(slot) == CKU_USER;

	(void)cid_tok_logout(slot->tok);
	if (was_user)
		cid_objs_login_changed(slot);
}

/* Ends a session already removed from the table; consumes the table's
 * reference. */
static void end_session(cid_session *s)
{
	cid_slot *slot = s->slot;

	/* Waits for an operation running on another thread to finish. */
	cid_mutex_lock(s->lock);
	s->closed = true;
	cid_session_reset_ops(s);
	cid_mutex_unlock(s->lock);

	cid_mutex_lock(slot->lock);
	cid_objs_drop_session(slot, s->handle);
	detach_locked(slot, s->flags);
	if (slot->sessions == 0 && (cid_slot_who(slot) != CID_NO_USER || cid_slot_credential(slot)))
		drop_login_locked(slot);
	cid_mutex_unlock(slot->lock);
	cid_session_put(&s);
}

static cid_session *unpublish(CK_SESSION_HANDLE h)
{
	cid_session *s;

	cid_mutex_lock(cid_m.sessions_lock);
	s = cid_hmap_del(&cid_m.sessions, h);
	cid_mutex_unlock(cid_m.sessions_lock);
	return s;
}

/* Removes one session of the slot (any slot when slot is NULL) from the
 * table, or returns NULL when there is none left. */
static cid_session *unpublish_one_of(const cid_slot *slot)
{
	cid_session *found = NULL;
	uint64_t key;
	void *val;

	cid_mutex_lock(cid_m.sessions_lock);
	for (size_t pos = 0; found == NULL && cid_hmap_next(&cid_m.sessions, &pos, &key, &val);) {
		cid_session *s = val;

		if (slot == NULL || s->slot == slot) {
			cid_hmap_del(&cid_m.sessions, key);
			found = s;
		}
	}
	cid_mutex_unlock(cid_m.sessions_lock);
	return found;
}

void cid_sessions_close_slot(cid_slot *slot)
{
	cid_session *s;

	while ((s = unpublish_one_of(slot)) != NULL)
		end_session(s);
}

void cid_sessions_free(void)
{
	cid_session *s;

	while ((s = unpublish_one_of(NULL)) != NULL)
		end_session(s);
	cid_hmap_free(&cid_m.sessions);
}

/* References to every session of a slot, taken under the table lock so
 * that their locks can then be taken without it. */
static cid_session **sessions_of(const cid_slot *slot, size_t *count)
{
	cid_session **v;
	size_t n = 0;
	uint64_t key;
	void *val;

	cid_mutex_lock(cid_m.sessions_lock);
	v = calloc(cid_m.sessions.used + 1, sizeof(*v));
	for (size_t pos = 0; v != NULL && cid_hmap_next(&cid_m.sessions, &pos, &key, &val);) {
		cid_session *s = val;

		if (s->slot == slot) {
			atomic_fetch_add(&s->refs, 1);
			v[n++] = s;
		}
	}
	cid_mutex_unlock(cid_m.sessions_lock);
	*count = n;
	return v;
}

void cid_sessions_reset_slot_ops(cid_slot *slot)
{
	size_t n;
	cid_session **v = sessions_of(slot, &n);

	if (v == NULL) {
		CID_ERROR("slot %lu: out of memory ending operations", slot->id);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		cid_mutex_lock(v[i]->lock);
		cid_session_reset_ops(v[i]);
		cid_mutex_unlock(v[i]->lock);
		cid_session_put(&v[i]);
	}
	free(v);
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	cid_session *s;
	CK_RV rv = cid_enter();

	if (rv != CKR_OK)
		return rv;
	s = unpublish(hSession);
	if (s == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	end_session(s);
	return CKR_OK;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	cid_slot *slot;
	CK_RV rv = cid_enter();

	if (rv == CKR_OK)
		rv = cid_slot_get(slotID, &slot);
	if (rv != CKR_OK)
		return rv;
	cid_sessions_close_slot(slot);
	return CKR_OK;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	cid_session *s;
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && pInfo == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = cid_session_get(hSession, &s);
	if (rv != CKR_OK)
		return rv;

	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->slotID = s->slot->id;
	pInfo->flags = s->flags;
	cid_mutex_lock(s->slot->lock);
	cid_slot_check_login(s->slot);
	pInfo->state = cid_session_state(s);
	cid_mutex_unlock(s->slot->lock);
	cid_session_put(&s);
	return CKR_OK;
}

/* ---- operation state ----------------------------------------------------
 * Not offered: saving an operation would mean serialising OpenSSL contexts
 * (and, for a card, state the card holds), and no client this module is
 * made for uses it.  The spec allows CKR_FUNCTION_NOT_SUPPORTED. */

CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                          CK_ULONG_PTR pulOperationStateLen)
{
	(void)hSession, (void)pOperationState, (void)pulOperationStateLen;
	return cid_not_supported(__func__);
}

CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                          CK_ULONG ulOperationStateLen, CK_OBJECT_HANDLE hEncryptionKey,
                          CK_OBJECT_HANDLE hAuthenticationKey)
{
	(void)hSession, (void)pOperationState, (void)ulOperationStateLen;
	(void)hEncryptionKey, (void)hAuthenticationKey;
	return cid_not_supported(__func__);
}
