/* Random numbers from the host's generator (OpenSSL's DRBG, seeded by the
 * kernel).  No login is needed: NSS asks for randomness before any. */
#include "common/log.h"
#include "p11/internal.h"

/* A valid session is still required, as the spec's signature implies. */
static CK_RV check_session(CK_SESSION_HANDLE h)
{
	cid_session *s = NULL;
	CK_RV rv = cid_enter();
	if (rv == CKR_OK)
		rv = cid_session_get(h, &s);
	if (rv == CKR_OK)
		cid_session_put(&s);
	return rv;
}

/* The host generator is seeded by the operating system and must not be
 * steered by an application, so seeding is refused as the spec allows. */
CK_RV C_SeedRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len)
{
	if (seed == NULL && len != 0)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = check_session(h);
	return rv != CKR_OK ? rv : CKR_RANDOM_SEED_NOT_SUPPORTED;
}

/* No session lock: nothing of the session is used, and the generator is
 * safe to call from several threads at once. */
CK_RV C_GenerateRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len)
{
	if (out == NULL && len != 0)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = check_session(h);
	if (rv != CKR_OK || len == 0)
		return rv;
	rv = cid_random(out, len);
	if (rv != CKR_OK)
		CID_ERROR("host random generator failed: rv 0x%lx", rv);
	return rv;
}
