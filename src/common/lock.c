#include <pthread.h>
#include <stdlib.h>

#include "common/lock.h"
#include "common/log.h"

/* A mutex is either ours (pthreads) or the application's opaque handle.
 * The mode is fixed per C_Initialize; mutexes made under one mode are freed
 * before the mode can change (C_Finalize frees everything). */
struct cid_mutex {
	cid_lock_mode mode;
	pthread_mutex_t os;
	void *app;
};

static cid_lock_mode mode = CID_LOCK_NONE;
static CK_C_INITIALIZE_ARGS app;

void cid_lock_configure(cid_lock_mode m, const CK_C_INITIALIZE_ARGS *args)
{
	mode = m;
	if (m == CID_LOCK_CALLBACKS && args != NULL)
		app = *args;
}

cid_lock_mode cid_lock_mode_get(void)
{
	return mode;
}

CK_RV cid_mutex_new(cid_mutex **out)
{
	cid_mutex *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return CKR_HOST_MEMORY;
	m->mode = mode;
	if (mode == CID_LOCK_OS) {
		if (pthread_mutex_init(&m->os, NULL) != 0) {
			free(m);
			return CKR_CANT_LOCK;
		}
	} else if (mode == CID_LOCK_CALLBACKS) {
		CK_RV rv = app.CreateMutex(&m->app);

		if (rv != CKR_OK) {
			CID_ERROR("application CreateMutex failed (0x%lx)", rv);
			free(m);
			return rv;
		}
	}
	*out = m;
	return CKR_OK;
}

void cid_mutex_free(cid_mutex **pm)
{
	cid_mutex *m = *pm;

	if (m == NULL)
		return;
	if (m->mode == CID_LOCK_OS)
		pthread_mutex_destroy(&m->os);
	else if (m->mode == CID_LOCK_CALLBACKS)
		app.DestroyMutex(m->app);
	free(m);
	*pm = NULL;
}

void cid_mutex_lock(cid_mutex *m)
{
	if (m->mode == CID_LOCK_OS)
		pthread_mutex_lock(&m->os);
	else if (m->mode == CID_LOCK_CALLBACKS && app.LockMutex(m->app) != CKR_OK)
		CID_ERROR("application LockMutex failed");
}

void cid_mutex_unlock(cid_mutex *m)
{
	if (m->mode == CID_LOCK_OS)
		pthread_mutex_unlock(&m->os);
	else if (m->mode == CID_LOCK_CALLBACKS && app.UnlockMutex(m->app) != CKR_OK)
		CID_ERROR("application UnlockMutex failed");
}
