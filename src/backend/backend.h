/* The token backend interface: what a kind of token (the soft token's
 * database, a card behind PC/SC) implements.  Backends sit below the token
 * layer (src/token), which is the only caller of these operations; the
 * front never learns which kind of token it is talking to.
 *
 * Threading: the token layer calls one token's operations one at a time
 * (under the slot's lock, one per slot, never a module-wide one).  A
 * backend keeps the authentication state its device needs (the soft token
 * its unwrapped storage key; a card, its verified PIN); who is logged in
 * is the token layer's to record. */
#ifndef CAREID_BACKEND_BACKEND_H
#define CAREID_BACKEND_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkcs11.h"
#include "common/attrs.h"
#include "crypto/crypto.h"

typedef struct cid_token cid_token;
typedef struct cid_provider cid_provider;

/* What the front shows in CK_TOKEN_INFO.  Strings are blank-padded, not
 * NUL-terminated, as PKCS#11 wants them. */
typedef struct cid_token_status {
	CK_UTF8CHAR label[32];
	CK_UTF8CHAR manufacturer[32];
	CK_UTF8CHAR model[16];
	CK_CHAR serial[16];
	/* CKF_TOKEN_INITIALIZED, CKF_USER_PIN_INITIALIZED,
	 * CKF_LOGIN_REQUIRED, CKF_WRITE_PROTECTED, and the exact PIN state
	 * flags (COUNT_LOW, FINAL_TRY, LOCKED, TO_BE_CHANGED, user and SO).
	 * The front adds CKF_RNG to every token: C_GenerateRandom is its. */
	CK_FLAGS flags;
	CK_ULONG min_pin_len, max_pin_len;
	CK_VERSION hw_version, fw_version;
} cid_token_status;

/* Receives each stored object during load_objects.  id is the backend's
 * stable identifier (never 0); attrs are borrowed for the call only. */
typedef CK_RV (*cid_object_sink)(void *ctx, uint64_t id, const cid_attrs *attrs);

struct cid_token_ops {
	CK_RV (*status)(cid_token *t, cid_token_status *st);

	/* Authentication.  who is CKU_USER, CKU_SO or CKU_CONTEXT_SPECIFIC
	 * (re-verify the user passcode for one key use).  The backend
	 * applies P1-P3 itself: format check before any try is spent, the
	 * durable try counter, lockout. */
	CK_RV (*login)(cid_token *t, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG len);
	CK_RV (*logout)(cid_token *t);
	/* Initialise (or re-initialise, when the SO passcode matches) the
	 * token: every object is destroyed. */
	CK_RV (*init_token)(cid_token *t, const CK_UTF8CHAR *so_pin, CK_ULONG len, const CK_UTF8CHAR label[32]);
	/* Called with the SO logged in: set the user passcode, unblock. */
	CK_RV (*init_pin)(cid_token *t, const CK_UTF8CHAR *pin, CK_ULONG len);
	/* who is the logged-in user type, or CKU_USER when nobody is
	 * logged in (then old is checked as a user passcode, costing a try
	 * when wrong). */
	CK_RV (*set_pin)(cid_token *t, CK_USER_TYPE who, const CK_UTF8CHAR *old, CK_ULONG oldlen,
	                 const CK_UTF8CHAR *new_pin, CK_ULONG newlen);

	/* Objects.  load_objects reports every stored object visible in the
	 * current authentication state: public objects always (without
	 * their secret values before login), private ones only after user
	 * login.  changed tells, cheaply, whether the stored set may differ
	 * from the last load (another process wrote to it). */
	CK_RV (*changed)(cid_token *t, bool *changed);
	CK_RV (*load_objects)(cid_token *t, cid_object_sink sink, void *ctx);
	/* After changed said so: reports only what changed since the last
	 * load, an object written since with its attributes, one destroyed
	 * (or no longer visible) with attrs NULL.  When the backend cannot
	 * tell (it fell too far behind), it reports every object instead, as
	 * load_objects, and sets *whole.  NULL: the front loads everything. */
	CK_RV (*load_changes)(cid_token *t, cid_object_sink sink, void *ctx, bool *whole);
	CK_RV (*create_object)(cid_token *t, const cid_attrs *attrs, uint64_t *id);
	CK_RV (*update_object)(cid_token *t, uint64_t id, const cid_attrs *attrs);
	CK_RV (*destroy_object)(cid_token *t, uint64_t id);

	/* The token's lifecycle record and the issuer's signature over it,
	 * as the issuer wrote them (src/policy/lifecycle.h, docs/lifecycle.md):
	 * *rec is NULL when the token has none; the caller frees both.
	 * put_record replaces both in one step and needs the SO logged in.
	 * audit appends an event of the lifecycle rules (an expiry alert, a
	 * refused login) to the token's trail: in its file for a soft token,
	 * on the host for a card.  NULL: no trail is kept. */
	CK_RV (*get_record)(cid_token *t, uint8_t **rec, size_t *rlen, uint8_t **sig, size_t *slen);
	CK_RV (*put_record)(cid_token *t, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen);
	CK_RV (*audit)(cid_token *t, const char *event, const char *detail);
	/* P10: destroys every object that holds key material (private
	 * objects, secret values), whoever is logged in; the token layer
	 * calls it when a cancelled record is written.  NULL: the token
	 * cannot (a card keeps its keys until it is re-personalised). */
	CK_RV (*destroy_keys)(cid_token *t);

	/* P4, the sponsor's unlock code.  set_unlock_code (the SO logged in)
	 * lets code set a new user passcode once, until expires (seconds,
	 * host clock).  unlock (nobody logged in) does it: CKR_PIN_INCORRECT
	 * for a wrong code (one of its own tries spent first, durably),
	 * CKR_PIN_LOCKED when that was its last, CKR_PIN_EXPIRED when it has
	 * expired or none waits.  NULL: the token takes no unlock codes. */
	CK_RV (*set_unlock_code)(cid_token *t, const CK_UTF8CHAR *code, CK_ULONG len, int64_t expires);
	CK_RV (*unlock)(cid_token *t, const CK_UTF8CHAR *code, CK_ULONG len, int64_t now, const CK_UTF8CHAR *pin,
	                CK_ULONG plen);

	/* The private-key primitive of a key the token holds (a card's keys
	 * never leave it).  NULL when private keys live in their attributes
	 * (the soft token).  id is the private key object's id.  May run
	 * concurrently with other calls: the backend serialises its device. */
	CK_RV (*key_op)(cid_token *t, uint64_t id, cid_ext_kind kind, const uint8_t *in, size_t inlen,
	                uint8_t *out, size_t *outlen);
	/* Key pair generation on the token.  NULL: the front generates on the
	 * host and stores both halves with create_object.  pub and priv
	 * arrive completed by the front's attribute rules without key
	 * material; the backend adds the public material to both, stores
	 * them, and returns their ids. */
	CK_RV (*generate_keypair)(cid_token *t, CK_MECHANISM_TYPE mech, cid_attrs *pub, cid_attrs *priv,
	                          uint64_t *pub_id, uint64_t *priv_id);

	/* Whether the user login still holds.  A card reset by another
	 * program forgets it; the backend notices, re-selects its
	 * application, and says so here, so that the login state the
	 * front reports stays true.  NULL: logins never end by themselves. */
	CK_RV (*check_login)(cid_token *t, bool *user);
	/* No session uses the token any more (and nobody is logged in): let go
	 * of what an idle token need not hold, open files above all, so that a
	 * thousand listed tokens hold no descriptor.  The next call takes them
	 * again.  NULL: the token holds nothing worth letting go. */
	void (*rest)(cid_token *t);
	/* Random bytes from the token (NULL: the front uses the host RNG). */
	CK_RV (*random)(cid_token *t, uint8_t *buf, size_t len);

	void (*release)(cid_token *t);
};

struct cid_token {
	const struct cid_token_ops *ops;
};

/* A provider finds tokens: the soft-token directory, later the PC/SC
 * readers.  Each place a token can be (a token file, a reader) has a
 * stable key string; the front turns keys into slot ids that never change
 * for the life of the module. */
typedef struct cid_place {
	const char *key;          /* unique within the provider, stable */
	const char *description;  /* CK_SLOT_INFO.slotDescription */
	bool removable;           /* CKF_REMOVABLE_DEVICE */
	bool hardware;            /* CKF_HW_SLOT */
	bool can_create;          /* an empty place where C_InitToken creates a token */
	/* Zero for a soft token.  A reader without a card is absent; epoch
	 * changes whenever the token in the place changes (removed,
	 * inserted), so the front can end the sessions of a removed card. */
	bool absent;
	uint64_t epoch;
} cid_place;

typedef CK_RV (*cid_place_sink)(void *ctx, const cid_place *place);

struct cid_provider_ops {
	const char *name;
	/* Reports every current place. */
	CK_RV (*scan)(cid_provider *p, cid_place_sink sink, void *ctx);
	/* Opens the token in a place: CKR_TOKEN_NOT_PRESENT when the place is
	 * empty (a reader without card, the free soft slot). */
	CK_RV (*open)(cid_provider *p, const char *key, cid_token **out);
	/* Creates a token in a can_create place (the free soft slot).  The
	 * token is initialised with so_pin and label; *new_key receives the
	 * key of the place the token now lives in (allocated, caller frees). */
	CK_RV (*create)(cid_provider *p, const char *key, const CK_UTF8CHAR *so_pin, CK_ULONG len,
	                const CK_UTF8CHAR label[32], char **new_key, cid_token **out);
	/* Whether this provider's tokens offer the crypto layer's mechanism d,
	 * and how: info arrives as d describes it, and the provider narrows
	 * key sizes or flags and adds CKF_HW where the device does the work.
	 * NULL: every mechanism, as the crypto layer describes it. */
	bool (*mechanism)(cid_provider *p, const cid_mech_desc *d, CK_MECHANISM_INFO *info);
	void (*release)(cid_provider *p);
};

struct cid_provider {
	const struct cid_provider_ops *ops;
};

#endif
