/* The PKCS#11 front: state shared by the entry-point files.
 *
 * Files and what they hold:
 *   module.c      C_Initialize, C_Finalize, C_GetInfo, fork detection, cid_enter
 *   interface.c   function lists, C_GetFunctionList, C_GetInterfaceList, C_GetInterface
 *   slot.c        slot table, scans, removal; C_GetSlotList/SlotInfo,
 *                 C_WaitForSlotEvent
 *   token_api.c   C_GetTokenInfo, C_InitToken, C_GetMechanismList/Info
 *   session.c     session table; C_OpenSession ... C_GetSessionInfo,
 *                 C_Get/SetOperationState
 *   login.c       C_Login, C_LoginUser, C_Logout, C_InitPIN, C_SetPIN
 *   objstore.c    per-slot object cache, handles, refcounts, loading (cid_obj_*)
 *   objindex.c    lookups in that cache by class, id, label, owner and store id
 *   obj_create.c  creating (templates, key pairs a token generates) and destroying
 *   attr_rules.c  defaults and consistency rules for object attributes
 *   object_api.c  C_CreateObject ... C_FindObjectsFinal
 *   crypto_api.c  C_Encrypt* ... C_VerifyRecover*, C_Digest*, C_SessionCancel
 *   keygen_api.c  C_GenerateKey(Pair), C_DeriveKey, C_WrapKey, C_UnwrapKey
 *   random_api.c  C_SeedRandom, C_GenerateRandom
 *   unsupported.c functions this module does not offer (message API, dual-function)
 *
 * Every entry point checks in one order:
 *   1. cid_enter(): an uninitialised module (or a forked child) answers
 *      CKR_CRYPTOKI_NOT_INITIALIZED whatever the other arguments are;
 *   2. the session or slot handle, looked up with a reference taken;
 *   3. for a step of an operation, the operation's state (active, context
 *      login done);
 *   4. the arguments: a bad one ends an active operation, as the spec says
 *      of every error but CKR_BUFFER_TOO_SMALL and a length query;
 *   5. the work, under the narrowest lock that protects it; release.
 * tests/api/test_conformance.c calls every entry point before C_Initialize
 * with valid and with NULL pointers to hold step 1.
 *
 * Locks, from outermost to innermost (never taken in the other order):
 *   session->lock    one operation at a time on a session
 *   slot->lock       login state, object cache and backend calls of a token
 *   m->sessions_lock the session handle table only (never held while
 *                    calling anything else)
 *   m->slots_lock    the slot table only
 * There is no module-wide lock on the signing path: two threads sign at
 * once on two sessions. */
#ifndef CAREID_P11_INTERNAL_H
#define CAREID_P11_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pkcs11.h"
#include "common/attrs.h"
#include "common/config.h"
#include "common/hmap.h"
#include "common/lock.h"
#include "crypto/crypto.h"
#include "token/tok.h"


/* ---- objects ------------------------------------------------------------ */

typedef struct cid_slot cid_slot;
typedef struct cid_session cid_session;
typedef struct cid_object cid_object;

/* The keys objindex.c files objects under: three attributes searches name
 * most, the session that owns a session object, and the backend's id of a
 * token object. */
enum { CID_IX_CLASS, CID_IX_ID, CID_IX_LABEL, CID_IX_OWNER, CID_IX_STORE, CID_IX_COUNT };

/* An object's place in one chain of objects filed under the same key. */
typedef struct cid_ix_link {
	cid_object *prev, *next;
	uint64_t key;               /* 0: not filed under this kind */
} cid_ix_link;

/* Per slot: key -> chain head, one map per kind (guarded by slot->lock). */
typedef struct cid_objindex {
	cid_hmap by[CID_IX_COUNT];
	bool broken;                /* an allocation failed: searches scan until
	                             * the index is rebuilt */
} cid_objindex;

struct cid_object {
	CK_OBJECT_HANDLE handle;
	atomic_uint refs;
	cid_slot *slot;
	CK_OBJECT_CLASS cls;
	bool on_token;              /* CKA_TOKEN */
	bool is_private;            /* CKA_PRIVATE */
	bool synthetic;             /* made by the module (the CKO_PROFILE object) */
	bool dead;                  /* destroyed or invalidated; handle gone */
	CK_SESSION_HANDLE owner;    /* creating session of a session object, else 0 */
	uint64_t store_id;          /* backend id of a token object, else 0 */
	cid_attrs attrs;            /* guarded by slot->lock */
	cid_key *key;               /* built on first use, guarded by slot->lock */
	cid_ix_link ix[CID_IX_COUNT]; /* objindex.c, guarded by slot->lock */
	bool indexed;
};

typedef enum {
	CID_ORIGIN_CREATE,     /* C_CreateObject */
	CID_ORIGIN_COPY,       /* C_CopyObject */
	CID_ORIGIN_GENERATE,   /* C_GenerateKey(Pair): CKA_LOCAL true */
	CID_ORIGIN_DERIVE,     /* C_DeriveKey */
	CID_ORIGIN_TOKEN_GENERATE, /* C_GenerateKeyPair inside the token: the rules
	                        * run before the token adds its key material */
} cid_origin;

/* ---- slots -------------------------------------------------------------- */

struct cid_slot {
	CK_SLOT_ID id;
	cid_provider *prov;
	char *key;                  /* provider place key (may change once, on C_InitToken
	                             * in the free soft slot) */
	char description[64];
	bool removable, hardware, can_create;
	cid_mutex *lock;
	cid_tok *tok;               /* NULL until opened, or when absent; holds the
	                             * login state (src/token/tok.h) */
	uint64_t epoch;             /* changes (slot.c, under lock) whenever the token in
	                             * the slot goes away, is replaced or re-initialised:
	                             * anything built on the old token compares it */
	atomic_bool lost;           /* a backend call said CKR_DEVICE_REMOVED: the next
	                             * session lookup ends the slot's sessions */
	cid_hmap objects;           /* handle -> cid_object*, token and session objects */
	cid_objindex index;         /* the same objects by class, id, label, owner */
	bool objects_loaded;
	unsigned sessions, rw_sessions;
};

/* ---- sessions ----------------------------------------------------------- */

enum {
	CID_OPK_ENCRYPT,
	CID_OPK_DECRYPT,
	CID_OPK_DIGEST,
	CID_OPK_SIGN,
	CID_OPK_VERIFY,
	CID_OPK_COUNT
};

struct cid_session {
	CK_SESSION_HANDLE handle;
	atomic_uint refs;
	cid_slot *slot;
	CK_FLAGS flags;             /* CKF_SERIAL_SESSION | CKF_RW_SESSION */
	CK_VOID_PTR app;
	CK_NOTIFY notify;
	cid_mutex *lock;
	bool closed;

	/* Active operations, at most one of each kind. */
	struct {
		cid_op *op;
		CK_MECHANISM_TYPE mech;
		bool multipart_started;  /* an Update happened: one-shot call is now refused */
		bool oneshot_started;    /* a one-shot length query happened: Update and
		                          * Final are now refused */
		bool needs_context_login;/* CKA_ALWAYS_AUTHENTICATE key awaiting CKU_CONTEXT_SPECIFIC */
	} ops[CID_OPK_COUNT];

	/* C_FindObjects state: a snapshot of matching handles. */
	bool finding;
	CK_OBJECT_HANDLE *found;
	size_t nfound, found_pos;
};

/* ---- the module --------------------------------------------------------- */

typedef struct cid_module {
	atomic_bool initialized;    /* read by a C_WaitForSlotEvent racing C_Finalize */
	pid_t pid;                  /* process that initialised */
	cid_config cfg;
	cid_issuer *issuer;         /* from cfg.issuer_cert, or NULL */
	cid_provider **providers;
	size_t nproviders;

	cid_mutex *slots_lock;
	cid_slot **slots;           /* index == slot id; never shrinks */
	size_t nslots;

	cid_mutex *sessions_lock;
	cid_hmap sessions;          /* handle -> cid_session* */

	atomic_ulong next_session;
	atomic_ulong next_object;
	atomic_uint finalize_gen;   /* bumped by C_Finalize: wakes blocked waits */
} cid_module;

extern cid_module cid_m;

/* module.c: CKR_CRYPTOKI_NOT_INITIALIZED unless initialised in this very
 * process (a forked child must initialise again). */
CK_RV cid_enter(void);
/* The one way to say a function is not offered: CKR_CRYPTOKI_NOT_INITIALIZED
 * first (as cid_enter), else CKR_FUNCTION_NOT_SUPPORTED with a debug line
 * naming fn.  CONFORMANCE.md lists every such function. */
CK_RV cid_not_supported(const char *fn);

/* slot.c */
/* CKR_SLOT_ID_INVALID; ends a lost token's sessions first.  No lock held. */
CK_RV cid_slot_get(CK_SLOT_ID id, cid_slot **out);
/* Opens the token if needed: CKR_TOKEN_NOT_PRESENT when there is none.
 * Call with slot->lock held. */
CK_RV cid_slot_token(cid_slot *slot, cid_tok **out);
/* The slot's login state (slot->lock held): nobody without a token. */
static inline CK_USER_TYPE cid_slot_who(const cid_slot *slot)
{
	return slot->tok != NULL ? cid_tok_who(slot->tok) : CID_NO_USER;
}
/* A backend credential (a card's management key) proven (slot->lock held). */
static inline bool cid_slot_credential(const cid_slot *slot)
{
	return slot->tok != NULL && cid_tok_credential(slot->tok);
}
/* With slot->lock held: drops the front's user login when the token says
 * it no longer holds (a card reset elsewhere), so that C_GetSessionInfo
 * and C_Login tell the truth. */
void cid_slot_check_login(cid_slot *slot);
/* Ends the sessions, login and objects of a slot whose token was lost
 * (no lock held). */
void cid_slot_forget_lost(cid_slot *slot);
void cid_slots_free(bool abandon);
/* Presence and free-place state as of the last scan (takes slots_lock). */
bool cid_slot_present(cid_slot *s);
bool cid_slot_is_free_place(cid_slot *s);
/* A token was created in the free place: the slot follows it to its new
 * place key (taken over), and the next scan reports a new free place. */
void cid_slot_moved_to(cid_slot *slot, char *new_key);
/* Blank-padded PKCS#11 text field (src may be NULL). */
void cid_pad(void *dst, size_t n, const char *src);
/* Called by C_Finalize after bumping finalize_gen: returns once no thread
 * is inside C_WaitForSlotEvent any more (they leave within one poll). */
void cid_slots_stop_waits(void);

/* session.c */
/* Looks a session up and takes a reference (CKR_SESSION_HANDLE_INVALID). */
CK_RV cid_session_get(CK_SESSION_HANDLE h, cid_session **out);
void cid_session_put(cid_session **s);
/* CKS_RO_PUBLIC_SESSION ... from the slot's login state and the RW flag. */
CK_STATE cid_session_state(const cid_session *s);
bool cid_session_rw(const cid_session *s);
/* Ends every active operation and the find state (slot lock not needed). */
void cid_session_reset_ops(cid_session *s);
void cid_sessions_free(void);
/* Closes every session on a slot (C_CloseAllSessions, a token that went
 * away); the last close drops the login state.  Call with no lock held. */
void cid_sessions_close_slot(cid_slot *slot);
/* Ends the active operations and find state of every session on a slot
 * (after C_Logout: they may use private objects).  Call with no lock held. */
void cid_sessions_reset_slot_ops(cid_slot *slot);

/* objstore.c -------------------------------------------------------------
 * Token objects are loaded from the backend on first use and kept; they are
 * reloaded after login and logout and when the backend says another
 * process changed them.  Handles of objects that survive a reload (same
 * store_id) do not change.  All functions expect slot->lock held unless
 * noted. */

/* Makes the cache current (first load, or backend reports a change). */
CK_RV cid_objs_sync(cid_slot *slot);
/* After a login state change: reload so private objects appear or vanish.
 * On logout, handles of private objects become invalid forever and
 * private session objects are destroyed. */
CK_RV cid_objs_login_changed(cid_slot *slot);
/* Drops every object (token removed or re-initialised). */
void cid_objs_drop_all(cid_slot *slot);
/* Destroys the session objects owned by one session. */
void cid_objs_drop_session(cid_slot *slot, CK_SESSION_HANDLE owner);

/* Finds an object visible to the session (private ones need the user
 * logged in) and takes a reference: CKR_OBJECT_HANDLE_INVALID otherwise.
 * Takes and releases slot->lock itself. */
CK_RV cid_obj_get(cid_session *s, CK_OBJECT_HANDLE h, cid_object **out);
void cid_obj_put(cid_object **o);
/* The crypto key of a key object, built and cached on first use; returns
 * a new reference.  Takes slot->lock itself. */
CK_RV cid_obj_key(cid_object *o, cid_key **out);
/* Reads one attribute's value under the slot lock into a caller buffer
 * (CKR_ATTRIBUTE_TYPE_INVALID when absent, CKR_BUFFER_TOO_SMALL). */
CK_RV cid_obj_attr(cid_object *o, CK_ATTRIBUTE_TYPE t, void *buf, CK_ULONG *len);
bool cid_obj_bool(cid_object *o, CK_ATTRIBUTE_TYPE t, bool dflt);

/* Builds, checks and stores a new object: the caller's template plus
 * module-made attributes (key material from generation, derived secrets),
 * with the defaults and rules of attr_rules.c for the origin.  Token
 * objects need a R/W session (CKR_SESSION_READ_ONLY); private ones need
 * the user logged in (CKR_USER_NOT_LOGGED_IN).  Takes slot->lock itself. */
CK_RV cid_obj_new(cid_session *s, cid_origin origin, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                  const cid_attrs *made, CK_OBJECT_HANDLE *out);
/* The same for a key pair the token generates itself (its
 * generate_keypair): both halves are token objects, checked against the
 * session and login state before the token is asked, and stored under the
 * ids the token returns. */
CK_RV cid_obj_new_token_pair(cid_session *s, CK_MECHANISM_TYPE mech, const CK_ATTRIBUTE *pt,
                             CK_ULONG pn, const cid_attrs *pub_made, const CK_ATTRIBUTE *vt,
                             CK_ULONG vn, const cid_attrs *priv_made, CK_OBJECT_HANDLE *hpub,
                             CK_OBJECT_HANDLE *hpriv);
/* Whether the slot's token generates key pairs itself. */
bool cid_slot_generates_keys(cid_slot *slot);
/* Destroys an object (token objects: from the backend too). */
CK_RV cid_obj_destroy(cid_session *s, CK_OBJECT_HANDLE h);

/* attr_rules.c ----------------------------------------------------------- */

/* Completes a new object's attribute set with the spec's defaults for its
 * class and key type and checks it: CKR_TEMPLATE_INCOMPLETE,
 * CKR_TEMPLATE_INCONSISTENT, CKR_ATTRIBUTE_VALUE_INVALID,
 * CKR_ATTRIBUTE_READ_ONLY (e.g. CKA_LOCAL, CKA_ALWAYS_SENSITIVE set by the
 * caller), CKR_ATTRIBUTE_TYPE_INVALID (unknown or array attributes).
 * Certificates get their derived attributes from CKA_VALUE here. */
CK_RV cid_rules_complete(cid_origin origin, cid_attrs *a);
/* Whether C_SetAttributeValue / C_CopyObject may change t to val on an
 * object with attributes a (CKR_ATTRIBUTE_READ_ONLY,
 * CKR_ATTRIBUTE_VALUE_INVALID for one-way attributes going back,
 * CKR_ACTION_PROHIBITED when CKA_MODIFIABLE is false). */
CK_RV cid_rules_may_set(const cid_attrs *a, const CK_ATTRIBUTE *t, bool copying);
/* Whether C_GetAttributeValue may reveal t: false for sensitive or
 * unextractable secret values. */
bool cid_rules_readable(const cid_attrs *a, CK_ATTRIBUTE_TYPE t);
/* True for attribute types the module knows for the object's class. */
bool cid_rules_known(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE t);

#endif
