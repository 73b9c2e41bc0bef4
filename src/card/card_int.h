/* Private to the card backend: what is known about one card's keys and
 * certificates (cached per card), and the state of one open card token. */
#ifndef CAREID_CARD_CARD_INT_H
#define CAREID_CARD_CARD_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "card/io.h"
#include "card/piv.h"
#include "common/attrs.h"
#include "common/lock.h"
#include "backend/backend.h"

/* The four standard key slots, in CKA_ID order (01 9A ... 04 9E). */
#define CARD_NKEYS 4

typedef struct card_key {
	uint8_t ref;          /* PIV key reference */
	bool present;         /* the public key is known (certificate or generated here) */
	bool generated;       /* generated through this module (CKA_LOCAL) */
	CK_KEY_TYPE kt;       /* CKK_RSA or CKK_EC */
	CK_ULONG bits;        /* modulus bits, or field bits for EC */
	cid_attrs pub;        /* CKA_MODULUS + CKA_PUBLIC_EXPONENT, or CKA_EC_PARAMS + CKA_EC_POINT */
	uint8_t *cert;        /* DER, or NULL */
	size_t certlen;
	uint8_t *subject;     /* DER subject of cert, or NULL */
	size_t subjlen;
} card_key;

/* What the card holds, read once.  Shared by reference between the cache
 * and open tokens and never changed once published: a change makes a new
 * snapshot (card_cache.c). */
typedef struct card_data {
	atomic_uint refs;
	uint64_t gen;         /* unique per snapshot in the process, never reused */
	char ident[64];       /* GUID hex + "/" + serial: the cache key */
	uint8_t guid[16];
	bool have_guid;
	uint32_t serial;
	bool have_serial;
	char uuid[13];        /* P13: 12-digit CN of the 9A certificate, or "" */
	uint8_t version[3];   /* GET VERSION, when the card offers it */
	bool have_version;
	card_key keys[CARD_NKEYS];
	/* The lifecycle record object (card_record.c) as read with the rest,
	 * NULL when the card has none: a login then costs no extra APDU. */
	uint8_t *record;
	size_t record_len;
} card_data;

/* ---- piv_model.c ---- */
uint8_t card_key_ref(size_t i);
/* Fills k's public part from a DER certificate (keeps a copy of it). */
CK_RV card_key_from_cert(card_key *k, const uint8_t *der, size_t len);
/* Fills k's public part from a GENERATE ASYMMETRIC answer (7F49 value). */
CK_RV card_key_from_generated(card_key *k, uint8_t alg, const uint8_t *tmpl, size_t len);
void card_key_clear(card_key *k);
/* Same public material (same attributes, same values). */
bool card_pub_equal(const cid_attrs *a, const cid_attrs *b);
CK_RV card_key_copy(card_key *dst, const card_key *src);
/* The P13 UUID (12 digits) from a certificate's subject CN, or "". */
void card_cert_uuid(const uint8_t *der, size_t len, char out[13]);
/* Attribute sets shown to the front. */
CK_RV card_model_cert(const card_key *k, cid_attrs *a);
CK_RV card_model_pub(const card_key *k, cid_attrs *a);
CK_RV card_model_priv(const card_key *k, cid_attrs *a);
/* Stable object ids: (key slot, kind) survive reloads and reopenings. */
enum { CARD_OBJ_CERT = 1, CARD_OBJ_PUB = 2, CARD_OBJ_PRIV = 3 };
uint64_t card_obj_id(uint8_t ref, int kind);
bool card_obj_parse(uint64_t id, uint8_t *ref, int *kind);
size_t card_key_index(uint8_t ref);   /* CARD_NKEYS when not a standard slot */

/* ---- card_cache.c ---- */
#define CARD_CACHE_MAX 8
card_data *card_data_new(void);
card_data *card_data_ref(card_data *d);
void card_data_unref(card_data **d);
/* A deep copy to modify before card_cache_put. */
CK_RV card_data_clone(const card_data *src, card_data **out);
/* The cached snapshot for ident (a new reference), or NULL. */
card_data *card_cache_get(const char *ident);
/* Publishes d as the snapshot for its ident, replacing any other. */
void card_cache_put(card_data *d);
/* Drops the snapshot of ident, if any (its contents are out of date). */
void card_cache_forget(const char *ident);
/* Forgets every card (tests; module teardown). */
void card_cache_clear(void);
/* Starts an empty cache with a lock made under the application's locking
 * choice (the card provider, at C_Initialize).  Whatever a parent process
 * left in it is forgotten, neither locked nor freed: a forked child must
 * not wait for a lock a parent thread held at fork time. */
CK_RV card_cache_start(void);

/* ---- the token ---- */
typedef enum { CARD_NOBODY = 0, CARD_USER, CARD_SO } card_who;

typedef struct card_token {
	cid_token base;
	/* Serialises the card, under the application's locking choice. */
	cid_mutex *lock;
	cid_card_io *io;
	uint64_t seen_resets;
	bool removed;
	card_data *data;       /* NULL until first needed */
	uint64_t loaded;       /* gen of the snapshot of the last load_objects; 0: none */
	card_who who;
	bool admin;            /* management key accepted in this card session */
	/* The PUK while the SO is logged in (PIV has no PUK login state). */
	uint8_t puk[CID_PIV_PIN_BLOCK];
	size_t puklen;
	/* The passcode of a context-specific login, until the next 9C use. */
	uint8_t ctx_pin[CID_PIV_PIN_BLOCK];
	size_t ctx_pinlen;
	int pin_tries;         /* last known; CID_PIV_TRIES_UNKNOWN */
	int puk_tries;
	bool puk_asked;        /* card_refresh_puk_tries was tried */
	char *trail_dir;       /* where the host keeps card trails; NULL: none */
} card_token;

/* card_token.c */
/* Takes the card for one operation (lock + transaction), noticing removal
 * and resets (re-SELECT); *reset (may be NULL) tells that a login was
 * just lost to a reset.  card_end releases both. */
CK_RV card_begin(card_token *t, bool *reset);
void card_end(card_token *t);
/* Records a transport result: a removed card stays removed. */
CK_RV card_note(card_token *t, CK_RV rv);
/* Reads the card's data (lazily, through the cache); card held. */
CK_RV card_ensure_data(card_token *t);
/* The card as log lines name it (cid_token_name: the label, its UUID, and
 * the serial); out has CID_TOKEN_NAME_LEN bytes.  With may_read, a card
 * whose data was never read is read now (card held); without, no APDU is
 * sent and such a card is "the card" (t->lock held). */
const char *card_name(card_token *t, bool may_read, char *out);
void card_forget_login(card_token *t);
/* The serial the token reports and the host's trail is named for. */
void card_serial_text(const card_data *d, char out[40]);
/* card_audit.c: appends an event to the trail the host keeps for the card
 * (common/host_trail.h); card held.  A trail that cannot be written is a
 * log line, never a changed outcome: the card has already acted. */
__attribute__((format(printf, 3, 4))) void card_audit(card_token *t, const char *event, const char *fmt, ...);
/* backend.h audit: the token layer's events (an expiry alert, a refused
 * login) in the same trail. */
CK_RV card_audit_event(cid_token *tok, const char *event, const char *detail);
/* card_record.c: the lifecycle record (backend.h get_record, put_record);
 * card_read_record fills d->record while the card's contents are read. */
CK_RV card_read_record(card_token *t, card_data *d);
/* Whether the card still holds the record the snapshot has; when not,
 * another program changed the card: the snapshot is dropped and the card
 * read again (one APDU when nothing changed); card held. */
CK_RV card_recheck(card_token *t);
CK_RV card_get_record(cid_token *tok, uint8_t **rec, size_t *rlen, uint8_t **sig, size_t *slen);
CK_RV card_put_record(cid_token *tok, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen);
/* card_login.c */
CK_RV card_login(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV card_logout(cid_token *tok);
CK_RV card_check_login(cid_token *tok, bool *user);
CK_RV card_init_token(cid_token *tok, const CK_UTF8CHAR *so_pin, CK_ULONG len, const CK_UTF8CHAR label[32]);
CK_RV card_init_pin(cid_token *tok, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV card_set_pin(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *old, CK_ULONG oldlen,
                   const CK_UTF8CHAR *new_pin, CK_ULONG newlen);
/* Refreshes pin_tries with the no-data VERIFY; card held. */
void card_refresh_tries(card_token *t);
/* Learns puk_tries from the card's metadata when it offers them; card held. */
void card_refresh_puk_tries(card_token *t);
/* card_objects.c */
CK_RV card_changed(cid_token *tok, bool *changed);
CK_RV card_load_objects(cid_token *tok, cid_object_sink sink, void *ctx);
CK_RV card_create_object(cid_token *tok, const cid_attrs *attrs, uint64_t *id);
CK_RV card_update_object(cid_token *tok, uint64_t id, const cid_attrs *attrs);
CK_RV card_destroy_object(cid_token *tok, uint64_t id);
/* Replaces key slot i of the token's snapshot with *k (taken over) and
 * publishes the new snapshot; card held. */
CK_RV card_publish_key(card_token *t, size_t i, card_key *k);
/* card_keys.c */
CK_RV card_key_op(cid_token *tok, uint64_t id, cid_ext_kind kind, const uint8_t *in, size_t inlen,
                  uint8_t *out, size_t *outlen);
CK_RV card_generate_keypair(cid_token *tok, CK_MECHANISM_TYPE mech, cid_attrs *pub, cid_attrs *priv,
                            uint64_t *pub_id, uint64_t *priv_id);

#endif
