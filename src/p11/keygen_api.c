/* Key generation, derivation and (the absence of) wrapping.
 *
 * Offered: RSA, NIST P-256/P-384 and Ed25519 key pairs; ECDH1 derivation of
 * generic secrets.  Not offered, by design:
 * - C_GenerateKey: no secret-key generation mechanism exists on a Care
 *   Identity card (its keys are asymmetric), so every mechanism is
 *   CKR_MECHANISM_INVALID.
 * - C_WrapKey/C_UnwrapKey: CKR_FUNCTION_NOT_SUPPORTED.  There is no wrapping
 *   mechanism, and private keys never leave the card in any form. */
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "p11/internal.h"
#include "p11/op_util.h"

/* Attributes of the public half that belong on the private half too (the
 * spec gives private keys CKA_EC_PARAMS; the rules decide the rest). */
static const CK_ATTRIBUTE_TYPE shared_public[] = { CKA_EC_PARAMS, CKA_MODULUS_BITS, CKA_EC_POINT };

/* Only what the session's token lists (a card generates no Ed25519 keys). */
static CK_RV check_mech(const cid_session *s, const CK_MECHANISM *m, CK_FLAGS flag)
{
	const cid_mech_desc *d = cid_mech_find(m->mechanism);
	CK_MECHANISM_INFO info;

	if (d == NULL || !cid_tok_mechanism(s->slot->prov, d, &info) || !(info.flags & flag)) {
		CID_INFO("mechanism 0x%lx not available for this call on this token", m->mechanism);
		return CKR_MECHANISM_INVALID;
	}
	return CKR_OK;
}

/* CKM_ECDSA_KEY_PAIR_GEN is the old name of CKM_EC_KEY_PAIR_GEN (same
 * value), so it needs no case of its own. */
static CK_KEY_TYPE pair_key_type(CK_MECHANISM_TYPE mech)
{
	switch (mech) {
	case CKM_RSA_PKCS_KEY_PAIR_GEN: return CKK_RSA;
	case CKM_EC_KEY_PAIR_GEN: return CKK_EC;
	case CKM_EC_EDWARDS_KEY_PAIR_GEN: return CKK_EC_EDWARDS;
	default: return (CK_KEY_TYPE)-1;
	}
}

/* A caller's CKA_CLASS / CKA_KEY_TYPE must agree with what is made. */
static CK_RV tmpl_expect(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, CK_ULONG want)
{
	const CK_ATTRIBUTE *a = cid_tmpl_find(t, n, type);
	if (a == NULL)
		return CKR_OK;
	CK_ULONG v;
	if (a->pValue == NULL || a->ulValueLen != sizeof(v))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(&v, a->pValue, sizeof(v));
	if (v != want) {
		CID_INFO("template attribute 0x%lx is %lu, expected %lu", type, v, want);
		return CKR_TEMPLATE_INCONSISTENT;
	}
	return CKR_OK;
}

/* Both templates may restate, but not contradict, the class and key type
 * of the pair being made. */
static CK_RV pair_templates_agree(CK_KEY_TYPE kt, const CK_ATTRIBUTE *pt, CK_ULONG pn,
                                  const CK_ATTRIBUTE *vt, CK_ULONG vn)
{
	CK_RV rv = tmpl_expect(pt, pn, CKA_CLASS, CKO_PUBLIC_KEY);
	if (rv == CKR_OK)
		rv = tmpl_expect(pt, pn, CKA_KEY_TYPE, kt);
	if (rv == CKR_OK)
		rv = tmpl_expect(vt, vn, CKA_CLASS, CKO_PRIVATE_KEY);
	if (rv == CKR_OK)
		rv = tmpl_expect(vt, vn, CKA_KEY_TYPE, kt);
	return rv;
}

static CK_RV tmpl_check_args(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	if (t == NULL && n != 0)
		return CKR_ARGUMENTS_BAD;
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].pValue == NULL && t[i].ulValueLen != 0)
			return CKR_ARGUMENTS_BAD;
	return CKR_OK;
}

static CK_RV add_common(cid_attrs *a, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, CK_MECHANISM_TYPE mech)
{
	CK_RV rv = cid_attrs_set_ulong(a, CKA_CLASS, cls);
	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(a, CKA_KEY_TYPE, kt);
	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(a, CKA_KEY_GEN_MECHANISM, mech);
	return rv;
}

/* Runs the generator for key type kt with the public template's
 * parameters, and adds those parameters to the public key. */
static CK_RV generate(CK_KEY_TYPE kt, const CK_ATTRIBUTE *pt, CK_ULONG pn, cid_attrs *pub,
                      cid_attrs *priv)
{
	CK_RV rv;
	if (kt == CKK_RSA) {
		const CK_ATTRIBUTE *a = cid_tmpl_find(pt, pn, CKA_MODULUS_BITS);
		CK_ULONG bits;
		if (a == NULL) {
			CID_INFO("RSA key pair without CKA_MODULUS_BITS");
			return CKR_TEMPLATE_INCOMPLETE;
		}
		if (a->pValue == NULL || a->ulValueLen != sizeof(bits))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		memcpy(&bits, a->pValue, sizeof(bits));
		const CK_ATTRIBUTE *e = cid_tmpl_find(pt, pn, CKA_PUBLIC_EXPONENT);
		rv = cid_keygen_rsa(bits, e ? e->pValue : NULL, e ? e->ulValueLen : 0, pub, priv);
		if (rv == CKR_OK)
			rv = cid_attrs_set_ulong(pub, CKA_MODULUS_BITS, bits);
		return rv;
	}
	const CK_ATTRIBUTE *a = cid_tmpl_find(pt, pn, CKA_EC_PARAMS);
	CK_ULONG bits;
	if (a == NULL) {
		CID_INFO("EC key pair without CKA_EC_PARAMS");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	rv = cid_ec_params_bits(kt, a->pValue, a->ulValueLen, &bits);
	if (rv != CKR_OK) {
		CID_INFO("CKA_EC_PARAMS refused: rv 0x%lx", rv);
		return rv;
	}
	rv = kt == CKK_EC ? cid_keygen_ec(a->pValue, a->ulValueLen, pub, priv)
	                  : cid_keygen_ed25519(a->pValue, a->ulValueLen, pub, priv);
	if (rv == CKR_OK)
		rv = cid_attrs_set(pub, CKA_EC_PARAMS, a->pValue, a->ulValueLen);
	return rv;
}

static CK_RV make_pair_attrs(CK_MECHANISM_TYPE mech, const CK_ATTRIBUTE *pt, CK_ULONG pn,
                             const CK_ATTRIBUTE *vt, CK_ULONG vn, cid_attrs *pub, cid_attrs *priv)
{
	CK_KEY_TYPE kt = pair_key_type(mech);
	if (kt == (CK_KEY_TYPE)-1) {
		CID_INFO("mechanism 0x%lx generates no key pair here", mech);
		return CKR_MECHANISM_INVALID;
	}
	/* Template conflicts first: generating RSA-4096 takes seconds. */
	CK_RV rv = pair_templates_agree(kt, pt, pn, vt, vn);
	if (rv == CKR_OK)
		rv = generate(kt, pt, pn, pub, priv);
	for (size_t i = 0; rv == CKR_OK && i < sizeof(shared_public) / sizeof(shared_public[0]); i++) {
		const CK_ATTRIBUTE *a = cid_attrs_get(pub, shared_public[i]);
		if (a != NULL && cid_attrs_get(priv, a->type) == NULL &&
		    cid_rules_known(CKO_PRIVATE_KEY, a->type))
			rv = cid_attrs_set(priv, a->type, a->pValue, a->ulValueLen);
	}
	if (rv == CKR_OK)
		rv = add_common(pub, CKO_PUBLIC_KEY, kt, mech);
	if (rv == CKR_OK)
		rv = add_common(priv, CKO_PRIVATE_KEY, kt, mech);
	return rv;
}

/* A token that generates its own keys (a card) gets the pair's attributes
 * without material; its keys are token objects, and its private key never
 * leaves it, whatever the template asks. */
static CK_RV keypair_on_token(cid_session *s, const CK_MECHANISM *m, const CK_ATTRIBUTE *pt,
                              CK_ULONG pn, const CK_ATTRIBUTE *vt, CK_ULONG vn,
                              CK_OBJECT_HANDLE *hpub, CK_OBJECT_HANDLE *hpriv)
{
	CK_KEY_TYPE kt = pair_key_type(m->mechanism);
	cid_attrs pub = CID_ATTRS_INIT, priv = CID_ATTRS_INIT;
	CK_RV rv;

	if (kt == (CK_KEY_TYPE)-1)
		return CKR_MECHANISM_INVALID;
	rv = pair_templates_agree(kt, pt, pn, vt, vn);
	if (rv == CKR_OK)
		rv = add_common(&pub, CKO_PUBLIC_KEY, kt, m->mechanism);
	if (rv == CKR_OK)
		rv = add_common(&priv, CKO_PRIVATE_KEY, kt, m->mechanism);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(&pub, CKA_TOKEN, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(&priv, CKA_TOKEN, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(&priv, CKA_SENSITIVE, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(&priv, CKA_EXTRACTABLE, false);
	if (rv == CKR_OK)
		rv = cid_obj_new_token_pair(s, m->mechanism, pt, pn, &pub, vt, vn, &priv, hpub, hpriv);
	cid_attrs_clear(&pub);
	cid_attrs_clear(&priv);
	return rv;
}

static CK_RV keypair_locked(cid_session *s, const CK_MECHANISM *m, const CK_ATTRIBUTE *pt,
                            CK_ULONG pn, const CK_ATTRIBUTE *vt, CK_ULONG vn,
                            CK_OBJECT_HANDLE *hpub, CK_OBJECT_HANDLE *hpriv)
{
	CK_RV rv = check_mech(s, m, CKF_GENERATE_KEY_PAIR);
	if (rv != CKR_OK)
		return rv;
	if (m->ulParameterLen != 0) {
		CID_INFO("key pair generation takes no mechanism parameter");
		return CKR_MECHANISM_PARAM_INVALID;
	}
	if (cid_slot_generates_keys(s->slot))
		return keypair_on_token(s, m, pt, pn, vt, vn, hpub, hpriv);
	cid_attrs pub = CID_ATTRS_INIT, priv = CID_ATTRS_INIT;
	CK_OBJECT_HANDLE p = CK_INVALID_HANDLE, v = CK_INVALID_HANDLE;
	rv = make_pair_attrs(m->mechanism, pt, pn, vt, vn, &pub, &priv);
	if (rv == CKR_OK)
		rv = cid_obj_new(s, CID_ORIGIN_GENERATE, pt, pn, &pub, &p);
	if (rv == CKR_OK) {
		rv = cid_obj_new(s, CID_ORIGIN_GENERATE, vt, vn, &priv, &v);
		/* No half pairs: the public key goes when its private one fails. */
		if (rv != CKR_OK && cid_obj_destroy(s, p) != CKR_OK)
			CID_WARN("could not remove public key 0x%lx of a failed pair", p);
	}
	cid_attrs_clear(&pub);
	cid_attrs_clear(&priv);
	if (rv != CKR_OK) {
		CID_DEBUG("key pair generation with 0x%lx failed: rv 0x%lx", m->mechanism, rv);
		return rv;
	}
	*hpub = p;
	*hpriv = v;
	return CKR_OK;
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt,
                        CK_ULONG pn, CK_ATTRIBUTE_PTR vt, CK_ULONG vn,
                        CK_OBJECT_HANDLE_PTR hpub, CK_OBJECT_HANDLE_PTR hpriv)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	if (m == NULL || hpub == NULL || hpriv == NULL ||
	    tmpl_check_args(pt, pn) != CKR_OK || tmpl_check_args(vt, vn) != CKR_OK) {
		cid_op_session_unlock(&s);
		return CKR_ARGUMENTS_BAD;
	}
	rv = keypair_locked(s, m, pt, pn, vt, vn, hpub, hpriv);
	cid_op_session_unlock(&s);
	return rv;
}

CK_RV C_GenerateKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                    CK_OBJECT_HANDLE_PTR hkey)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	if (m == NULL || hkey == NULL || tmpl_check_args(t, n) != CKR_OK) {
		cid_op_session_unlock(&s);
		return CKR_ARGUMENTS_BAD;
	}
	cid_op_session_unlock(&s);
	CID_INFO("mechanism 0x%lx: no secret-key generation is offered", m->mechanism);
	return CKR_MECHANISM_INVALID;
}

/* ---- ECDH ------------------------------------------------------------- */

/* The length of the secret to make: CKA_VALUE_LEN, which a KDF needs (it
 * has no natural output length here); 0 means the raw shared value. */
static CK_RV derive_len(const CK_ECDH1_DERIVE_PARAMS *p, const CK_ATTRIBUTE *t, CK_ULONG n,
                        CK_ULONG *len)
{
	const CK_ATTRIBUTE *a = cid_tmpl_find(t, n, CKA_VALUE_LEN);
	*len = 0;
	if (a == NULL) {
		if (p->kdf == CKD_NULL)
			return CKR_OK;
		CID_INFO("ECDH with a KDF needs CKA_VALUE_LEN");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	if (a->pValue == NULL || a->ulValueLen != sizeof(*len))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(len, a->pValue, sizeof(*len));
	if (*len == 0) {
		CID_INFO("CKA_VALUE_LEN of 0 refused");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

static CK_RV derive_locked(cid_session *s, const CK_MECHANISM *m, CK_OBJECT_HANDLE base,
                           const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	CK_RV rv = check_mech(s, m, CKF_DERIVE);
	if (rv != CKR_OK)
		return rv;
	if (m->mechanism != CKM_ECDH1_DERIVE) {
		CID_INFO("mechanism 0x%lx: only CKM_ECDH1_DERIVE derives here", m->mechanism);
		return CKR_MECHANISM_INVALID;
	}
	const CK_ECDH1_DERIVE_PARAMS *p = m->pParameter;
	if (p == NULL || m->ulParameterLen != sizeof(*p) || p->pPublicData == NULL ||
	    p->ulPublicDataLen == 0 || (p->pSharedData == NULL && p->ulSharedDataLen != 0)) {
		CID_INFO("malformed CK_ECDH1_DERIVE_PARAMS");
		return CKR_MECHANISM_PARAM_INVALID;
	}
	CK_ULONG len = 0;
	rv = derive_len(p, t, n, &len);
	if (rv == CKR_OK)
		rv = tmpl_expect(t, n, CKA_CLASS, CKO_SECRET_KEY);
	if (rv == CKR_OK)
		rv = tmpl_expect(t, n, CKA_KEY_TYPE, CKK_GENERIC_SECRET);
	if (rv != CKR_OK)
		return rv;

	cid_key *key = NULL;
	rv = cid_op_key_for_use(s, base, CKO_PRIVATE_KEY, CKA_DERIVE, cid_mech_find(m->mechanism),
	                        &key, NULL);
	if (rv != CKR_OK)
		return rv;
	uint8_t *secret = NULL;
	size_t slen = 0;
	rv = cid_ecdh_derive(key, p, len, &secret, &slen);
	cid_key_unref(&key);
	if (rv != CKR_OK) {
		CID_DEBUG("ECDH derivation failed: rv 0x%lx", rv);
		return rv;
	}
	cid_attrs made = CID_ATTRS_INIT;
	rv = cid_attrs_set_ulong(&made, CKA_CLASS, CKO_SECRET_KEY);
	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(&made, CKA_KEY_TYPE, CKK_GENERIC_SECRET);
	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(&made, CKA_VALUE_LEN, slen);
	if (rv == CKR_OK)
		rv = cid_attrs_set(&made, CKA_VALUE, secret, slen);
	cid_free_secret(&secret, slen);
	if (rv == CKR_OK)
		rv = cid_obj_new(s, CID_ORIGIN_DERIVE, t, n, &made, out);
	cid_attrs_clear(&made);
	if (rv != CKR_OK)
		CID_INFO("derived key not stored: rv 0x%lx", rv);
	return rv;
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
                  CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR hkey)
{
	cid_session *s = NULL;
	CK_RV rv = cid_op_session_lock(h, &s);
	if (rv != CKR_OK)
		return rv;
	if (m == NULL || hkey == NULL || tmpl_check_args(t, n) != CKR_OK) {
		cid_op_session_unlock(&s);
		return CKR_ARGUMENTS_BAD;
	}
	rv = derive_locked(s, m, base, t, n, hkey);
	cid_op_session_unlock(&s);
	return rv;
}

/* ---- wrapping ------------------------------------------------------------ */

CK_RV C_WrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wrapping,
                CK_OBJECT_HANDLE key, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	(void)h, (void)m, (void)wrapping, (void)key, (void)out, (void)outlen;
	return cid_not_supported(__func__);
}

CK_RV C_UnwrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE unwrapping,
                  CK_BYTE_PTR in, CK_ULONG inlen, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                  CK_OBJECT_HANDLE_PTR hkey)
{
	(void)h, (void)m, (void)unwrapping, (void)in, (void)inlen, (void)t, (void)n, (void)hkey;
	return cid_not_supported(__func__);
}
