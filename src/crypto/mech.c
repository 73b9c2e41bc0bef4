/* The mechanism table: what the layer implements and the honest limits of
 * each mechanism. */
#include "crypto/internal.h"

#define RSA_OPS (CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT)
#define SV (CKF_SIGN | CKF_VERIFY)
#define EC_FL (CKF_EC_F_P | CKF_EC_OID | CKF_EC_UNCOMPRESS)
#define ED_FL (CKF_EC_OID | CKF_EC_CURVENAME)
#define NOKEY ((CK_KEY_TYPE)-1)

/* Operations need at least 1024-bit RSA so that existing keys keep
 * verifying; generation starts at 2048 because nothing smaller should be
 * created today. */
#define MECHS(X) \
	X(CKM_RSA_PKCS_KEY_PAIR_GEN, CKK_RSA, 2048, 4096, CKF_GENERATE_KEY_PAIR, false, KEYGEN, NONE) \
	X(CKM_RSA_PKCS, CKK_RSA, 1024, 4096, RSA_OPS, false, RSA_PKCS, NONE) \
	X(CKM_RSA_X_509, CKK_RSA, 1024, 4096, RSA_OPS, false, RSA_X509, NONE) \
	X(CKM_SHA1_RSA_PKCS, CKK_RSA, 1024, 4096, SV, true, RSA_PKCS_HASH, SHA1) \
	X(CKM_SHA224_RSA_PKCS, CKK_RSA, 1024, 4096, SV, true, RSA_PKCS_HASH, SHA224) \
	X(CKM_SHA256_RSA_PKCS, CKK_RSA, 1024, 4096, SV, true, RSA_PKCS_HASH, SHA256) \
	X(CKM_SHA384_RSA_PKCS, CKK_RSA, 1024, 4096, SV, true, RSA_PKCS_HASH, SHA384) \
	X(CKM_SHA512_RSA_PKCS, CKK_RSA, 1024, 4096, SV, true, RSA_PKCS_HASH, SHA512) \
	X(CKM_RSA_PKCS_PSS, CKK_RSA, 1024, 4096, SV, false, RSA_PSS, NONE) \
	X(CKM_SHA1_RSA_PKCS_PSS, CKK_RSA, 1024, 4096, SV, true, RSA_PSS_HASH, SHA1) \
	X(CKM_SHA224_RSA_PKCS_PSS, CKK_RSA, 1024, 4096, SV, true, RSA_PSS_HASH, SHA224) \
	X(CKM_SHA256_RSA_PKCS_PSS, CKK_RSA, 1024, 4096, SV, true, RSA_PSS_HASH, SHA256) \
	X(CKM_SHA384_RSA_PKCS_PSS, CKK_RSA, 1024, 4096, SV, true, RSA_PSS_HASH, SHA384) \
	X(CKM_SHA512_RSA_PKCS_PSS, CKK_RSA, 1024, 4096, SV, true, RSA_PSS_HASH, SHA512) \
	X(CKM_RSA_PKCS_OAEP, CKK_RSA, 1024, 4096, CKF_ENCRYPT | CKF_DECRYPT, false, RSA_OAEP, NONE) \
	X(CKM_EC_KEY_PAIR_GEN, CKK_EC, 256, 384, CKF_GENERATE_KEY_PAIR | EC_FL, false, KEYGEN, NONE) \
	X(CKM_ECDSA, CKK_EC, 256, 384, SV | EC_FL, false, ECDSA, NONE) \
	X(CKM_ECDSA_SHA1, CKK_EC, 256, 384, SV | EC_FL, true, ECDSA_HASH, SHA1) \
	X(CKM_ECDSA_SHA224, CKK_EC, 256, 384, SV | EC_FL, true, ECDSA_HASH, SHA224) \
	X(CKM_ECDSA_SHA256, CKK_EC, 256, 384, SV | EC_FL, true, ECDSA_HASH, SHA256) \
	X(CKM_ECDSA_SHA384, CKK_EC, 256, 384, SV | EC_FL, true, ECDSA_HASH, SHA384) \
	X(CKM_ECDSA_SHA512, CKK_EC, 256, 384, SV | EC_FL, true, ECDSA_HASH, SHA512) \
	X(CKM_ECDH1_DERIVE, CKK_EC, 256, 384, CKF_DERIVE | EC_FL, false, ECDH, NONE) \
	X(CKM_EC_EDWARDS_KEY_PAIR_GEN, CKK_EC_EDWARDS, 255, 255, CKF_GENERATE_KEY_PAIR | ED_FL, false, KEYGEN, NONE) \
	X(CKM_EDDSA, CKK_EC_EDWARDS, 255, 255, SV | ED_FL, false, EDDSA, NONE) \
	X(CKM_SHA_1, NOKEY, 0, 0, CKF_DIGEST, true, DIGEST, SHA1) \
	X(CKM_SHA224, NOKEY, 0, 0, CKF_DIGEST, true, DIGEST, SHA224) \
	X(CKM_SHA256, NOKEY, 0, 0, CKF_DIGEST, true, DIGEST, SHA256) \
	X(CKM_SHA384, NOKEY, 0, 0, CKF_DIGEST, true, DIGEST, SHA384) \
	X(CKM_SHA512, NOKEY, 0, 0, CKF_DIGEST, true, DIGEST, SHA512)

#define DESC(t, kt, lo, hi, fl, mp, fam, h) { t, kt, lo, hi, fl, mp },
#define IMPL(t, kt, lo, hi, fl, mp, fam, h) { CID_F_##fam, CID_H_##h },

static const cid_mech_desc descs[] = { MECHS(DESC) };
static const cid_mech_impl impls[] = { MECHS(IMPL) };

#define NMECH (sizeof(descs) / sizeof(descs[0]))
_Static_assert(NMECH * CID_TMPL_KINDS <= CID_TMPL_MAX, "template slots too few");

const cid_mech_desc *cid_mech_list(size_t *count)
{
	*count = NMECH;
	return descs;
}

int cid_mech_index(CK_MECHANISM_TYPE type)
{
	for (size_t i = 0; i < NMECH; i++)
		if (descs[i].type == type)
			return (int)i;
	return -1;
}

const cid_mech_desc *cid_mech_find(CK_MECHANISM_TYPE type)
{
	int i = cid_mech_index(type);

	return i < 0 ? NULL : &descs[i];
}

const cid_mech_impl *cid_mech_impl_at(int idx)
{
	return (idx < 0 || (size_t)idx >= NMECH) ? NULL : &impls[idx];
}

size_t cid_mech_count(void)
{
	return NMECH;
}
