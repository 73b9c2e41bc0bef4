/* PIV objects (src/card/piv.c, piv_parse.c, piv_mgmt.c, piv_model.c):
 * the CHUID, the discovery object, certificate containers, key metadata,
 * generated-key templates and ECDSA signatures, both parsed directly and
 * as a card's answers to the PIV commands (through fuzz_io.h).
 *
 * Input: a mode byte, a parameter byte, then the object (direct modes) or
 * the card's responses (card modes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card/card_int.h"
#include "card/piv.h"
#include "card/sw.h"
#include "card/tlv.h"
#include "common/attrs.h"
#include "fuzz_io.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static const uint8_t keys[] = { CID_PIV_KEY_AUTH, CID_PIV_KEY_SIGN, CID_PIV_KEY_KM, CID_PIV_KEY_CARDAUTH };
static const uint8_t algs[] = { CID_PIV_ALG_RSA2048, CID_PIV_ALG_RSA3072, CID_PIV_ALG_RSA4096,
	                        CID_PIV_ALG_P256, CID_PIV_ALG_P384, CID_PIV_ALG_RSA1024 };

/* The three object sets the front is shown for a key the card holds. */
static void model(const card_key *k)
{
	cid_attrs a;

	cid_attrs_init(&a);
	if (k->cert != NULL)
		FUZZ_CHECK(card_model_cert(k, &a) == CKR_OK);
	cid_attrs_clear(&a);
	FUZZ_CHECK(card_model_pub(k, &a) == CKR_OK);
	FUZZ_CHECK(cid_attrs_get(&a, CKA_KEY_TYPE) != NULL);
	cid_attrs_clear(&a);
	FUZZ_CHECK(card_model_priv(k, &a) == CKR_OK);
	cid_attrs_clear(&a);
}

static void cert_der(const uint8_t *key_ref, const uint8_t *obj, size_t len)
{
	uint8_t *der = NULL;
	size_t dl = 0;
	CK_RV rv = cid_piv_cert_der(obj, len, &der, &dl);

	FUZZ_CHECK(rv == CKR_OK || rv == CKR_DATA_INVALID || rv == CKR_OBJECT_HANDLE_INVALID ||
	           rv == CKR_HOST_MEMORY);
	if (rv == CKR_OK) {
		card_key k;
		char uuid[13];

		FUZZ_CHECK(der != NULL && dl > 0);
		memset(&k, 0, sizeof(k));
		k.ref = *key_ref;
		if (card_key_from_cert(&k, der, dl) == CKR_OK) {
			FUZZ_CHECK(k.present && k.cert != NULL && k.certlen == dl);
			model(&k);
		}
		card_key_clear(&k);
		card_cert_uuid(der, dl, uuid);
		FUZZ_CHECK(strlen(uuid) == 0 || strlen(uuid) == 12);
	}
	free(der);
}

static void generated(uint8_t key, uint8_t alg, const uint8_t *tmpl, size_t len)
{
	card_key k;

	memset(&k, 0, sizeof(k));
	k.ref = key;
	if (card_key_from_generated(&k, alg, tmpl, len) == CKR_OK) {
		FUZZ_CHECK(k.present && k.generated && k.bits > 0);
		model(&k);
	}
	card_key_clear(&k);
}

static void direct(uint8_t mode, uint8_t param, const uint8_t *obj, size_t len)
{
	uint8_t guid[16], raw[2 * 66];
	uint8_t key = keys[param % sizeof(keys)];

	switch (mode) {
	case 0:
		(void)cid_piv_chuid_guid(obj, len, guid);
		break;
	case 1:
		cert_der(&key, obj, len);
		break;
	case 2:
		generated(key, algs[(param >> 2) % sizeof(algs)], obj, len);
		break;
	default: {
		size_t fb = param & 1 ? 48 : 32;

		if (cid_piv_ecdsa_der_to_raw(obj, len, fb, raw) == CKR_OK)
			FUZZ_CHECK(fb <= sizeof(raw) / 2);
		break;
	}
	}
}

static void get_data(fuzz_io *f, uint32_t tag, uint8_t key)
{
	uint8_t *val = NULL, guid[16];
	size_t len = 0;
	CK_RV rv = cid_piv_get_data(&f->base, tag, &val, &len);

	if (rv != CKR_OK) {
		FUZZ_CHECK(val == NULL && len == 0);
		return;
	}
	FUZZ_CHECK(len <= CID_PIV_MAX_OBJECT + 16);
	if (tag == CID_PIV_OBJ_CHUID)
		(void)cid_piv_chuid_guid(val, len, guid);
	else if (tag != CID_PIV_OBJ_DISCOVERY)
		cert_der(&key, val, len);
	free(val);
}

static void card(uint8_t mode, uint8_t param, fuzz_io *f)
{
	static const uint8_t pin[] = "123456", puk[] = "12345678";
	static const uint8_t mgmt24[24] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t key = keys[param % sizeof(keys)], out[1024], challenge[32], meta[256], *pub = NULL, v[3];
	size_t outlen, ml = 0, pl = 0;
	uint32_t serial;
	uint16_t sw = 0;
	cid_piv_app app;
	int tries = 0;

	switch (mode) {
	case 4: {
		CK_RV rv = cid_piv_select(&f->base, &app);

		FUZZ_CHECK(memchr(app.label, '\0', sizeof(app.label)) != NULL);
		(void)rv;
		break;
	}
	case 5:
		get_data(f, CID_PIV_OBJ_CHUID, key);
		break;
	case 6:
		get_data(f, CID_PIV_OBJ_DISCOVERY, key);
		break;
	case 7:
		get_data(f, cid_piv_cert_tag(key), key);
		break;
	case 8: {
		uint8_t alg = algs[(param >> 2) % sizeof(algs)];

		if (cid_piv_generate(&f->base, key, alg, &pub, &pl) == CKR_OK)
			generated(key, alg, pub, pl);
		free(pub);
		break;
	}
	case 9:
		/* alg 0: the card's metadata names the algorithm. */
		(void)cid_piv_mgmt_auth(&f->base, param & 1 ? 0 : CID_PIV_ALG_3DES, mgmt24, sizeof(mgmt24));
		break;
	case 10:
		if (cid_piv_metadata(&f->base, key, meta, param & 1 ? sizeof(meta) : 8, &ml) == CKR_OK)
			FUZZ_CHECK(ml <= sizeof(meta));
		break;
	case 11:
		(void)cid_piv_verify(&f->base, CID_PIV_REF_PIN, param & 1 ? pin : NULL, 6, &tries);
		FUZZ_CHECK(tries >= CID_PIV_TRIES_UNKNOWN && tries <= 15);
		(void)cid_piv_change_ref(&f->base, CID_PIV_REF_PIN, pin, 6, pin, 6, &tries);
		(void)cid_piv_reset_retry(&f->base, puk, 8, pin, 6, &tries);
		(void)cid_piv_logout(&f->base);
		break;
	case 12:
		outlen = (size_t)(param & 0x7f) * 8;
		memset(challenge, 0x5A, sizeof(challenge));
		if (cid_piv_general_auth(&f->base, CID_PIV_ALG_P256, key, 0x81, challenge, sizeof(challenge), out,
		                         &outlen, &sw) == CKR_OK)
			FUZZ_CHECK(outlen <= (size_t)(param & 0x7f) * 8);
		break;
	default:
		(void)cid_piv_get_serial(&f->base, &serial);
		(void)cid_piv_get_version(&f->base, v);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode, param, *obj;
	fuzz_io f;

	if (size < 2)
		return 0;
	mode = data[0] % 14;
	param = data[1];
	if (mode < 4) {
		/* A heap copy of exactly the object, so ASan sees reads past it. */
		obj = malloc(size - 2 ? size - 2 : 1);
		if (obj == NULL)
			return 0;
		memcpy(obj, data + 2, size - 2);
		direct(mode, param, obj, size - 2);
		free(obj);
		return 0;
	}
	fuzz_io_init(&f, data + 2, size - 2);
	card(mode, param, &f);
	fuzz_io_done(&f);
	return 0;
}
