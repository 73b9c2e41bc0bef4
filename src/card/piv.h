/* The PIV card application (NIST SP 800-73-4 part 2) as commands over a
 * cid_card_io: one function per card command, plus the parsing of the few
 * card structures the token needs.  Status words become CK_RV through
 * card/sw.h; passcode-related commands also report the tries left. */
#ifndef CAREID_CARD_PIV_H
#define CAREID_CARD_PIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/io.h"
#include "pkcs11.h"

/* Key references. */
#define CID_PIV_KEY_AUTH     0x9A
#define CID_PIV_KEY_MGMT     0x9B
#define CID_PIV_KEY_SIGN     0x9C
#define CID_PIV_KEY_KM       0x9D
#define CID_PIV_KEY_CARDAUTH 0x9E
#define CID_PIV_REF_PIN      0x80
#define CID_PIV_REF_PUK      0x81

/* Algorithm identifiers. */
#define CID_PIV_ALG_3DES     0x03
#define CID_PIV_ALG_RSA1024  0x06
#define CID_PIV_ALG_RSA2048  0x07
#define CID_PIV_ALG_RSA3072  0x05
#define CID_PIV_ALG_RSA4096  0x16
#define CID_PIV_ALG_AES128   0x08
#define CID_PIV_ALG_AES192   0x0A
#define CID_PIV_ALG_AES256   0x0C
#define CID_PIV_ALG_P256     0x11
#define CID_PIV_ALG_P384     0x14

/* Data object tags. */
#define CID_PIV_OBJ_CHUID    0x5FC102
#define CID_PIV_OBJ_CERT_9A  0x5FC105
#define CID_PIV_OBJ_CERT_9C  0x5FC10A
#define CID_PIV_OBJ_CERT_9D  0x5FC10B
#define CID_PIV_OBJ_CERT_9E  0x5FC101
#define CID_PIV_OBJ_DISCOVERY 0x7E

/* Largest data object read or written (a certificate with its wrapper). */
#define CID_PIV_MAX_OBJECT   (12 * 1024)
#define CID_PIV_PIN_BLOCK    8

/* Tries left when the card did not say. */
#define CID_PIV_TRIES_UNKNOWN (-1)

typedef struct cid_piv_app {
	char label[33];          /* application label (tag 50), may be empty */
} cid_piv_app;

/* SELECT the PIV application.  CKR_TOKEN_NOT_RECOGNIZED when the card has
 * none (or answers nonsense). */
CK_RV cid_piv_select(cid_card_io *io, cid_piv_app *app);

/* GET DATA: the value inside the 53 wrapper (7E for discovery), allocated.
 * CKR_OBJECT_HANDLE_INVALID when the card has no such object (6A82). */
CK_RV cid_piv_get_data(cid_card_io *io, uint32_t tag, uint8_t **val, size_t *len);
/* PUT DATA of content as the value of 53 (len 0 deletes the object). */
CK_RV cid_piv_put_data(cid_card_io *io, uint32_t tag, const uint8_t *content, size_t len);

/* VERIFY ref (80 PIN).  pin NULL: ask the state without spending a try
 * (CKR_OK when verified, else CKR_USER_NOT_LOGGED_IN with the tries left,
 * or CKR_PIN_LOCKED).  *tries gets 63Cx's x, 0 when blocked, else
 * CID_PIV_TRIES_UNKNOWN.  pin of 1-8 bytes, FF-padded here. */
CK_RV cid_piv_verify(cid_card_io *io, uint8_t ref, const uint8_t *pin, size_t len, int *tries);
/* VERIFY with P1 FF: drops the PIN verification. */
CK_RV cid_piv_logout(cid_card_io *io);
/* CHANGE REFERENCE DATA for ref 80 (PIN) or 81 (PUK). */
CK_RV cid_piv_change_ref(cid_card_io *io, uint8_t ref, const uint8_t *old, size_t oldlen,
                         const uint8_t *neu, size_t newlen, int *tries);
/* RESET RETRY COUNTER: unblocks the PIN with the PUK; *tries concerns the PUK. */
CK_RV cid_piv_reset_retry(cid_card_io *io, const uint8_t *puk, size_t puklen, const uint8_t *pin,
                          size_t pinlen, int *tries);

/* GENERAL AUTHENTICATE with one input under in_tag (81 challenge, 85
 * exponentiation) and the 82 response copied to out (capacity *outlen).
 * *sw gets the card's status word so callers can react to 6982. */
CK_RV cid_piv_general_auth(cid_card_io *io, uint8_t alg, uint8_t key, uint8_t in_tag, const uint8_t *in,
                           size_t inlen, uint8_t *out, size_t *outlen, uint16_t *sw);
/* GENERAL AUTHENTICATE with a caller-built dynamic template (dyn is the
 * whole 7C element); the raw answer in resp.  secret keeps dyn out of
 * traces. */
CK_RV cid_piv_ga_raw(cid_card_io *io, uint8_t alg, uint8_t key, const uint8_t *dyn, size_t dynlen,
                     bool secret, uint8_t *resp, size_t cap, size_t *rl, uint16_t *sw);
/* Card management key mutual authentication (key 9B).  alg 0: ask the card
 * (GET METADATA) and fall back on the key length (24: 3DES). */
CK_RV cid_piv_mgmt_auth(cid_card_io *io, uint8_t alg, const uint8_t *key, size_t keylen);
/* GENERATE ASYMMETRIC KEY PAIR: the value of the 7F49 template, allocated. */
CK_RV cid_piv_generate(cid_card_io *io, uint8_t key, uint8_t alg, uint8_t **pub, size_t *len);

/* Vendor extensions many PIV cards offer.  CKR_FUNCTION_NOT_SUPPORTED when
 * the card does not know them. */
CK_RV cid_piv_get_serial(cid_card_io *io, uint32_t *serial);
CK_RV cid_piv_get_version(cid_card_io *io, uint8_t v[3]);
/* GET METADATA of a key or passcode reference: the raw TLV list. */
CK_RV cid_piv_metadata(cid_card_io *io, uint8_t ref, uint8_t *out, size_t cap, size_t *len);

/* ---- structures (card/piv_parse.c) ---- */

/* A certificate object's certificate, allocated (the caller frees it);
 * a compressed one (CertInfo 01, gzip) comes back decompressed.
 * CKR_DATA_INVALID when malformed or not decompressible;
 * CKR_OBJECT_HANDLE_INVALID when the object holds no certificate. */
CK_RV cid_piv_cert_der(const uint8_t *obj, size_t len, uint8_t **der, size_t *derlen);
/* Builds a certificate object's value (70 der, 71 00, FE 00), allocated. */
CK_RV cid_piv_cert_wrap(const uint8_t *der, size_t derlen, uint8_t **obj, size_t *len);
/* The CHUID's 16-byte GUID (tag 34).  CKR_DATA_INVALID when absent. */
CK_RV cid_piv_chuid_guid(const uint8_t *chuid, size_t len, uint8_t guid[16]);
/* ECDSA DER SEQUENCE { r, s } to r||s, each fb bytes. */
CK_RV cid_piv_ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t fb, uint8_t *out);

/* Key reference <-> certificate object, and the 1-byte CKA_ID used for it
 * (01 9A, 02 9C, 03 9D, 04 9E, as other PIV modules number them). */
uint32_t cid_piv_cert_tag(uint8_t key);
uint8_t cid_piv_key_from_id(uint8_t id);
uint8_t cid_piv_id_from_key(uint8_t key);

#endif
