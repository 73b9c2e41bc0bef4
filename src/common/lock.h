/* Mutexes that honour the application's C_Initialize choice.
 *
 * PKCS#11 lets the caller hand us mutex callbacks, ask for OS locking, or
 * promise single-threaded use.  Everything in the module that locks goes
 * through cid_mutex so the choice is made in one place (cid_lock_configure,
 * called from C_Initialize) and not re-decided at every call site. */
#ifndef CAREID_COMMON_LOCK_H
#define CAREID_COMMON_LOCK_H

#include "pkcs11.h"

typedef struct cid_mutex cid_mutex;

typedef enum {
	CID_LOCK_NONE,       /* application is single-threaded */
	CID_LOCK_OS,         /* pthreads */
	CID_LOCK_CALLBACKS,  /* the application's CreateMutex & co */
} cid_lock_mode;

/* Chooses the mode from CK_C_INITIALIZE_ARGS (already validated). */
void cid_lock_configure(cid_lock_mode mode, const CK_C_INITIALIZE_ARGS *args);
cid_lock_mode cid_lock_mode_get(void);

CK_RV cid_mutex_new(cid_mutex **m);
void cid_mutex_free(cid_mutex **m);
void cid_mutex_lock(cid_mutex *m);
void cid_mutex_unlock(cid_mutex *m);

#endif
