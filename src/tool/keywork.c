/* What the procedures that write keys, certificates and records onto a
 * token share (issue.c, procedures.c): PKCS#11 calls with their errors
 * worded once, P-256 key pairs made on the token with the public key read
 * back as the issuer needs it, certificates and the signed lifecycle
 * record stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "careid/careid.h"
#include "tool/keywork.h"
#include "tool/register.h"

/* SubjectPublicKeyInfo of a P-256 key, up to the point (RFC 5480). */
/* (91 bytes in all: tool_key.spki.) */
static const uint8_t p256_spki_head[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};
static const uint8_t p256_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

int tool_ck(tool_ctx *ctx, const char *what, CK_RV rv)
{
	if (rv == CKR_OK)
		return EXIT_DONE;
	tool_error("%s failed on token %s: %s", what, ctx->label, tool_rv_name(rv));
	return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED ? EXIT_AUTH
	       : rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID ? EXIT_REFUSED : EXIT_OTHER;
}

int tool_keypair(tool_ctx *ctx, CK_SESSION_HANDLE s, CK_BYTE id, const char *label, tool_key *k)
{
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE pub[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },      { CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) }, { CKA_ID, &id, 1 },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },     { CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) }, { CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },      { CKA_ID, &id, 1 },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	uint8_t point[80];
	CK_ATTRIBUTE pt = { CKA_EC_POINT, point, sizeof(point) };
	int rc = tool_ck(ctx, "key pair generation",
	            ctx->f->C_GenerateKeyPair(s, &mech, pub, 5, priv, 7, &k->pub, &k->priv));

	if (rc == 0)
		rc = tool_ck(ctx, "reading the public key", ctx->f->C_GetAttributeValue(s, k->pub, &pt, 1));
	/* CKA_EC_POINT is the DER OCTET STRING of the uncompressed point. */
	if (rc == 0 && (pt.ulValueLen != 67 || point[0] != 0x04 || point[1] != 65 || point[2] != 0x04)) {
		tool_error("token %s: unexpected public key encoding", ctx->label);
		rc = EXIT_OTHER;
	}
	if (rc == 0) {
		_Static_assert(sizeof(p256_spki_head) + 65 == sizeof(k->spki), "SPKI size");
		memcpy(k->spki, p256_spki_head, sizeof(p256_spki_head));
		memcpy(k->spki + sizeof(p256_spki_head), point + 2, 65);
	}
	return rc;
}

int tool_store_cert(tool_ctx *ctx, CK_SESSION_HANDLE s, CK_BYTE id, const char *label, const tool_issued *c)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },   { CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
		{ CKA_TOKEN, &yes, sizeof(yes) },   { CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_ID, &id, 1 },                 { CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_VALUE, c->der, c->der_len },
	};

	return tool_ck(ctx, "storing a certificate", ctx->f->C_CreateObject(s, t, 7, &h));
}

int tool_write_record(tool_ctx *ctx, CK_SESSION_HANDLE s, const tool_issuer *iss, cid_lifecycle *r)
{
	CK_OBJECT_CLASS cls = CKO_CAREID_LIFECYCLE;
	uint8_t *b = NULL, *sig = NULL;
	size_t n = 0, slen = 0;
	CK_OBJECT_HANDLE h;
	int rc = EXIT_OTHER;

	/* The record made here must be newer than any the issuer signed
	 * before for the token, a restored copy's included. */
	if (tool_register_raise(r) != 0)
		return EXIT_OTHER;
	if (cid_lifecycle_encode(r, &b, &n) != CKR_OK)
		tool_error("the lifecycle record cannot be encoded");
	else if (tool_issuer_sign(iss, b, n, &sig, &slen) != TOOL_ISSUER_OK)
		tool_error("the issuer could not sign the lifecycle record");
	else {
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_VALUE, b, n },
			{ CKA_CAREID_RECORD_SIGNATURE, sig, slen },
		};
		rc = tool_ck(ctx, "writing the lifecycle record", ctx->f->C_CreateObject(s, t, 3, &h));
		if (rc == 0)
			rc = tool_register_note(r);
	}
	free(b);
	free(sig);
	return rc;
}


int tool_new_pair(tool_ctx *ctx, CK_SESSION_HANDLE s, const tool_issuer *iss, const char *uuid, CK_BYTE a, CK_BYTE b,
                  time_t now, tool_issued out[2])
{
	tool_key keys[2];
	tool_issuer_why why;
	tool_issuer_status st;
	int rc = tool_keypair(ctx, s, a, "Authentication", &keys[0]);

	memset(out, 0, 2 * sizeof(*out));
	if (rc == 0)
		rc = tool_keypair(ctx, s, b, "Signature", &keys[1]);
	if (rc == 0) {
		st = tool_issuer_issue_pair(iss, keys[0].spki, sizeof(keys[0].spki), keys[1].spki, sizeof(keys[1].spki),
		                            uuid, now, out, &why);
		if (st != TOOL_ISSUER_OK) {
			tool_error("%s", why.text);
			rc = tool_issuer_exit(st);
		}
	}
	if (rc == 0)
		rc = tool_store_cert(ctx, s, a, "Authentication", &out[0]);
	if (rc == 0)
		rc = tool_store_cert(ctx, s, b, "Signature", &out[1]);
	return rc;
}
