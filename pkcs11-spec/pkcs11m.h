/*
 * careid - PKCS #11 (Cryptoki) v3.1 mechanism types (CKM_*), CK_MECHANISM,
 * CK_MECHANISM_INFO and its flags (CKF_*), from the OASIS PKCS #11 v3.1
 * specifications.  Part of pkcs11t.h, which includes it in place; include
 * pkcs11.h rather than this file.
 */

#ifndef CAREID_PKCS11M_H
#define CAREID_PKCS11M_H 1

/* ======================================================================
 * Mechanisms
 * ====================================================================== */

typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_MECHANISM_TYPE CK_PTR CK_MECHANISM_TYPE_PTR;

/* --- RSA --- */
#define CKM_RSA_PKCS_KEY_PAIR_GEN       0x00000000UL
#define CKM_RSA_PKCS                    0x00000001UL
#define CKM_RSA_9796                    0x00000002UL
#define CKM_RSA_X_509                   0x00000003UL
#define CKM_MD2_RSA_PKCS                0x00000004UL
#define CKM_MD5_RSA_PKCS                0x00000005UL
#define CKM_SHA1_RSA_PKCS               0x00000006UL
#define CKM_RIPEMD128_RSA_PKCS          0x00000007UL
#define CKM_RIPEMD160_RSA_PKCS          0x00000008UL
#define CKM_RSA_PKCS_OAEP               0x00000009UL
#define CKM_RSA_X9_31_KEY_PAIR_GEN      0x0000000AUL
#define CKM_RSA_X9_31                   0x0000000BUL
#define CKM_SHA1_RSA_X9_31              0x0000000CUL
#define CKM_RSA_PKCS_PSS                0x0000000DUL
#define CKM_SHA1_RSA_PKCS_PSS           0x0000000EUL

/* --- DSA --- */
#define CKM_DSA_KEY_PAIR_GEN            0x00000010UL
#define CKM_DSA                         0x00000011UL
#define CKM_DSA_SHA1                    0x00000012UL
#define CKM_DSA_SHA224                  0x00000013UL
#define CKM_DSA_SHA256                  0x00000014UL
#define CKM_DSA_SHA384                  0x00000015UL
#define CKM_DSA_SHA512                  0x00000016UL
#define CKM_DSA_SHA3_224                0x00000018UL
#define CKM_DSA_SHA3_256                0x00000019UL
#define CKM_DSA_SHA3_384                0x0000001AUL
#define CKM_DSA_SHA3_512                0x0000001BUL

/* --- Diffie-Hellman --- */
#define CKM_DH_PKCS_KEY_PAIR_GEN        0x00000020UL
#define CKM_DH_PKCS_DERIVE              0x00000021UL
#define CKM_X9_42_DH_KEY_PAIR_GEN       0x00000030UL
#define CKM_X9_42_DH_DERIVE             0x00000031UL
#define CKM_X9_42_DH_HYBRID_DERIVE      0x00000032UL
#define CKM_X9_42_MQV_DERIVE            0x00000033UL

/* --- RSA with SHA-2 / SHA-3 --- */
#define CKM_SHA256_RSA_PKCS             0x00000040UL
#define CKM_SHA384_RSA_PKCS             0x00000041UL
#define CKM_SHA512_RSA_PKCS             0x00000042UL
#define CKM_SHA256_RSA_PKCS_PSS         0x00000043UL
#define CKM_SHA384_RSA_PKCS_PSS         0x00000044UL
#define CKM_SHA512_RSA_PKCS_PSS         0x00000045UL
#define CKM_SHA224_RSA_PKCS             0x00000046UL
#define CKM_SHA224_RSA_PKCS_PSS         0x00000047UL

/* --- truncated SHA-512 --- */
#define CKM_SHA512_224                  0x00000048UL
#define CKM_SHA512_224_HMAC             0x00000049UL
#define CKM_SHA512_224_HMAC_GENERAL     0x0000004AUL
#define CKM_SHA512_224_KEY_DERIVATION   0x0000004BUL
#define CKM_SHA512_256                  0x0000004CUL
#define CKM_SHA512_256_HMAC             0x0000004DUL
#define CKM_SHA512_256_HMAC_GENERAL     0x0000004EUL
#define CKM_SHA512_256_KEY_DERIVATION   0x0000004FUL
#define CKM_SHA512_T                    0x00000050UL
#define CKM_SHA512_T_HMAC               0x00000051UL
#define CKM_SHA512_T_HMAC_GENERAL       0x00000052UL
#define CKM_SHA512_T_KEY_DERIVATION     0x00000053UL

#define CKM_SHA3_256_RSA_PKCS           0x00000060UL
#define CKM_SHA3_384_RSA_PKCS           0x00000061UL
#define CKM_SHA3_512_RSA_PKCS           0x00000062UL
#define CKM_SHA3_256_RSA_PKCS_PSS       0x00000063UL
#define CKM_SHA3_384_RSA_PKCS_PSS       0x00000064UL
#define CKM_SHA3_512_RSA_PKCS_PSS       0x00000065UL
#define CKM_SHA3_224_RSA_PKCS           0x00000066UL
#define CKM_SHA3_224_RSA_PKCS_PSS       0x00000067UL

/* --- legacy block ciphers --- */
#define CKM_RC2_KEY_GEN                 0x00000100UL
#define CKM_RC2_ECB                     0x00000101UL
#define CKM_RC2_CBC                     0x00000102UL
#define CKM_RC2_MAC                     0x00000103UL
#define CKM_RC2_MAC_GENERAL             0x00000104UL
#define CKM_RC2_CBC_PAD                 0x00000105UL
#define CKM_RC4_KEY_GEN                 0x00000110UL
#define CKM_RC4                         0x00000111UL
#define CKM_DES_KEY_GEN                 0x00000120UL
#define CKM_DES_ECB                     0x00000121UL
#define CKM_DES_CBC                     0x00000122UL
#define CKM_DES_MAC                     0x00000123UL
#define CKM_DES_MAC_GENERAL             0x00000124UL
#define CKM_DES_CBC_PAD                 0x00000125UL
#define CKM_DES2_KEY_GEN                0x00000130UL
#define CKM_DES3_KEY_GEN                0x00000131UL
#define CKM_DES3_ECB                    0x00000132UL
#define CKM_DES3_CBC                    0x00000133UL
#define CKM_DES3_MAC                    0x00000134UL
#define CKM_DES3_MAC_GENERAL            0x00000135UL
#define CKM_DES3_CBC_PAD                0x00000136UL
#define CKM_DES3_CMAC_GENERAL           0x00000137UL
#define CKM_DES3_CMAC                   0x00000138UL
#define CKM_CDMF_KEY_GEN                0x00000140UL
#define CKM_CDMF_ECB                    0x00000141UL
#define CKM_CDMF_CBC                    0x00000142UL
#define CKM_CDMF_MAC                    0x00000143UL
#define CKM_CDMF_MAC_GENERAL            0x00000144UL
#define CKM_CDMF_CBC_PAD                0x00000145UL
#define CKM_DES_OFB64                   0x00000150UL
#define CKM_DES_OFB8                    0x00000151UL
#define CKM_DES_CFB64                   0x00000152UL
#define CKM_DES_CFB8                    0x00000153UL

/* --- digests and HMACs --- */
#define CKM_MD2                         0x00000200UL
#define CKM_MD2_HMAC                    0x00000201UL
#define CKM_MD2_HMAC_GENERAL            0x00000202UL
#define CKM_MD5                         0x00000210UL
#define CKM_MD5_HMAC                    0x00000211UL
#define CKM_MD5_HMAC_GENERAL            0x00000212UL
#define CKM_SHA_1                       0x00000220UL
#define CKM_SHA_1_HMAC                  0x00000221UL
#define CKM_SHA_1_HMAC_GENERAL          0x00000222UL
#define CKM_RIPEMD128                   0x00000230UL
#define CKM_RIPEMD128_HMAC              0x00000231UL
#define CKM_RIPEMD128_HMAC_GENERAL      0x00000232UL
#define CKM_RIPEMD160                   0x00000240UL
#define CKM_RIPEMD160_HMAC              0x00000241UL
#define CKM_RIPEMD160_HMAC_GENERAL      0x00000242UL
#define CKM_SHA256                      0x00000250UL
#define CKM_SHA256_HMAC                 0x00000251UL
#define CKM_SHA256_HMAC_GENERAL         0x00000252UL
#define CKM_SHA224                      0x00000255UL
#define CKM_SHA224_HMAC                 0x00000256UL
#define CKM_SHA224_HMAC_GENERAL         0x00000257UL
#define CKM_SHA384                      0x00000260UL
#define CKM_SHA384_HMAC                 0x00000261UL
#define CKM_SHA384_HMAC_GENERAL         0x00000262UL
#define CKM_SHA512                      0x00000270UL
#define CKM_SHA512_HMAC                 0x00000271UL
#define CKM_SHA512_HMAC_GENERAL         0x00000272UL
#define CKM_SECURID_KEY_GEN             0x00000280UL
#define CKM_SECURID                     0x00000282UL
#define CKM_HOTP_KEY_GEN                0x00000290UL
#define CKM_HOTP                        0x00000291UL
#define CKM_ACTI                        0x000002A0UL
#define CKM_ACTI_KEY_GEN                0x000002A1UL
#define CKM_SHA3_256                    0x000002B0UL
#define CKM_SHA3_256_HMAC               0x000002B1UL
#define CKM_SHA3_256_HMAC_GENERAL       0x000002B2UL
#define CKM_SHA3_256_KEY_GEN            0x000002B3UL
#define CKM_SHA3_224                    0x000002B5UL
#define CKM_SHA3_224_HMAC               0x000002B6UL
#define CKM_SHA3_224_HMAC_GENERAL       0x000002B7UL
#define CKM_SHA3_224_KEY_GEN            0x000002B8UL
#define CKM_SHA3_384                    0x000002C0UL
#define CKM_SHA3_384_HMAC               0x000002C1UL
#define CKM_SHA3_384_HMAC_GENERAL       0x000002C2UL
#define CKM_SHA3_384_KEY_GEN            0x000002C3UL
#define CKM_SHA3_512                    0x000002D0UL
#define CKM_SHA3_512_HMAC               0x000002D1UL
#define CKM_SHA3_512_HMAC_GENERAL       0x000002D2UL
#define CKM_SHA3_512_KEY_GEN            0x000002D3UL

/* --- CAST / RC5 / IDEA --- */
#define CKM_CAST_KEY_GEN                0x00000300UL
#define CKM_CAST_ECB                    0x00000301UL
#define CKM_CAST_CBC                    0x00000302UL
#define CKM_CAST_MAC                    0x00000303UL
#define CKM_CAST_MAC_GENERAL            0x00000304UL
#define CKM_CAST_CBC_PAD                0x00000305UL
#define CKM_CAST3_KEY_GEN               0x00000310UL
#define CKM_CAST3_ECB                   0x00000311UL
#define CKM_CAST3_CBC                   0x00000312UL
#define CKM_CAST3_MAC                   0x00000313UL
#define CKM_CAST3_MAC_GENERAL           0x00000314UL
#define CKM_CAST3_CBC_PAD               0x00000315UL
#define CKM_CAST128_KEY_GEN             0x00000320UL
#define CKM_CAST128_ECB                 0x00000321UL
#define CKM_CAST128_CBC                 0x00000322UL
#define CKM_CAST128_MAC                 0x00000323UL
#define CKM_CAST128_MAC_GENERAL         0x00000324UL
#define CKM_CAST128_CBC_PAD             0x00000325UL
#define CKM_CAST5_KEY_GEN               CKM_CAST128_KEY_GEN
#define CKM_CAST5_ECB                   CKM_CAST128_ECB
#define CKM_CAST5_CBC                   CKM_CAST128_CBC
#define CKM_CAST5_MAC                   CKM_CAST128_MAC
#define CKM_CAST5_MAC_GENERAL           CKM_CAST128_MAC_GENERAL
#define CKM_CAST5_CBC_PAD               CKM_CAST128_CBC_PAD
#define CKM_RC5_KEY_GEN                 0x00000330UL
#define CKM_RC5_ECB                     0x00000331UL
#define CKM_RC5_CBC                     0x00000332UL
#define CKM_RC5_MAC                     0x00000333UL
#define CKM_RC5_MAC_GENERAL             0x00000334UL
#define CKM_RC5_CBC_PAD                 0x00000335UL
#define CKM_IDEA_KEY_GEN                0x00000340UL
#define CKM_IDEA_ECB                    0x00000341UL
#define CKM_IDEA_CBC                    0x00000342UL
#define CKM_IDEA_MAC                    0x00000343UL
#define CKM_IDEA_MAC_GENERAL            0x00000344UL
#define CKM_IDEA_CBC_PAD                0x00000345UL

/* --- generic secret and simple derivations --- */
#define CKM_GENERIC_SECRET_KEY_GEN      0x00000350UL
#define CKM_CONCATENATE_BASE_AND_KEY    0x00000360UL
#define CKM_CONCATENATE_BASE_AND_DATA   0x00000362UL
#define CKM_CONCATENATE_DATA_AND_BASE   0x00000363UL
#define CKM_XOR_BASE_AND_DATA           0x00000364UL
#define CKM_EXTRACT_KEY_FROM_KEY        0x00000365UL

/* --- SSL / TLS --- */
#define CKM_SSL3_PRE_MASTER_KEY_GEN     0x00000370UL
#define CKM_SSL3_MASTER_KEY_DERIVE      0x00000371UL
#define CKM_SSL3_KEY_AND_MAC_DERIVE     0x00000372UL
#define CKM_SSL3_MASTER_KEY_DERIVE_DH   0x00000373UL
#define CKM_TLS_PRE_MASTER_KEY_GEN      0x00000374UL
#define CKM_TLS_MASTER_KEY_DERIVE       0x00000375UL
#define CKM_TLS_KEY_AND_MAC_DERIVE      0x00000376UL
#define CKM_TLS_MASTER_KEY_DERIVE_DH    0x00000377UL
#define CKM_TLS_PRF                     0x00000378UL
#define CKM_SSL3_MD5_MAC                0x00000380UL
#define CKM_SSL3_SHA1_MAC               0x00000381UL

/* --- digest-based key derivation --- */
#define CKM_MD5_KEY_DERIVATION          0x00000390UL
#define CKM_MD2_KEY_DERIVATION          0x00000391UL
#define CKM_SHA1_KEY_DERIVATION         0x00000392UL
#define CKM_SHA256_KEY_DERIVATION       0x00000393UL
#define CKM_SHA384_KEY_DERIVATION       0x00000394UL
#define CKM_SHA512_KEY_DERIVATION       0x00000395UL
#define CKM_SHA224_KEY_DERIVATION       0x00000396UL
#define CKM_SHA3_256_KEY_DERIVATION     0x00000397UL
#define CKM_SHA3_224_KEY_DERIVATION     0x00000398UL
#define CKM_SHA3_384_KEY_DERIVATION     0x00000399UL
#define CKM_SHA3_512_KEY_DERIVATION     0x0000039AUL
#define CKM_SHAKE_128_KEY_DERIVATION    0x0000039BUL
#define CKM_SHAKE_256_KEY_DERIVATION    0x0000039CUL
/* spellings used by the 3.0 headers */
#define CKM_SHA3_256_KEY_DERIVE         CKM_SHA3_256_KEY_DERIVATION
#define CKM_SHA3_224_KEY_DERIVE         CKM_SHA3_224_KEY_DERIVATION
#define CKM_SHA3_384_KEY_DERIVE         CKM_SHA3_384_KEY_DERIVATION
#define CKM_SHA3_512_KEY_DERIVE         CKM_SHA3_512_KEY_DERIVATION
#define CKM_SHAKE_128_KEY_DERIVE        CKM_SHAKE_128_KEY_DERIVATION
#define CKM_SHAKE_256_KEY_DERIVE        CKM_SHAKE_256_KEY_DERIVATION

/* --- PBE / SP 800-108 --- */
#define CKM_PBE_MD2_DES_CBC             0x000003A0UL
#define CKM_PBE_MD5_DES_CBC             0x000003A1UL
#define CKM_PBE_MD5_CAST_CBC            0x000003A2UL
#define CKM_PBE_MD5_CAST3_CBC           0x000003A3UL
#define CKM_PBE_MD5_CAST128_CBC         0x000003A4UL
#define CKM_PBE_MD5_CAST5_CBC           CKM_PBE_MD5_CAST128_CBC
#define CKM_PBE_SHA1_CAST128_CBC        0x000003A5UL
#define CKM_PBE_SHA1_CAST5_CBC          CKM_PBE_SHA1_CAST128_CBC
#define CKM_PBE_SHA1_RC4_128            0x000003A6UL
#define CKM_PBE_SHA1_RC4_40             0x000003A7UL
#define CKM_PBE_SHA1_DES3_EDE_CBC       0x000003A8UL
#define CKM_PBE_SHA1_DES2_EDE_CBC       0x000003A9UL
#define CKM_PBE_SHA1_RC2_128_CBC        0x000003AAUL
#define CKM_PBE_SHA1_RC2_40_CBC         0x000003ABUL
#define CKM_SP800_108_COUNTER_KDF       0x000003ACUL
#define CKM_SP800_108_FEEDBACK_KDF      0x000003ADUL
#define CKM_SP800_108_DOUBLE_PIPELINE_KDF 0x000003AEUL
#define CKM_PKCS5_PBKD2                 0x000003B0UL
#define CKM_PBA_SHA1_WITH_SHA1_HMAC     0x000003C0UL

/* --- WTLS / TLS 1.2 --- */
#define CKM_WTLS_PRE_MASTER_KEY_GEN     0x000003D0UL
#define CKM_WTLS_MASTER_KEY_DERIVE      0x000003D1UL
#define CKM_WTLS_MASTER_KEY_DERIVE_DH_ECC 0x000003D2UL
#define CKM_WTLS_PRF                    0x000003D3UL
#define CKM_WTLS_SERVER_KEY_AND_MAC_DERIVE 0x000003D4UL
#define CKM_WTLS_CLIENT_KEY_AND_MAC_DERIVE 0x000003D5UL
#define CKM_TLS10_MAC_SERVER            0x000003D6UL
#define CKM_TLS10_MAC_CLIENT            0x000003D7UL
#define CKM_TLS12_MAC                   0x000003D8UL
#define CKM_TLS12_KDF                   0x000003D9UL
#define CKM_TLS12_MASTER_KEY_DERIVE     0x000003E0UL
#define CKM_TLS12_KEY_AND_MAC_DERIVE    0x000003E1UL
#define CKM_TLS12_MASTER_KEY_DERIVE_DH  0x000003E2UL
#define CKM_TLS12_KEY_SAFE_DERIVE       0x000003E3UL
#define CKM_TLS_MAC                     0x000003E4UL
#define CKM_TLS_KDF                     0x000003E5UL

#define CKM_KEY_WRAP_LYNKS              0x00000400UL
#define CKM_KEY_WRAP_SET_OAEP           0x00000401UL
#define CKM_CMS_SIG                     0x00000500UL
#define CKM_KIP_DERIVE                  0x00000510UL
#define CKM_KIP_WRAP                    0x00000511UL
#define CKM_KIP_MAC                     0x00000512UL

/* --- Camellia / ARIA / SEED --- */
#define CKM_CAMELLIA_KEY_GEN            0x00000550UL
#define CKM_CAMELLIA_ECB                0x00000551UL
#define CKM_CAMELLIA_CBC                0x00000552UL
#define CKM_CAMELLIA_MAC                0x00000553UL
#define CKM_CAMELLIA_MAC_GENERAL        0x00000554UL
#define CKM_CAMELLIA_CBC_PAD            0x00000555UL
#define CKM_CAMELLIA_ECB_ENCRYPT_DATA   0x00000556UL
#define CKM_CAMELLIA_CBC_ENCRYPT_DATA   0x00000557UL
#define CKM_CAMELLIA_CTR                0x00000558UL
#define CKM_ARIA_KEY_GEN                0x00000560UL
#define CKM_ARIA_ECB                    0x00000561UL
#define CKM_ARIA_CBC                    0x00000562UL
#define CKM_ARIA_MAC                    0x00000563UL
#define CKM_ARIA_MAC_GENERAL            0x00000564UL
#define CKM_ARIA_CBC_PAD                0x00000565UL
#define CKM_ARIA_ECB_ENCRYPT_DATA       0x00000566UL
#define CKM_ARIA_CBC_ENCRYPT_DATA       0x00000567UL
#define CKM_SEED_KEY_GEN                0x00000650UL
#define CKM_SEED_ECB                    0x00000651UL
#define CKM_SEED_CBC                    0x00000652UL
#define CKM_SEED_MAC                    0x00000653UL
#define CKM_SEED_MAC_GENERAL            0x00000654UL
#define CKM_SEED_CBC_PAD                0x00000655UL
#define CKM_SEED_ECB_ENCRYPT_DATA       0x00000656UL
#define CKM_SEED_CBC_ENCRYPT_DATA       0x00000657UL

/* --- Fortezza-era --- */
#define CKM_SKIPJACK_KEY_GEN            0x00001000UL
#define CKM_SKIPJACK_ECB64              0x00001001UL
#define CKM_SKIPJACK_CBC64              0x00001002UL
#define CKM_SKIPJACK_OFB64              0x00001003UL
#define CKM_SKIPJACK_CFB64              0x00001004UL
#define CKM_SKIPJACK_CFB32              0x00001005UL
#define CKM_SKIPJACK_CFB16              0x00001006UL
#define CKM_SKIPJACK_CFB8               0x00001007UL
#define CKM_SKIPJACK_WRAP               0x00001008UL
#define CKM_SKIPJACK_PRIVATE_WRAP       0x00001009UL
#define CKM_SKIPJACK_RELAYX             0x0000100AUL
#define CKM_KEA_KEY_PAIR_GEN            0x00001010UL
#define CKM_KEA_KEY_DERIVE              0x00001011UL
#define CKM_KEA_DERIVE                  0x00001012UL
#define CKM_FORTEZZA_TIMESTAMP          0x00001020UL
#define CKM_BATON_KEY_GEN               0x00001030UL
#define CKM_BATON_ECB128                0x00001031UL
#define CKM_BATON_ECB96                 0x00001032UL
#define CKM_BATON_CBC128                0x00001033UL
#define CKM_BATON_COUNTER               0x00001034UL
#define CKM_BATON_SHUFFLE               0x00001035UL
#define CKM_BATON_WRAP                  0x00001036UL

/* --- elliptic curves --- */
#define CKM_EC_KEY_PAIR_GEN             0x00001040UL
#define CKM_ECDSA_KEY_PAIR_GEN          CKM_EC_KEY_PAIR_GEN /* old name */
#define CKM_ECDSA                       0x00001041UL
#define CKM_ECDSA_SHA1                  0x00001042UL
#define CKM_ECDSA_SHA224                0x00001043UL
#define CKM_ECDSA_SHA256                0x00001044UL
#define CKM_ECDSA_SHA384                0x00001045UL
#define CKM_ECDSA_SHA512                0x00001046UL
#define CKM_ECDSA_SHA3_224              0x00001047UL
#define CKM_ECDSA_SHA3_256              0x00001048UL
#define CKM_ECDSA_SHA3_384              0x00001049UL
#define CKM_ECDSA_SHA3_512              0x0000104AUL
#define CKM_EC_KEY_PAIR_GEN_W_EXTRA_BITS 0x0000140BUL
#define CKM_ECDH1_DERIVE                0x00001050UL
#define CKM_ECDH1_COFACTOR_DERIVE       0x00001051UL
#define CKM_ECMQV_DERIVE                0x00001052UL
#define CKM_ECDH_AES_KEY_WRAP           0x00001053UL
#define CKM_RSA_AES_KEY_WRAP            0x00001054UL
#define CKM_EC_EDWARDS_KEY_PAIR_GEN     0x00001055UL
#define CKM_EC_MONTGOMERY_KEY_PAIR_GEN  0x00001056UL
#define CKM_EDDSA                       0x00001057UL

#define CKM_JUNIPER_KEY_GEN             0x00001060UL
#define CKM_JUNIPER_ECB128              0x00001061UL
#define CKM_JUNIPER_CBC128              0x00001062UL
#define CKM_JUNIPER_COUNTER             0x00001063UL
#define CKM_JUNIPER_SHUFFLE             0x00001064UL
#define CKM_JUNIPER_WRAP                0x00001065UL
#define CKM_FASTHASH                    0x00001070UL

/* --- AES --- */
#define CKM_AES_XTS                     0x00001071UL
#define CKM_AES_XTS_KEY_GEN             0x00001072UL
#define CKM_AES_KEY_GEN                 0x00001080UL
#define CKM_AES_ECB                     0x00001081UL
#define CKM_AES_CBC                     0x00001082UL
#define CKM_AES_MAC                     0x00001083UL
#define CKM_AES_MAC_GENERAL             0x00001084UL
#define CKM_AES_CBC_PAD                 0x00001085UL
#define CKM_AES_CTR                     0x00001086UL
#define CKM_AES_GCM                     0x00001087UL
#define CKM_AES_CCM                     0x00001088UL
#define CKM_AES_CTS                     0x00001089UL
#define CKM_AES_CMAC                    0x0000108AUL
#define CKM_AES_CMAC_GENERAL            0x0000108BUL
#define CKM_AES_XCBC_MAC                0x0000108CUL
#define CKM_AES_XCBC_MAC_96             0x0000108DUL
#define CKM_AES_GMAC                    0x0000108EUL

#define CKM_BLOWFISH_KEY_GEN            0x00001090UL
#define CKM_BLOWFISH_CBC                0x00001091UL
#define CKM_TWOFISH_KEY_GEN             0x00001092UL
#define CKM_TWOFISH_CBC                 0x00001093UL
#define CKM_BLOWFISH_CBC_PAD            0x00001094UL
#define CKM_TWOFISH_CBC_PAD             0x00001095UL

#define CKM_DES_ECB_ENCRYPT_DATA        0x00001100UL
#define CKM_DES_CBC_ENCRYPT_DATA        0x00001101UL
#define CKM_DES3_ECB_ENCRYPT_DATA       0x00001102UL
#define CKM_DES3_CBC_ENCRYPT_DATA       0x00001103UL
#define CKM_AES_ECB_ENCRYPT_DATA        0x00001104UL
#define CKM_AES_CBC_ENCRYPT_DATA        0x00001105UL

/* --- GOST --- */
#define CKM_GOSTR3410_KEY_PAIR_GEN      0x00001200UL
#define CKM_GOSTR3410                   0x00001201UL
#define CKM_GOSTR3410_WITH_GOSTR3411    0x00001202UL
#define CKM_GOSTR3410_KEY_WRAP          0x00001203UL
#define CKM_GOSTR3410_DERIVE            0x00001204UL
#define CKM_GOSTR3411                   0x00001210UL
#define CKM_GOSTR3411_HMAC              0x00001211UL
#define CKM_GOST28147_KEY_GEN           0x00001220UL
#define CKM_GOST28147_ECB               0x00001221UL
#define CKM_GOST28147                   0x00001222UL
#define CKM_GOST28147_MAC               0x00001223UL
#define CKM_GOST28147_KEY_WRAP          0x00001224UL

/* --- ChaCha20 / Poly1305 --- */
#define CKM_CHACHA20_KEY_GEN            0x00001225UL
#define CKM_CHACHA20                    0x00001226UL
#define CKM_POLY1305_KEY_GEN            0x00001227UL
#define CKM_POLY1305                    0x00001228UL

/* --- domain parameter generation --- */
#define CKM_DSA_PARAMETER_GEN           0x00002000UL
#define CKM_DH_PKCS_PARAMETER_GEN       0x00002001UL
#define CKM_X9_42_DH_PARAMETER_GEN      0x00002002UL
#define CKM_DSA_PROBABILISTIC_PARAMETER_GEN 0x00002003UL
#define CKM_DSA_PROBABLISTIC_PARAMETER_GEN  CKM_DSA_PROBABILISTIC_PARAMETER_GEN
#define CKM_DSA_SHAWE_TAYLOR_PARAMETER_GEN  0x00002004UL
#define CKM_DSA_FIPS_G_GEN              0x00002005UL

/* --- AES feedback modes and key wrapping --- */
#define CKM_AES_OFB                     0x00002104UL
#define CKM_AES_CFB64                   0x00002105UL
#define CKM_AES_CFB8                    0x00002106UL
#define CKM_AES_CFB128                  0x00002107UL
#define CKM_AES_CFB1                    0x00002108UL
#define CKM_AES_KEY_WRAP                0x00002109UL
#define CKM_AES_KEY_WRAP_PAD            0x0000210AUL
#define CKM_AES_KEY_WRAP_KWP            0x0000210BUL
#define CKM_AES_KEY_WRAP_PKCS7          0x0000210CUL

/* --- TPM-style RSA, hash key generation --- */
#define CKM_RSA_PKCS_TPM_1_1            0x00004001UL
#define CKM_RSA_PKCS_OAEP_TPM_1_1       0x00004002UL
#define CKM_SHA_1_KEY_GEN               0x00004003UL
#define CKM_SHA224_KEY_GEN              0x00004004UL
#define CKM_SHA256_KEY_GEN              0x00004005UL
#define CKM_SHA384_KEY_GEN              0x00004006UL
#define CKM_SHA512_KEY_GEN              0x00004007UL
#define CKM_SHA512_224_KEY_GEN          0x00004008UL
#define CKM_SHA512_256_KEY_GEN          0x00004009UL
#define CKM_SHA512_T_KEY_GEN            0x0000400AUL
#define CKM_NULL                        0x0000400BUL

/* --- BLAKE2b --- */
#define CKM_BLAKE2B_160                 0x0000400CUL
#define CKM_BLAKE2B_160_HMAC            0x0000400DUL
#define CKM_BLAKE2B_160_HMAC_GENERAL    0x0000400EUL
#define CKM_BLAKE2B_160_KEY_DERIVE      0x0000400FUL
#define CKM_BLAKE2B_160_KEY_GEN         0x00004010UL
#define CKM_BLAKE2B_256                 0x00004011UL
#define CKM_BLAKE2B_256_HMAC            0x00004012UL
#define CKM_BLAKE2B_256_HMAC_GENERAL    0x00004013UL
#define CKM_BLAKE2B_256_KEY_DERIVE      0x00004014UL
#define CKM_BLAKE2B_256_KEY_GEN         0x00004015UL
#define CKM_BLAKE2B_384                 0x00004016UL
#define CKM_BLAKE2B_384_HMAC            0x00004017UL
#define CKM_BLAKE2B_384_HMAC_GENERAL    0x00004018UL
#define CKM_BLAKE2B_384_KEY_DERIVE      0x00004019UL
#define CKM_BLAKE2B_384_KEY_GEN         0x0000401AUL
#define CKM_BLAKE2B_512                 0x0000401BUL
#define CKM_BLAKE2B_512_HMAC            0x0000401CUL
#define CKM_BLAKE2B_512_HMAC_GENERAL    0x0000401DUL
#define CKM_BLAKE2B_512_KEY_DERIVE      0x0000401EUL
#define CKM_BLAKE2B_512_KEY_GEN         0x0000401FUL

/* --- Salsa20, X3DH / double ratchet, XEdDSA --- */
#define CKM_SALSA20                     0x00004020UL
#define CKM_CHACHA20_POLY1305           0x00004021UL
#define CKM_SALSA20_POLY1305            0x00004022UL
#define CKM_X3DH_INITIALIZE             0x00004023UL
#define CKM_X3DH_RESPOND                0x00004024UL
#define CKM_X2RATCHET_INITIALIZE        0x00004025UL
#define CKM_X2RATCHET_RESPOND           0x00004026UL
#define CKM_X2RATCHET_ENCRYPT           0x00004027UL
#define CKM_X2RATCHET_DECRYPT           0x00004028UL
#define CKM_XEDDSA                      0x00004029UL

/* --- HKDF --- */
#define CKM_HKDF_DERIVE                 0x0000402AUL
#define CKM_HKDF_DATA                   0x0000402BUL
#define CKM_HKDF_KEY_GEN                0x0000402CUL
#define CKM_SALSA20_KEY_GEN             0x0000402DUL

/* --- IKE (3.1) --- */
#define CKM_IKE2_PRF_PLUS_DERIVE        0x0000402EUL
#define CKM_IKE_PRF_DERIVE              0x0000402FUL
#define CKM_IKE1_PRF_DERIVE             0x00004030UL
#define CKM_IKE1_EXTENDED_DERIVE        0x00004031UL

/* --- HSS / LMS (3.1) --- */
#define CKM_HSS_KEY_PAIR_GEN            0x00004032UL
#define CKM_HSS                         0x00004033UL

#define CKM_VENDOR_DEFINED              0x80000000UL

/* a mechanism together with its parameter block */
typedef struct CK_MECHANISM {
    CK_MECHANISM_TYPE mechanism;
    CK_VOID_PTR       pParameter;
    CK_ULONG          ulParameterLen;     /* in bytes */
} CK_MECHANISM;
typedef CK_MECHANISM CK_PTR CK_MECHANISM_PTR;

typedef struct CK_MECHANISM_INFO {
    CK_ULONG ulMinKeySize;
    CK_ULONG ulMaxKeySize;
    CK_FLAGS flags;
} CK_MECHANISM_INFO;
typedef CK_MECHANISM_INFO CK_PTR CK_MECHANISM_INFO_PTR;

/* CK_MECHANISM_INFO.flags */
#define CKF_HW                          0x00000001UL
#define CKF_MESSAGE_ENCRYPT             0x00000002UL
#define CKF_MESSAGE_DECRYPT             0x00000004UL
#define CKF_MESSAGE_SIGN                0x00000008UL
#define CKF_MESSAGE_VERIFY              0x00000010UL
#define CKF_MULTI_MESSAGE               0x00000020UL
#define CKF_MULTI_MESSGE                CKF_MULTI_MESSAGE /* 3.0 typo */
#define CKF_FIND_OBJECTS                0x00000040UL
#define CKF_ENCRYPT                     0x00000100UL
#define CKF_DECRYPT                     0x00000200UL
#define CKF_DIGEST                      0x00000400UL
#define CKF_SIGN                        0x00000800UL
#define CKF_SIGN_RECOVER                0x00001000UL
#define CKF_VERIFY                      0x00002000UL
#define CKF_VERIFY_RECOVER              0x00004000UL
#define CKF_GENERATE                    0x00008000UL
#define CKF_GENERATE_KEY_PAIR           0x00010000UL
#define CKF_WRAP                        0x00020000UL
#define CKF_UNWRAP                      0x00040000UL
#define CKF_DERIVE                      0x00080000UL
#define CKF_EC_F_P                      0x00100000UL
#define CKF_EC_F_2M                     0x00200000UL
#define CKF_EC_ECPARAMETERS             0x00400000UL
#define CKF_EC_OID                      0x00800000UL
#define CKF_EC_NAMEDCURVE               CKF_EC_OID        /* old name */
#define CKF_EC_UNCOMPRESS               0x01000000UL
#define CKF_EC_COMPRESS                 0x02000000UL
#define CKF_EC_CURVENAME                0x04000000UL
#define CKF_EXTENSION                   0x80000000UL

#endif /* CAREID_PKCS11M_H */
