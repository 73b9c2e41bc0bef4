/* Module life cycle: C_Initialize, C_Finalize, C_GetInfo, and what a
 * forked child inherits.
 *
 * Fork: the atfork child handler only sets a flag (and releases the
 * lifecycle lock the prepare handler took).  A child must not use
 * the parent's sessions, tokens or locks (a lock held by another parent
 * thread at fork time stays locked forever in the child), so every call in
 * the child returns CKR_CRYPTOKI_NOT_INITIALIZED until it calls
 * C_Initialize, which forgets the inherited state without touching it. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "p11/internal.h"
#include "token/registry.h"

cid_module cid_m;

/* Set in a forked child until it initialises again. */
static atomic_bool inherited;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
/* Serialises C_Initialize and C_Finalize against each other (and fork).
 * A plain pthread mutex: it exists before the application's locking
 * choice is known. */
static pthread_mutex_t lifecycle_lock = PTHREAD_MUTEX_INITIALIZER;

/* The lifecycle lock is held across fork() so that a child never starts
 * with it locked by a parent thread that was inside C_Initialize. */
static void on_fork_prepare(void)
{
	pthread_mutex_lock(&lifecycle_lock);
}

static void on_fork_parent(void)
{
	pthread_mutex_unlock(&lifecycle_lock);
}

static void on_fork_child(void)
{
	atomic_store(&inherited, true);
	pthread_mutex_unlock(&lifecycle_lock);
}

static void register_atfork(void)
{
	pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child);
}

CK_RV cid_enter(void)
{
	if (atomic_load(&inherited) || !atomic_load(&cid_m.initialized))
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	return CKR_OK;
}

CK_RV cid_not_supported(const char *fn)
{
	CK_RV rv = cid_enter();

	if (rv != CKR_OK)
		return rv;
	CID_DEBUG("%s is not offered", fn);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

/* The spec's locking table (PKCS#11 3.1, 5.4):
 *   no callbacks, no CKF_OS_LOCKING_OK  -> the application is single-threaded
 *   CKF_OS_LOCKING_OK, no callbacks     -> OS locking
 *   callbacks, no CKF_OS_LOCKING_OK     -> the application's callbacks
 *   callbacks and CKF_OS_LOCKING_OK     -> either; we take OS locking (what
 *                                          NSS offers, and cheaper)
 * Callbacks are all four or none. */
static CK_RV choose_locking(const CK_C_INITIALIZE_ARGS *a, cid_lock_mode *mode)
{
	bool any = a->CreateMutex || a->DestroyMutex || a->LockMutex || a->UnlockMutex;
	bool all = a->CreateMutex && a->DestroyMutex && a->LockMutex && a->UnlockMutex;
	bool os_ok = (a->flags & CKF_OS_LOCKING_OK) != 0;

	if (a->pReserved != NULL) {
		CID_WARN("refused: pReserved is not NULL");
		return CKR_ARGUMENTS_BAD;
	}
	if (any && !all) {
		CID_WARN("refused: only some of the four mutex callbacks are set");
		return CKR_ARGUMENTS_BAD;
	}

	if (!all && !os_ok)
		*mode = CID_LOCK_NONE;
	else if (!all && os_ok)
		*mode = CID_LOCK_OS;
	else if (all && !os_ok)
		*mode = CID_LOCK_CALLBACKS;
	else
		*mode = CID_LOCK_OS;
	return CKR_OK;
}

/* What a forked child inherited.  Its locks may be held by parent threads
 * that do not exist here, its tokens hold the parent's open files, and its
 * operations the parent's crypto state: nothing of it is used, closed,
 * locked or freed.  It stays reachable here, a one-time cost per child. */
static cid_module parent_state;
/* Publishing its address keeps the copy from being optimised away. */
static cid_module *volatile parent_state_kept;

static void abandon_inherited(void)
{
	memcpy(&parent_state, &cid_m, sizeof(cid_m));
	parent_state_kept = &parent_state;
	cid_slots_free(true);
	cid_providers_close(cid_m.providers, cid_m.nproviders, 1);
	memset(&cid_m, 0, sizeof(cid_m));
	atomic_store(&inherited, false);
}

static void release_state(void)
{
	cid_sessions_free();
	cid_slots_free(false);
	cid_providers_close(cid_m.providers, cid_m.nproviders, 0);
	cid_m.providers = NULL;
	cid_m.nproviders = 0;
	cid_tok_set_issuer(NULL);
	cid_issuer_free(&cid_m.issuer);
	cid_config_free(&cid_m.cfg);
	memset(&cid_m.cfg, 0, sizeof(cid_m.cfg));
	cid_mutex_free(&cid_m.sessions_lock);
	cid_mutex_free(&cid_m.slots_lock);
}

static CK_RV build_state(void)
{
	CK_RV rv;

	cid_hmap_init(&cid_m.sessions);
	cid_m.slots = NULL;
	cid_m.nslots = 0;
	atomic_store(&cid_m.next_session, 0);
	atomic_store(&cid_m.next_object, 0);

	rv = cid_mutex_new(&cid_m.slots_lock);
	if (rv == CKR_OK)
		rv = cid_mutex_new(&cid_m.sessions_lock);
	if (rv == CKR_OK)
		rv = cid_config_load(&cid_m.cfg);
	/* A configured issuer that cannot be read fails initialisation, as a
	 * malformed configuration does: tokens must not pass unchecked. */
	if (rv == CKR_OK && cid_m.cfg.issuer_cert != NULL &&
	    (rv = cid_issuer_load(cid_m.cfg.issuer_cert, &cid_m.issuer)) == CKR_OK)
		cid_tok_set_issuer(cid_m.issuer);
	if (rv == CKR_OK)
		rv = cid_providers_open(&cid_m.cfg, &cid_m.providers, &cid_m.nproviders);
	if (rv != CKR_OK)
		release_state();
	return rv;
}

static CK_RV initialize_locked(const CK_C_INITIALIZE_ARGS *args)
{
	cid_lock_mode mode = CID_LOCK_OS;
	CK_RV rv;

	/* NULL arguments promise a single-threaded caller, but many callers
	 * that pass NULL do use threads; OS locks cost next to nothing, so
	 * they get them anyway. */
	if (args != NULL) {
		rv = choose_locking(args, &mode);
		if (rv != CKR_OK)
			return rv;
	}

	if (atomic_load(&inherited))
		abandon_inherited();
	if (atomic_load(&cid_m.initialized))
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;

	cid_log_setup();
	cid_lock_configure(mode, args);
	rv = build_state();
	if (rv != CKR_OK) {
		CID_ERROR("initialisation failed (0x%lx)", rv);
		return rv;
	}
	cid_m.pid = getpid();
	atomic_store(&cid_m.initialized, true);
	return CKR_OK;
}

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	CK_RV rv;

	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&lifecycle_lock);
	rv = initialize_locked(pInitArgs);
	pthread_mutex_unlock(&lifecycle_lock);
	return rv;
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	CK_RV rv;

	pthread_mutex_lock(&lifecycle_lock);
	rv = cid_enter();
	if (rv == CKR_OK && pReserved != NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK) {
		/* A C_WaitForSlotEvent blocked in another thread sees the new
		 * generation (and, through it, initialized == false) and
		 * leaves before anything it might look at goes away. */
		atomic_store(&cid_m.initialized, false);
		atomic_fetch_add(&cid_m.finalize_gen, 1);
		cid_slots_stop_waits();
		release_state();
	}
	pthread_mutex_unlock(&lifecycle_lock);
	return rv;
}

static void pad(CK_UTF8CHAR *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	memset(dst, ' ', n);
	memcpy(dst, src, len < n ? len : n);
}

/* The build passes meson's project version as CAREID_VERSION; the
 * fallback keeps a build without it working and must match meson.build. */
#ifndef CAREID_VERSION
#define CAREID_VERSION "0.1.0"
#endif

static CK_BYTE version_part(const char **p)
{
	unsigned v = 0;

	while (**p >= '0' && **p <= '9' && v < 256)
		v = v * 10 + (unsigned)(*(*p)++ - '0');
	if (**p == '.')
		(*p)++;
	return v > 255 ? 255 : (CK_BYTE)v;
}

static CK_VERSION library_version(void)
{
	const char *p = CAREID_VERSION;
	CK_VERSION v;

	v.major = version_part(&p);
	v.minor = version_part(&p);
	return v;
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && pInfo == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv != CKR_OK)
		return rv;

	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->cryptokiVersion.major = 3;
	pInfo->cryptokiVersion.minor = 1;
	pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "careid");
	pInfo->flags = 0;
	pad(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
	    "Care Identity PKCS#11 module");
	pInfo->libraryVersion = library_version();
	return CKR_OK;
}
