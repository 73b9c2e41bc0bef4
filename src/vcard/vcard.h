/* The virtual Care Identity card: types shared by its parts.
 *
 * The card is split the way a real one is: persistent chip contents
 * (struct vc_state, written to the state file on every change), volatile
 * security status that a power cycle or removal clears (struct vc_session),
 * and the transport state of the APDU layer (chaining and pending response
 * bytes).  Every buffer has a fixed bound; appends past it set a sticky error
 * flag that the caller checks once, so no handler can overrun. */
#ifndef CAREID_VCARD_VCARD_H
#define CAREID_VCARD_VCARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

/* Largest command data the card accepts after chaining: an RSA-4096
 * certificate object plus its tags fits with room to spare. */
#define VC_CMD_MAX      8192
/* Largest response the card builds before splitting it with 61xx. */
#define VC_RESP_MAX     8192
/* Largest data object (content of the 53 template) the card stores. */
#define VC_OBJ_MAX      4096
#define VC_MAX_OBJS     48
/* 9A, 9C, 9D, 9E and the twenty retired slots 82-95. */
#define VC_MAX_KEYS     24

/* Status words. */
#define SW_OK               0x9000
#define SW_WRONG_LENGTH     0x6700
#define SW_SECURITY         0x6982
#define SW_BLOCKED          0x6983
#define SW_CONDITIONS       0x6985
#define SW_WRONG_DATA       0x6A80
#define SW_NOT_FOUND        0x6A82
#define SW_NO_SPACE         0x6A84
#define SW_WRONG_P1P2       0x6A86
#define SW_REF_NOT_FOUND    0x6A88
#define SW_INS_UNKNOWN      0x6D00
#define SW_CLA_UNKNOWN      0x6E00
#define SW_MEMORY_FAILURE   0x6581
#define SW_UNKNOWN          0x6F00

/* PIV algorithm identifiers (SP 800-78-4). */
#define ALG_3DES        0x03
#define ALG_RSA1024     0x06
#define ALG_RSA2048     0x07
#define ALG_RSA3072     0x05
#define ALG_RSA4096     0x16
#define ALG_AES128      0x08
#define ALG_AES192      0x0A
#define ALG_AES256      0x0C
#define ALG_ECCP256     0x11
#define ALG_ECCP384     0x14

/* PIN policy values as Yubico-compatible tools write and read them. */
#define PINPOL_DEFAULT  0
#define PINPOL_NEVER    1
#define PINPOL_ONCE     2
#define PINPOL_ALWAYS   3

#define ORIGIN_GENERATED 1
#define ORIGIN_IMPORTED  2

#define KEY_REF_PIN     0x80
#define KEY_REF_PUK     0x81
#define KEY_REF_MGMT    0x9B

/* Object tags used by name. */
#define TAG_CHUID       0x5FC102u
#define TAG_CERT_9A     0x5FC105u
#define TAG_CERT_9C     0x5FC10Au
#define TAG_CERT_9D     0x5FC10Bu
#define TAG_CERT_9E     0x5FC101u
#define TAG_PRINTED     0x5FC109u
#define TAG_KEY_HISTORY 0x5FC10Cu
#define TAG_DISCOVERY   0x7Eu
/* Care Identity vendor objects.  5FFF00-5FFF15 are already used by
 * Yubico-compatible tools (admin data, attestation, Microsoft maps), so the
 * Care Identity ones start at 5FFF20. */
#define TAG_CI_LIFECYCLE 0x5FFF20u
#define TAG_CI_ISSUER    0x5FFF21u

/* A bounded output buffer with a sticky overflow flag. */
struct vc_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool err;
};

void vc_buf_init(struct vc_buf *b, uint8_t *mem, size_t cap);
void vc_buf_put(struct vc_buf *b, const void *v, size_t n);
void vc_buf_byte(struct vc_buf *b, uint8_t v);
/* BER-TLV helpers (tlv.c). */
void tlv_put_tag(struct vc_buf *b, uint32_t tag);
void tlv_put_len(struct vc_buf *b, size_t len);
void tlv_put(struct vc_buf *b, uint32_t tag, const void *v, size_t n);
/* Reads one TLV at *p (bounded by end); advances *p.  Returns 0 or -1. */
int tlv_next(const uint8_t **p, const uint8_t *end, uint32_t *tag,
	     const uint8_t **val, size_t *len);
/* Finds tag among the TLVs of one level.  Returns 0 or -1. */
int tlv_find(const uint8_t *p, size_t n, uint32_t tag, const uint8_t **val, size_t *len);

/* A PIN or PUK: only a salted hash is kept (the state file is the chip). */
struct vc_secret {
	uint8_t salt[16];
	uint8_t hash[32];
	uint8_t tries;
	bool is_default;
};

struct vc_key {
	uint8_t slot;           /* 0 when unused */
	uint8_t alg;
	uint8_t pin_policy;
	uint8_t origin;
	EVP_PKEY *pkey;
};

struct vc_obj {
	uint32_t tag;           /* 0 when unused */
	size_t len;
	uint8_t *data;          /* content of the 53 template */
};

struct vc_state {
	const char *path;
	uint32_t serial;
	char uuid[13];
	struct vc_secret pin;
	struct vc_secret puk;
	uint8_t mgmt_alg;
	uint8_t mgmt_key[32];
	size_t mgmt_len;
	bool mgmt_default;
	struct vc_key keys[VC_MAX_KEYS];
	struct vc_obj objs[VC_MAX_OBJS];
};

struct vc_session {
	bool pin_ok;
	/* PIN verified since the last use of a PIN-always key. */
	bool pin_fresh;
	bool mgmt_ok;
	/* Management-key challenge in flight: 0 none, 1 witness, 2 challenge. */
	uint8_t mgmt_step;
	uint8_t mgmt_nonce[16];
	size_t mgmt_nonce_len;
};

struct vc_card {
	struct vc_state st;
	struct vc_session ss;
	/* Command chaining. */
	bool chain_on;
	uint8_t chain_ins, chain_p1, chain_p2;
	size_t chain_len;
	uint8_t chain[VC_CMD_MAX];
	/* Response bytes still to be fetched with GET RESPONSE. */
	size_t pend_off, pend_len;
	uint8_t pend[VC_RESP_MAX];
	/* Accounting and tracing. */
	unsigned long apdu_count;
	FILE *apdu_log;
	const char *count_file;
};

/* A parsed command. */
struct vc_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	size_t ne;              /* 0 when no Le */
	bool extended;
};

/* state.c */
void vc_state_init(struct vc_state *st, const char *path);
void vc_state_free(struct vc_state *st);
/* 1 loaded, 0 no such file, -1 error (reported on stderr). */
int vc_state_load(struct vc_state *st);
/* Atomic replace with fsync.  0 or -1. */
int vc_state_save(const struct vc_state *st);
struct vc_key *vc_key_get(struct vc_state *st, uint8_t slot);
struct vc_key *vc_key_slot(struct vc_state *st, uint8_t slot);
const struct vc_obj *vc_obj_get(const struct vc_state *st, uint32_t tag);
/* Stores a copy; n == 0 deletes.  0, or -1 when full. */
int vc_obj_set(struct vc_state *st, uint32_t tag, const uint8_t *v, size_t n);
/* Sets a PIN/PUK from its 8-byte padded form; fresh salt. 0 or -1. */
int vc_secret_set(struct vc_secret *s, const uint8_t padded[8]);
/* Constant-time comparison of a padded candidate with the stored hash. */
bool vc_secret_matches(const struct vc_secret *s, const uint8_t padded[8]);
/* 6-8 ASCII digits followed by FF up to 8 bytes. */
bool vc_pin_block_valid(const uint8_t padded[8]);
/* Pads digits with FF; false when the text is not 6-8 digits. */
bool vc_pin_block_from_text(const char *text, uint8_t padded[8]);

/* fresh_card.c */
struct vc_fresh_opts {
	const char *pin;
	const char *puk;
	const char *uuid;
	const uint8_t *mgmt_key;
	size_t mgmt_len;
	uint8_t mgmt_alg;
	uint32_t serial;
	bool compress_certs;   /* store certificates gzip-compressed (CertInfo 01) */
};
int vc_fresh_card(struct vc_state *st, const struct vc_fresh_opts *o);
/* Card-certificate object content for a DER certificate (70/71/FE),
 * gzip-compressed with CertInfo 01 when compress is set. */
int vc_cert_object(struct vc_state *st, uint32_t tag, const uint8_t *der, size_t n, bool compress);

/* apdu.c */
void vc_card_init(struct vc_card *c);
void vc_card_reset(struct vc_card *c);
/* Serves one command APDU; writes the response APDU (data + SW) to out. */
void vc_card_process(struct vc_card *c, const uint8_t *in, size_t n, struct vc_buf *out);
void vc_card_note(struct vc_card *c, const char *event);

/* piv_app.c: the instruction dispatcher and PIN handling. */
uint16_t piv_dispatch(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r);
size_t piv_aid(const uint8_t **aid);

/* piv_data.c */
uint16_t piv_get_data(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r);
uint16_t piv_put_data(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r);

/* piv_keys.c */
uint16_t piv_generate(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r);
uint16_t piv_general_auth(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r);
/* Public key as 7F49 content TLVs (81/82 or 86). */
void piv_public_tlvs(EVP_PKEY *pkey, struct vc_buf *r);
bool piv_alg_is_asym(uint8_t alg);
EVP_PKEY *piv_keygen(uint8_t alg);
uint8_t piv_alg_of(EVP_PKEY *pkey);
uint8_t piv_default_pin_policy(uint8_t slot);

/* piv_auth.c: management key (9B). */
uint16_t piv_mgmt_auth(struct vc_card *c, uint8_t alg, const uint8_t *dyn, size_t n,
		       struct vc_buf *r);
size_t piv_mgmt_key_len(uint8_t alg);

/* yk_ext.c */
uint16_t yk_dispatch(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r, bool *handled);

/* Bytes the card's ATR is made of. */
size_t vc_atr(const uint8_t **atr);

#endif
