/* Encryption, decryption, digesting, signing and verification.
 *
 * The five kinds of operation share one life cycle, so they share one
 * implementation driven by the kinds[] table: Init checks the mechanism and
 * the key and parks a cid_op in the session's ops[] slot; the one-shot,
 * Update and Final calls drive it.  The crypto layer applies the length
 * convention (base spec 5.2); this file ends the operation on every return
 * except the two that convention keeps alive (a length query answered with
 * CKR_OK, and CKR_BUFFER_TOO_SMALL).
 *
 * Choices where the specification leaves room, taken from its wording:
 * - A one-shot call after an Update: the one-shot "cannot be used to
 *   terminate a multi-part operation" and "always terminates the active
 *   operation" except for length queries.  We answer CKR_OPERATION_ACTIVE
 *   (among its listed return values) and end the operation.
 * - Update or Final with a mechanism that is single-part only (CKM_RSA_PKCS,
 *   CKM_ECDSA, CKM_EDDSA, every encryption mechanism): no code is named for
 *   this, and the Update functions list neither CKR_MECHANISM_INVALID nor
 *   CKR_FUNCTION_NOT_SUPPORTED.  We answer CKR_OPERATION_NOT_INITIALIZED (no
 *   multi-part operation exists) and end the operation, since "a call to
 *   C_*Update which results in an error terminates the current operation".
 * - Bad arguments found before the session is looked up leave the operation
 *   alone: the call never reached it.
 * - CKA_ALWAYS_AUTHENTICATE: CKR_USER_NOT_LOGGED_IN keeps the operation;
 *   ending it would make the required CKU_CONTEXT_SPECIFIC login between
 *   Init and the signature impossible.
 * - C_SessionCancel cancels the five kinds above; the object search belongs
 *   to C_FindObjectsFinal and is not touched. */
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "p11/internal.h"
#include "p11/op_util.h"

#define NO_KEY ((CK_OBJECT_CLASS)-1)

/* What differs between the kinds of operation. */
static const struct op_kind {
	const char *name;
	cid_op_kind crypto;
	CK_FLAGS flag;              /* mechanism flag, also the C_SessionCancel bit */
	CK_OBJECT_CLASS key_class;  /* NO_KEY for digests */
	CK_ATTRIBUTE_TYPE use;      /* usage attribute the key must allow */
	bool streams;               /* Update/Final possible at all */
	bool context_login;         /* honours CKA_ALWAYS_AUTHENTICATE */
} kinds[CID_OPK_COUNT] = {
	[CID_OPK_ENCRYPT] = { "encrypt", CID_OP_ENCRYPT, CKF_ENCRYPT, CKO_PUBLIC_KEY,
	                      CKA_ENCRYPT, false, false },
	[CID_OPK_DECRYPT] = { "decrypt", CID_OP_DECRYPT, CKF_DECRYPT, CKO_PRIVATE_KEY,
	                      CKA_DECRYPT, false, true },
	[CID_OPK_DIGEST]  = { "digest", CID_OP_DIGEST, CKF_DIGEST, NO_KEY, 0, true, false },
	[CID_OPK_SIGN]    = { "sign", CID_OP_SIGN, CKF_SIGN, CKO_PRIVATE_KEY, CKA_SIGN,
	                      true, true },
	[CID_OPK_VERIFY]  = { "verify", CID_OP_VERIFY, CKF_VERIFY, CKO_PUBLIC_KEY,
	                      CKA_VERIFY, true, false },
};

/* ---- shared with keygen_api.c ------------------------------------------- */

CK_RV cid_op_session_lock(CK_SESSION_HANDLE h, cid_session **out)
{
	cid_session *s = NULL;
	CK_RV rv = cid_enter();
	if (rv == CKR_OK)
		rv = cid_session_get(h, &s);
	if (rv != CKR_OK)
		return rv;
	cid_mutex_lock(s->lock);
	if (s->closed) {
		cid_mutex_unlock(s->lock);
		cid_session_put(&s);
		return CKR_SESSION_CLOSED;
	}
	*out = s;
	return CKR_OK;
}

void cid_op_session_unlock(cid_session **s)
{
	if (*s == NULL)
		return;
	cid_mutex_unlock((*s)->lock);
	cid_session_put(s);
}

static bool is_key_class(CK_OBJECT_CLASS c)
{
	return c == CKO_PUBLIC_KEY || c == CKO_PRIVATE_KEY || c == CKO_SECRET_KEY;
}

static CK_RV check_key(cid_session *s, cid_object *o, CK_OBJECT_CLASS cls,
                       CK_ATTRIBUTE_TYPE use, const cid_mech_desc *d, cid_key **key)
{
	if (!is_key_class(o->cls)) {
		CID_INFO("object 0x%lx is not a key", o->handle);
		return CKR_KEY_HANDLE_INVALID;
	}
	if (o->cls != cls) {
		CID_INFO("key 0x%lx has class %lu, mechanism 0x%lx needs %lu",
		         o->handle, o->cls, d->type, cls);
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	if (!cid_obj_bool(o, use, false)) {
		CID_INFO("key 0x%lx does not allow this use (attribute 0x%lx false)",
		         o->handle, use);
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	}
	/* A private key marked CKA_PRIVATE false is visible to a public
	 * session; using it still takes the user's passcode. */
	CK_STATE st = cid_session_state(s);
	if (cls == CKO_PRIVATE_KEY && st != CKS_RO_USER_FUNCTIONS && st != CKS_RW_USER_FUNCTIONS) {
		CID_INFO("private key 0x%lx used without user login", o->handle);
		return CKR_USER_NOT_LOGGED_IN;
	}
	CK_RV rv = cid_obj_key(o, key);
	if (rv != CKR_OK) {
		CID_WARN("key 0x%lx unusable: rv 0x%lx", o->handle, rv);
		return rv;
	}
	CK_ULONG bits = cid_key_bits(*key);
	if (cid_key_type(*key) != d->key_type) {
		CID_INFO("key 0x%lx has the wrong type for mechanism 0x%lx", o->handle, d->type);
		rv = CKR_KEY_TYPE_INCONSISTENT;
	} else if (bits < d->min_bits || bits > d->max_bits) {
		CID_INFO("key 0x%lx has %lu bits, mechanism 0x%lx takes %lu..%lu",
		         o->handle, bits, d->type, d->min_bits, d->max_bits);
		rv = CKR_KEY_SIZE_RANGE;
	}
	if (rv != CKR_OK)
		cid_key_unref(key);
	return rv;
}

CK_RV cid_op_key_for_use(cid_session *s, CK_OBJECT_HANDLE hkey, CK_OBJECT_CLASS cls,
                         CK_ATTRIBUTE_TYPE use, const cid_mech_desc *d, cid_key **key,
                         bool *always_auth)
{
	cid_object *o = NULL;
	CK_RV rv = cid_obj_get(s, hkey, &o);
	if (rv != CKR_OK) {
		CID_INFO("key handle 0x%lx not found", hkey);
		return rv == CKR_OBJECT_HANDLE_INVALID ? CKR_KEY_HANDLE_INVALID : rv;
	}
	rv = check_key(s, o, cls, use, d, key);
	if (rv == CKR_OK && always_auth != NULL)
		*always_auth = cls == CKO_PRIVATE_KEY &&
		               cid_obj_bool(o, CKA_ALWAYS_AUTHENTICATE, false);
	cid_obj_put(&o);
	return rv;
}

/* ---- the operation life cycle ------------------------------------------- */

static void op_end(cid_session *s, int k)
{
	cid_op_free(&s->ops[k].op);
	s->ops[k].mech = 0;
	s->ops[k].multipart_started = false;
	s->ops[k].oneshot_started = false;
	s->ops[k].needs_context_login = false;
}

/* The length convention keeps the operation; everything else ends it. */
static CK_RV op_settle(cid_session *s, int k, CK_RV rv, const void *out)
{
	if (!(rv == CKR_BUFFER_TOO_SMALL || (rv == CKR_OK && out == NULL)))
		op_end(s, k);
	return rv;
}

static CK_RV op_init(cid_session *s, int k, const CK_MECHANISM *m, CK_OBJECT_HANDLE hkey)
{
	const struct op_kind *kd = &kinds[k];
	if (m == NULL) {
		/* 3.0: Init with no mechanism cancels the operation. */
		op_end(s, k);
		return CKR_OK;
	}
	if (s->ops[k].op != NULL) {
		CID_INFO("%s operation already active on session 0x%lx", kd->name, s->handle);
		return CKR_OPERATION_ACTIVE;
	}
	const cid_mech_desc *d = cid_mech_find(m->mechanism);
	CK_MECHANISM_INFO info;
	/* Only what this slot's token lists (a card has no Ed25519). */
	if (d == NULL || !cid_tok_mechanism(s->slot->prov, d, &info) || !(info.flags & kd->flag)) {
		CID_INFO("mechanism 0x%lx cannot %s on this token", m->mechanism, kd->name);
		return CKR_MECHANISM_INVALID;
	}
	cid_key *key = NULL;
	bool always_auth = false;
	if (kd->key_class != NO_KEY) {
		CK_RV rv = cid_op_key_for_use(s, hkey, kd->key_class, kd->use, d, &key,
		                              &always_auth);
		if (rv != CKR_OK)
			return rv;
	}
	cid_op *op = NULL;
	CK_RV rv = cid_op_new(kd->crypto, m, key, &op);
	cid_key_unref(&key);
	if (rv != CKR_OK) {
		/* The crypto layer has logged why. */
		CID_DEBUG("%s with mechanism 0x%lx refused: rv 0x%lx", kd->name, m->mechanism, rv);
		return rv;
	}
	s->ops[k].op = op;
	s->ops[k].mech = m->mechanism;
	s->ops[k].multipart_started = false;
	s->ops[k].oneshot_started = false;
	s->ops[k].needs_context_login = kd->context_login && always_auth;
	return CKR_OK;
}

/* Whether the active operation may go on: it exists, and a key that
 * demands it has had its context-specific login. */
static CK_RV op_ready(cid_session *s, int k)
{
	if (s->ops[k].op == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (s->ops[k].needs_context_login) {
		CID_INFO("%s key needs CKU_CONTEXT_SPECIFIC login first", kinds[k].name);
		return CKR_USER_NOT_LOGGED_IN;
	}
	return CKR_OK;
}

/* For Update and Final: ready, and the mechanism can run in parts. */
static CK_RV op_ready_multipart(cid_session *s, int k)
{
	CK_RV rv = op_ready(s, k);
	if (rv != CKR_OK)
		return rv;
	const cid_mech_desc *d = cid_mech_find(s->ops[k].mech);
	/* Kept, so that the one-shot call can follow: what pkcs11-tool and
	 * others do when they try Update first on a mechanism they do not
	 * know to be single-part. */
	if (!kinds[k].streams || d == NULL || !d->multipart) {
		CID_INFO("mechanism 0x%lx is single-part only: no %s in parts", s->ops[k].mech, kinds[k].name);
		return CKR_FUNCTION_NOT_SUPPORTED;
	}
	if (s->ops[k].oneshot_started) {
		CID_INFO("%s in parts after a single-part length query; operation ended", kinds[k].name);
		op_end(s, k);
		return CKR_OPERATION_ACTIVE;
	}
	return CKR_OK;
}

/* For the one-shot calls: ready, and no Update happened. */
static CK_RV op_ready_oneshot(cid_session *s, int k)
{
	CK_RV rv = op_ready(s, k);
	if (rv != CKR_OK)
		return rv;
	if (s->ops[k].multipart_started) {
		CID_INFO("single-part %s after an update; operation ended", kinds[k].name);
		op_end(s, k);
		return CKR_OPERATION_ACTIVE;
	}
	return CKR_OK;
}

/* ---- generic entry points, one per step --------------------------------- */

/* The order of every step: cid_enter (inside cid_op_session_lock), the
 * session, the operation's state, then the arguments.  A bad argument to a
 * step of an active operation ends it, as the spec says of every error but
 * the length convention's. */
static CK_RV bad_args(cid_session *s, int k)
{
	CID_INFO("%s: NULL buffer with a non-zero length, or no length pointer; operation ended",
	         kinds[k].name);
	op_end(s, k);
	return CKR_ARGUMENTS_BAD;
}

static CK_RV do_init(CK_SESSION_HANDLE h, int k, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE hkey)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	if (m != NULL && m->pParameter == NULL && m->ulParameterLen != 0)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = op_init(s, k, m, hkey);
	cid_op_session_unlock(&s);
	return rv;
}

static CK_RV do_oneshot(CK_SESSION_HANDLE h, int k, const CK_BYTE *in, CK_ULONG inlen,
                        CK_BYTE *out, CK_ULONG *outlen)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	rv = op_ready_oneshot(s, k);
	if (rv == CKR_OK && ((in == NULL && inlen != 0) || outlen == NULL))
		rv = bad_args(s, k);
	else if (rv == CKR_OK)
		rv = op_settle(s, k, cid_op_oneshot(s->ops[k].op, in, inlen, out, outlen), out);
	if (s->ops[k].op != NULL)
		s->ops[k].oneshot_started = true;
	cid_op_session_unlock(&s);
	return rv;
}

static CK_RV do_update(CK_SESSION_HANDLE h, int k, const CK_BYTE *in, CK_ULONG inlen)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	rv = op_ready_multipart(s, k);
	if (rv == CKR_OK && in == NULL && inlen != 0)
		rv = bad_args(s, k);
	else if (rv == CKR_OK)
		rv = cid_op_update(s->ops[k].op, in, inlen);
	if (rv == CKR_OK)
		s->ops[k].multipart_started = true;
	else if (rv != CKR_USER_NOT_LOGGED_IN && rv != CKR_FUNCTION_NOT_SUPPORTED)
		op_end(s, k);
	cid_op_session_unlock(&s);
	return rv;
}

static CK_RV do_final(CK_SESSION_HANDLE h, int k, CK_BYTE *out, CK_ULONG *outlen)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	rv = op_ready_multipart(s, k);
	if (rv == CKR_OK && outlen == NULL)
		rv = bad_args(s, k);
	else if (rv == CKR_OK)
		rv = op_settle(s, k, cid_op_final(s->ops[k].op, out, outlen), out);
	cid_op_session_unlock(&s);
	return rv;
}

/* Verification has no output and always ends the operation.  data is
 * NULL/0 with final == true for C_VerifyFinal. */
static CK_RV do_verify(CK_SESSION_HANDLE h, bool final, const CK_BYTE *data, CK_ULONG len,
                       const CK_BYTE *sig, CK_ULONG siglen)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	const int k = CID_OPK_VERIFY;
	rv = final ? op_ready_multipart(s, k) : op_ready_oneshot(s, k);
	if (rv == CKR_OK && ((data == NULL && len != 0) || (sig == NULL && siglen != 0))) {
		rv = bad_args(s, k);
	} else if (rv == CKR_OK) {
		cid_op *op = s->ops[k].op;
		rv = final ? cid_op_verify_final(op, sig, siglen)
		           : cid_op_verify_oneshot(op, data, len, sig, siglen);
		op_end(s, k);
	}
	cid_op_session_unlock(&s);
	return rv;
}

/* ---- encryption --------------------------------------------------------- */

CK_RV C_EncryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return do_init(h, CID_OPK_ENCRYPT, m, key);
}

CK_RV C_Encrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR out,
                CK_ULONG_PTR outlen)
{
	return do_oneshot(h, CID_OPK_ENCRYPT, data, len, out, outlen);
}

/* No encryption mechanism streams (RSA only): these answer
 * CKR_FUNCTION_NOT_SUPPORTED and keep the operation for its one-shot call. */
CK_RV C_EncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len, CK_BYTE_PTR out,
                      CK_ULONG_PTR outlen)
{
	(void)out;
	CK_RV rv = cid_enter();
	if (rv == CKR_OK && outlen == NULL)
		rv = CKR_ARGUMENTS_BAD;
	return rv != CKR_OK ? rv : do_update(h, CID_OPK_ENCRYPT, part, len);
}

CK_RV C_EncryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	return do_final(h, CID_OPK_ENCRYPT, out, outlen);
}

/* ---- decryption --------------------------------------------------------- */

CK_RV C_DecryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return do_init(h, CID_OPK_DECRYPT, m, key);
}

CK_RV C_Decrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR out,
                CK_ULONG_PTR outlen)
{
	return do_oneshot(h, CID_OPK_DECRYPT, in, len, out, outlen);
}

CK_RV C_DecryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len, CK_BYTE_PTR out,
                      CK_ULONG_PTR outlen)
{
	(void)out;
	CK_RV rv = cid_enter();
	if (rv == CKR_OK && outlen == NULL)
		rv = CKR_ARGUMENTS_BAD;
	return rv != CKR_OK ? rv : do_update(h, CID_OPK_DECRYPT, part, len);
}

CK_RV C_DecryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	return do_final(h, CID_OPK_DECRYPT, out, outlen);
}

/* ---- digesting ---------------------------------------------------------- */

CK_RV C_DigestInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m)
{
	return do_init(h, CID_OPK_DIGEST, m, CK_INVALID_HANDLE);
}

CK_RV C_Digest(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR out,
               CK_ULONG_PTR outlen)
{
	return do_oneshot(h, CID_OPK_DIGEST, data, len, out, outlen);
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
	return do_update(h, CID_OPK_DIGEST, part, len);
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	return do_final(h, CID_OPK_DIGEST, out, outlen);
}

/* Only secret keys have a value to digest; here those are the generic
 * secrets made by C_DeriveKey.  Public and private keys are
 * CKR_KEY_INDIGESTIBLE: their encoding is not defined by the spec, and a
 * private key's bytes must not feed an output the caller can read. */
static CK_RV digest_key(cid_session *s, CK_OBJECT_HANDLE hkey)
{
	cid_object *o = NULL;
	CK_RV rv = cid_obj_get(s, hkey, &o);
	if (rv != CKR_OK) {
		CID_INFO("key handle 0x%lx not found", hkey);
		return rv == CKR_OBJECT_HANDLE_INVALID ? CKR_KEY_HANDLE_INVALID : rv;
	}
	uint8_t value[512];
	CK_ULONG len = sizeof(value);
	if (!is_key_class(o->cls))
		rv = CKR_KEY_HANDLE_INVALID;
	else if (o->cls != CKO_SECRET_KEY || cid_obj_attr(o, CKA_VALUE, value, &len) != CKR_OK)
		rv = CKR_KEY_INDIGESTIBLE;
	else
		rv = cid_op_update(s->ops[CID_OPK_DIGEST].op, value, len);
	cid_wipe(value, sizeof(value));
	if (rv != CKR_OK)
		CID_INFO("cannot digest key 0x%lx: rv 0x%lx", hkey, rv);
	cid_obj_put(&o);
	return rv;
}

CK_RV C_DigestKey(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hkey)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	rv = op_ready_multipart(s, CID_OPK_DIGEST);
	if (rv == CKR_OK)
		rv = digest_key(s, hkey);
	if (rv == CKR_OK)
		s->ops[CID_OPK_DIGEST].multipart_started = true;
	else
		op_end(s, CID_OPK_DIGEST);
	cid_op_session_unlock(&s);
	return rv;
}

/* ---- signing and verification ------------------------------------------- */

CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return do_init(h, CID_OPK_SIGN, m, key);
}

CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
             CK_ULONG_PTR siglen)
{
	return do_oneshot(h, CID_OPK_SIGN, data, len, sig, siglen);
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
	return do_update(h, CID_OPK_SIGN, part, len);
}

CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR siglen)
{
	return do_final(h, CID_OPK_SIGN, sig, siglen);
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return do_init(h, CID_OPK_VERIFY, m, key);
}

CK_RV C_Verify(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
               CK_ULONG siglen)
{
	return do_verify(h, false, data, len, sig, siglen);
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
	return do_update(h, CID_OPK_VERIFY, part, len);
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG siglen)
{
	return do_verify(h, true, NULL, 0, sig, siglen);
}

/* ---- signatures with recovery ------------------------------------------ */

/* Signatures with message recovery are not offered: no mechanism here
 * recovers a message from a signature (hashed RSA and EC signatures carry
 * none), so the four functions say so plainly. */

CK_RV C_SignRecoverInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	(void)h, (void)m, (void)key;
	return cid_not_supported(__func__);
}

CK_RV C_SignRecover(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
                    CK_ULONG_PTR siglen)
{
	(void)h, (void)data, (void)len, (void)sig, (void)siglen;
	return cid_not_supported(__func__);
}

CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	(void)h, (void)m, (void)key;
	return cid_not_supported(__func__);
}

CK_RV C_VerifyRecover(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG siglen, CK_BYTE_PTR data,
                      CK_ULONG_PTR datalen)
{
	(void)h, (void)sig, (void)siglen, (void)data, (void)datalen;
	return cid_not_supported(__func__);
}

/* ---- cancelling ---------------------------------------------------------- */

CK_RV C_SessionCancel(CK_SESSION_HANDLE h, CK_FLAGS flags)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	for (int k = 0; k < CID_OPK_COUNT; k++)
		if (flags & kinds[k].flag)
			op_end(s, k);
	cid_op_session_unlock(&s);
	return CKR_OK;
}
