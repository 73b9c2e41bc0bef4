/*
 * careid - PKCS #11 (Cryptoki) v3.1 types and constants.
 *
 * Values taken from the OASIS PKCS #11 v3.1 base specification and the
 * current mechanisms specification. Include through pkcs11.h, which sets
 * up CK_PTR and the function declaration macros.
 */

#ifndef CAREID_PKCS11T_H
#define CAREID_PKCS11T_H 1

#define CRYPTOKI_VERSION_MAJOR          3
#define CRYPTOKI_VERSION_MINOR          1
#define CRYPTOKI_VERSION_AMENDMENT      0

#define CK_TRUE                         1
#define CK_FALSE                        0

#ifndef CK_DISABLE_TRUE_FALSE
#ifndef FALSE
#define FALSE CK_FALSE
#endif
#ifndef TRUE
#define TRUE CK_TRUE
#endif
#endif

/* ======================================================================
 * Scalar types
 * ====================================================================== */

typedef unsigned char       CK_BYTE;      /* 8-bit unsigned */
typedef CK_BYTE             CK_CHAR;      /* 8-bit character */
typedef CK_BYTE             CK_UTF8CHAR;  /* one octet of UTF-8 text */
typedef CK_BYTE             CK_BBOOL;     /* CK_TRUE / CK_FALSE */
typedef unsigned long int   CK_ULONG;     /* >= 32 bits, native long */
typedef long int            CK_LONG;      /* signed, same size */
typedef CK_ULONG            CK_FLAGS;     /* bit mask */

typedef CK_BYTE     CK_PTR  CK_BYTE_PTR;
typedef CK_CHAR     CK_PTR  CK_CHAR_PTR;
typedef CK_UTF8CHAR CK_PTR  CK_UTF8CHAR_PTR;
typedef CK_ULONG    CK_PTR  CK_ULONG_PTR;
typedef void        CK_PTR  CK_VOID_PTR;
typedef CK_VOID_PTR CK_PTR  CK_VOID_PTR_PTR;

/* special CK_ULONG values */
#define CK_UNAVAILABLE_INFORMATION      (~0UL)
#define CK_EFFECTIVELY_INFINITE         0UL

/* the "no object / no session" handle */
#define CK_INVALID_HANDLE               0UL

/* ======================================================================
 * Versions and general information
 * ====================================================================== */

typedef struct CK_VERSION {
    CK_BYTE major;
    CK_BYTE minor;
} CK_VERSION;
typedef CK_VERSION CK_PTR CK_VERSION_PTR;

typedef struct CK_INFO {
    CK_VERSION  cryptokiVersion;
    CK_UTF8CHAR manufacturerID[32];       /* blank padded */
    CK_FLAGS    flags;                    /* reserved, 0 */
    CK_UTF8CHAR libraryDescription[32];   /* blank padded */
    CK_VERSION  libraryVersion;
} CK_INFO;
typedef CK_INFO CK_PTR CK_INFO_PTR;

/* CK_NOTIFICATION: events passed to a CK_NOTIFY callback */
typedef CK_ULONG CK_NOTIFICATION;
#define CKN_SURRENDER                   0UL
#define CKN_OTP_CHANGED                 1UL

/* ======================================================================
 * Slots
 * ====================================================================== */

typedef CK_ULONG CK_SLOT_ID;
typedef CK_SLOT_ID CK_PTR CK_SLOT_ID_PTR;

typedef struct CK_SLOT_INFO {
    CK_UTF8CHAR slotDescription[64];      /* blank padded */
    CK_UTF8CHAR manufacturerID[32];       /* blank padded */
    CK_FLAGS    flags;
    CK_VERSION  hardwareVersion;
    CK_VERSION  firmwareVersion;
} CK_SLOT_INFO;
typedef CK_SLOT_INFO CK_PTR CK_SLOT_INFO_PTR;

/* CK_SLOT_INFO.flags */
#define CKF_TOKEN_PRESENT               0x00000001UL
#define CKF_REMOVABLE_DEVICE            0x00000002UL
#define CKF_HW_SLOT                     0x00000004UL

/* ======================================================================
 * Tokens
 * ====================================================================== */

typedef struct CK_TOKEN_INFO {
    CK_UTF8CHAR label[32];                /* blank padded */
    CK_UTF8CHAR manufacturerID[32];       /* blank padded */
    CK_UTF8CHAR model[16];                /* blank padded */
    CK_CHAR     serialNumber[16];         /* blank padded */
    CK_FLAGS    flags;
    CK_ULONG    ulMaxSessionCount;
    CK_ULONG    ulSessionCount;
    CK_ULONG    ulMaxRwSessionCount;
    CK_ULONG    ulRwSessionCount;
    CK_ULONG    ulMaxPinLen;
    CK_ULONG    ulMinPinLen;
    CK_ULONG    ulTotalPublicMemory;
    CK_ULONG    ulFreePublicMemory;
    CK_ULONG    ulTotalPrivateMemory;
    CK_ULONG    ulFreePrivateMemory;
    CK_VERSION  hardwareVersion;
    CK_VERSION  firmwareVersion;
    CK_CHAR     utcTime[16];              /* YYYYMMDDhhmmss00 */
} CK_TOKEN_INFO;
typedef CK_TOKEN_INFO CK_PTR CK_TOKEN_INFO_PTR;

/* CK_TOKEN_INFO.flags */
#define CKF_RNG                         0x00000001UL
#define CKF_WRITE_PROTECTED             0x00000002UL
#define CKF_LOGIN_REQUIRED              0x00000004UL
#define CKF_USER_PIN_INITIALIZED        0x00000008UL
#define CKF_RESTORE_KEY_NOT_NEEDED      0x00000020UL
#define CKF_CLOCK_ON_TOKEN              0x00000040UL
#define CKF_PROTECTED_AUTHENTICATION_PATH 0x00000100UL
#define CKF_DUAL_CRYPTO_OPERATIONS      0x00000200UL
#define CKF_TOKEN_INITIALIZED           0x00000400UL
#define CKF_SECONDARY_AUTHENTICATION    0x00000800UL
#define CKF_USER_PIN_COUNT_LOW          0x00010000UL
#define CKF_USER_PIN_FINAL_TRY          0x00020000UL
#define CKF_USER_PIN_LOCKED             0x00040000UL
#define CKF_USER_PIN_TO_BE_CHANGED      0x00080000UL
#define CKF_SO_PIN_COUNT_LOW            0x00100000UL
#define CKF_SO_PIN_FINAL_TRY            0x00200000UL
#define CKF_SO_PIN_LOCKED               0x00400000UL
#define CKF_SO_PIN_TO_BE_CHANGED        0x00800000UL
#define CKF_ERROR_STATE                 0x01000000UL

/* ======================================================================
 * Sessions
 * ====================================================================== */

typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_SESSION_HANDLE CK_PTR CK_SESSION_HANDLE_PTR;

/* CK_USER_TYPE */
typedef CK_ULONG CK_USER_TYPE;
#define CKU_SO                          0UL
#define CKU_USER                        1UL
#define CKU_CONTEXT_SPECIFIC            2UL

/* CK_STATE */
typedef CK_ULONG CK_STATE;
#define CKS_RO_PUBLIC_SESSION           0UL
#define CKS_RO_USER_FUNCTIONS           1UL
#define CKS_RW_PUBLIC_SESSION           2UL
#define CKS_RW_USER_FUNCTIONS           3UL
#define CKS_RW_SO_FUNCTIONS             4UL

typedef struct CK_SESSION_INFO {
    CK_SLOT_ID slotID;
    CK_STATE   state;
    CK_FLAGS   flags;
    CK_ULONG   ulDeviceError;
} CK_SESSION_INFO;
typedef CK_SESSION_INFO CK_PTR CK_SESSION_INFO_PTR;

/* CK_SESSION_INFO.flags / C_OpenSession flags */
#define CKF_RW_SESSION                  0x00000002UL
#define CKF_SERIAL_SESSION              0x00000004UL

/* Session validation indicator (FIPS 140-3 indicators) */
typedef CK_ULONG CK_SESSION_VALIDATION_FLAGS_TYPE;
#define CKS_LAST_VALIDATION_OK          0x00000001UL

/* ======================================================================
 * Objects
 * ====================================================================== */

typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_OBJECT_HANDLE CK_PTR CK_OBJECT_HANDLE_PTR;

/* CK_OBJECT_CLASS */
typedef CK_ULONG CK_OBJECT_CLASS;
typedef CK_OBJECT_CLASS CK_PTR CK_OBJECT_CLASS_PTR;
#define CKO_DATA                        0x00000000UL
#define CKO_CERTIFICATE                 0x00000001UL
#define CKO_PUBLIC_KEY                  0x00000002UL
#define CKO_PRIVATE_KEY                 0x00000003UL
#define CKO_SECRET_KEY                  0x00000004UL
#define CKO_HW_FEATURE                  0x00000005UL
#define CKO_DOMAIN_PARAMETERS           0x00000006UL
#define CKO_MECHANISM                   0x00000007UL
#define CKO_OTP_KEY                     0x00000008UL
#define CKO_PROFILE                     0x00000009UL
#define CKO_VALIDATION                  0x0000000AUL
#define CKO_TRUST                       0x0000000BUL
#define CKO_VENDOR_DEFINED              0x80000000UL

/* CK_PROFILE_ID (value of CKA_PROFILE_ID) */
typedef CK_ULONG CK_PROFILE_ID;
typedef CK_PROFILE_ID CK_PTR CK_PROFILE_ID_PTR;
#define CKP_INVALID_ID                  0x00000000UL
#define CKP_BASELINE_PROVIDER           0x00000001UL
#define CKP_EXTENDED_PROVIDER           0x00000002UL
#define CKP_AUTHENTICATION_TOKEN        0x00000003UL
#define CKP_PUBLIC_CERTIFICATES_TOKEN   0x00000004UL
#define CKP_COMPLETE_PROVIDER           0x00000005UL
#define CKP_HKDF_TLS_TOKEN              0x00000006UL
#define CKP_VENDOR_DEFINED              0x80000000UL

/* CK_HW_FEATURE_TYPE */
typedef CK_ULONG CK_HW_FEATURE_TYPE;
#define CKH_MONOTONIC_COUNTER           0x00000001UL
#define CKH_CLOCK                       0x00000002UL
#define CKH_USER_INTERFACE              0x00000003UL
#define CKH_VENDOR_DEFINED              0x80000000UL

/* CK_KEY_TYPE */
typedef CK_ULONG CK_KEY_TYPE;
#define CKK_RSA                         0x00000000UL
#define CKK_DSA                         0x00000001UL
#define CKK_DH                          0x00000002UL
#define CKK_EC                          0x00000003UL
#define CKK_ECDSA                       CKK_EC        /* old name */
#define CKK_X9_42_DH                    0x00000004UL
#define CKK_KEA                         0x00000005UL
#define CKK_GENERIC_SECRET              0x00000010UL
#define CKK_RC2                         0x00000011UL
#define CKK_RC4                         0x00000012UL
#define CKK_DES                         0x00000013UL
#define CKK_DES2                        0x00000014UL
#define CKK_DES3                        0x00000015UL
#define CKK_CAST                        0x00000016UL
#define CKK_CAST3                       0x00000017UL
#define CKK_CAST128                     0x00000018UL
#define CKK_CAST5                       CKK_CAST128   /* old name */
#define CKK_RC5                         0x00000019UL
#define CKK_IDEA                        0x0000001AUL
#define CKK_SKIPJACK                    0x0000001BUL
#define CKK_BATON                       0x0000001CUL
#define CKK_JUNIPER                     0x0000001DUL
#define CKK_CDMF                        0x0000001EUL
#define CKK_AES                         0x0000001FUL
#define CKK_BLOWFISH                    0x00000020UL
#define CKK_TWOFISH                     0x00000021UL
#define CKK_SECURID                     0x00000022UL
#define CKK_HOTP                        0x00000023UL
#define CKK_ACTI                        0x00000024UL
#define CKK_CAMELLIA                    0x00000025UL
#define CKK_ARIA                        0x00000026UL
#define CKK_MD5_HMAC                    0x00000027UL
#define CKK_SHA_1_HMAC                  0x00000028UL
#define CKK_RIPEMD128_HMAC              0x00000029UL
#define CKK_RIPEMD160_HMAC              0x0000002AUL
#define CKK_SHA256_HMAC                 0x0000002BUL
#define CKK_SHA384_HMAC                 0x0000002CUL
#define CKK_SHA512_HMAC                 0x0000002DUL
#define CKK_SHA224_HMAC                 0x0000002EUL
#define CKK_SEED                        0x0000002FUL
#define CKK_GOSTR3410                   0x00000030UL
#define CKK_GOSTR3411                   0x00000031UL
#define CKK_GOST28147                   0x00000032UL
#define CKK_CHACHA20                    0x00000033UL
#define CKK_POLY1305                    0x00000034UL
#define CKK_AES_XTS                     0x00000035UL
#define CKK_SHA3_224_HMAC               0x00000036UL
#define CKK_SHA3_256_HMAC               0x00000037UL
#define CKK_SHA3_384_HMAC               0x00000038UL
#define CKK_SHA3_512_HMAC               0x00000039UL
#define CKK_BLAKE2B_160_HMAC            0x0000003AUL
#define CKK_BLAKE2B_256_HMAC            0x0000003BUL
#define CKK_BLAKE2B_384_HMAC            0x0000003CUL
#define CKK_BLAKE2B_512_HMAC            0x0000003DUL
#define CKK_SALSA20                     0x0000003EUL
#define CKK_X2RATCHET                   0x0000003FUL
#define CKK_EC_EDWARDS                  0x00000040UL
#define CKK_EC_MONTGOMERY               0x00000041UL
#define CKK_HKDF                        0x00000042UL
#define CKK_SHA512_224_HMAC             0x00000043UL
#define CKK_SHA512_256_HMAC             0x00000044UL
#define CKK_SHA512_T_HMAC               0x00000045UL
#define CKK_HSS                         0x00000046UL
#define CKK_VENDOR_DEFINED              0x80000000UL

/* CK_CERTIFICATE_TYPE */
typedef CK_ULONG CK_CERTIFICATE_TYPE;
#define CKC_X_509                       0x00000000UL
#define CKC_X_509_ATTR_CERT             0x00000001UL
#define CKC_WTLS                        0x00000002UL
#define CKC_VENDOR_DEFINED              0x80000000UL

/* CK_CERTIFICATE_CATEGORY (value of CKA_CERTIFICATE_CATEGORY) */
typedef CK_ULONG CK_CERTIFICATE_CATEGORY;
#define CK_CERTIFICATE_CATEGORY_UNSPECIFIED     0UL
#define CK_CERTIFICATE_CATEGORY_TOKEN_USER      1UL
#define CK_CERTIFICATE_CATEGORY_AUTHORITY       2UL
#define CK_CERTIFICATE_CATEGORY_OTHER_ENTITY    3UL

/* CK_JAVA_MIDP_SECURITY_DOMAIN (value of CKA_JAVA_MIDP_SECURITY_DOMAIN) */
typedef CK_ULONG CK_JAVA_MIDP_SECURITY_DOMAIN;
#define CK_SECURITY_DOMAIN_UNSPECIFIED  0UL
#define CK_SECURITY_DOMAIN_MANUFACTURER 1UL
#define CK_SECURITY_DOMAIN_OPERATOR     2UL
#define CK_SECURITY_DOMAIN_THIRD_PARTY  3UL

/* ======================================================================
 * Attributes
 * ====================================================================== */

typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ATTRIBUTE_TYPE CK_PTR CK_ATTRIBUTE_TYPE_PTR;

/* marks attributes whose value is an array of CK_ATTRIBUTE */
#define CKF_ARRAY_ATTRIBUTE             0x40000000UL

/* OTP formats and requirements (values of CKA_OTP_*) */
#define CK_OTP_FORMAT_DECIMAL           0UL
#define CK_OTP_FORMAT_HEXADECIMAL       1UL
#define CK_OTP_FORMAT_ALPHANUMERIC      2UL
#define CK_OTP_FORMAT_BINARY            3UL
#define CK_OTP_PARAM_IGNORED            0UL
#define CK_OTP_PARAM_OPTIONAL           1UL
#define CK_OTP_PARAM_MANDATORY          2UL

#define CKA_CLASS                       0x00000000UL
#define CKA_TOKEN                       0x00000001UL
#define CKA_PRIVATE                     0x00000002UL
#define CKA_LABEL                       0x00000003UL
#define CKA_UNIQUE_ID                   0x00000004UL
#define CKA_APPLICATION                 0x00000010UL
#define CKA_VALUE                       0x00000011UL
#define CKA_OBJECT_ID                   0x00000012UL
#define CKA_CERTIFICATE_TYPE            0x00000080UL
#define CKA_ISSUER                      0x00000081UL
#define CKA_SERIAL_NUMBER               0x00000082UL
#define CKA_AC_ISSUER                   0x00000083UL
#define CKA_OWNER                       0x00000084UL
#define CKA_ATTR_TYPES                  0x00000085UL
#define CKA_TRUSTED                     0x00000086UL
#define CKA_CERTIFICATE_CATEGORY        0x00000087UL
#define CKA_JAVA_MIDP_SECURITY_DOMAIN   0x00000088UL
#define CKA_URL                         0x00000089UL
#define CKA_HASH_OF_SUBJECT_PUBLIC_KEY  0x0000008AUL
#define CKA_HASH_OF_ISSUER_PUBLIC_KEY   0x0000008BUL
#define CKA_NAME_HASH_ALGORITHM         0x0000008CUL
#define CKA_CHECK_VALUE                 0x00000090UL

#define CKA_KEY_TYPE                    0x00000100UL
#define CKA_SUBJECT                     0x00000101UL
#define CKA_ID                          0x00000102UL
#define CKA_SENSITIVE                   0x00000103UL
#define CKA_ENCRYPT                     0x00000104UL
#define CKA_DECRYPT                     0x00000105UL
#define CKA_WRAP                        0x00000106UL
#define CKA_UNWRAP                      0x00000107UL
#define CKA_SIGN                        0x00000108UL
#define CKA_SIGN_RECOVER                0x00000109UL
#define CKA_VERIFY                      0x0000010AUL
#define CKA_VERIFY_RECOVER              0x0000010BUL
#define CKA_DERIVE                      0x0000010CUL
#define CKA_START_DATE                  0x00000110UL
#define CKA_END_DATE                    0x00000111UL
#define CKA_MODULUS                     0x00000120UL
#define CKA_MODULUS_BITS                0x00000121UL
#define CKA_PUBLIC_EXPONENT             0x00000122UL
#define CKA_PRIVATE_EXPONENT            0x00000123UL
#define CKA_PRIME_1                     0x00000124UL
#define CKA_PRIME_2                     0x00000125UL
#define CKA_EXPONENT_1                  0x00000126UL
#define CKA_EXPONENT_2                  0x00000127UL
#define CKA_COEFFICIENT                 0x00000128UL
#define CKA_PUBLIC_KEY_INFO             0x00000129UL
#define CKA_PRIME                       0x00000130UL
#define CKA_SUBPRIME                    0x00000131UL
#define CKA_BASE                        0x00000132UL
#define CKA_PRIME_BITS                  0x00000133UL
#define CKA_SUBPRIME_BITS               0x00000134UL
#define CKA_SUB_PRIME_BITS              CKA_SUBPRIME_BITS
#define CKA_VALUE_BITS                  0x00000160UL
#define CKA_VALUE_LEN                   0x00000161UL
#define CKA_EXTRACTABLE                 0x00000162UL
#define CKA_LOCAL                       0x00000163UL
#define CKA_NEVER_EXTRACTABLE           0x00000164UL
#define CKA_ALWAYS_SENSITIVE            0x00000165UL
#define CKA_KEY_GEN_MECHANISM           0x00000166UL
#define CKA_MODIFIABLE                  0x00000170UL
#define CKA_COPYABLE                    0x00000171UL
#define CKA_DESTROYABLE                 0x00000172UL
#define CKA_EC_PARAMS                   0x00000180UL
#define CKA_ECDSA_PARAMS                CKA_EC_PARAMS /* old name */
#define CKA_EC_POINT                    0x00000181UL
#define CKA_SECONDARY_AUTH              0x00000200UL  /* deprecated */
#define CKA_AUTH_PIN_FLAGS              0x00000201UL  /* deprecated */
#define CKA_ALWAYS_AUTHENTICATE         0x00000202UL
#define CKA_WRAP_WITH_TRUSTED           0x00000210UL
#define CKA_WRAP_TEMPLATE               (CKF_ARRAY_ATTRIBUTE | 0x00000211UL)
#define CKA_UNWRAP_TEMPLATE             (CKF_ARRAY_ATTRIBUTE | 0x00000212UL)
#define CKA_DERIVE_TEMPLATE             (CKF_ARRAY_ATTRIBUTE | 0x00000213UL)

#define CKA_OTP_FORMAT                  0x00000220UL
#define CKA_OTP_LENGTH                  0x00000221UL
#define CKA_OTP_TIME_INTERVAL           0x00000222UL
#define CKA_OTP_USER_FRIENDLY_MODE      0x00000223UL
#define CKA_OTP_CHALLENGE_REQUIREMENT   0x00000224UL
#define CKA_OTP_TIME_REQUIREMENT        0x00000225UL
#define CKA_OTP_COUNTER_REQUIREMENT     0x00000226UL
#define CKA_OTP_PIN_REQUIREMENT         0x00000227UL
#define CKA_OTP_USER_IDENTIFIER         0x0000022AUL
#define CKA_OTP_SERVICE_IDENTIFIER      0x0000022BUL
#define CKA_OTP_SERVICE_LOGO            0x0000022CUL
#define CKA_OTP_SERVICE_LOGO_TYPE       0x0000022DUL
#define CKA_OTP_COUNTER                 0x0000022EUL
#define CKA_OTP_TIME                    0x0000022FUL

#define CKA_GOSTR3410_PARAMS            0x00000250UL
#define CKA_GOSTR3411_PARAMS            0x00000251UL
#define CKA_GOST28147_PARAMS            0x00000252UL

#define CKA_HW_FEATURE_TYPE             0x00000300UL
#define CKA_RESET_ON_INIT               0x00000301UL
#define CKA_HAS_RESET                   0x00000302UL

#define CKA_PIXEL_X                     0x00000400UL
#define CKA_PIXEL_Y                     0x00000401UL
#define CKA_RESOLUTION                  0x00000402UL
#define CKA_CHAR_ROWS                   0x00000403UL
#define CKA_CHAR_COLUMNS                0x00000404UL
#define CKA_COLOR                       0x00000405UL
#define CKA_BITS_PER_PIXEL              0x00000406UL
#define CKA_CHAR_SETS                   0x00000480UL
#define CKA_ENCODING_METHODS            0x00000481UL
#define CKA_MIME_TYPES                  0x00000482UL

#define CKA_MECHANISM_TYPE              0x00000500UL
#define CKA_REQUIRED_CMS_ATTRIBUTES     0x00000501UL
#define CKA_DEFAULT_CMS_ATTRIBUTES      0x00000502UL
#define CKA_SUPPORTED_CMS_ATTRIBUTES    0x00000503UL
#define CKA_ALLOWED_MECHANISMS          (CKF_ARRAY_ATTRIBUTE | 0x00000600UL)
#define CKA_PROFILE_ID                  0x00000601UL

#define CKA_X2RATCHET_BAG               0x00000602UL
#define CKA_X2RATCHET_BAGSIZE           0x00000603UL
#define CKA_X2RATCHET_BOBS1STMSG        0x00000604UL
#define CKA_X2RATCHET_CKR               0x00000605UL
#define CKA_X2RATCHET_CKS               0x00000606UL
#define CKA_X2RATCHET_DHP               0x00000607UL
#define CKA_X2RATCHET_DHR               0x00000608UL
#define CKA_X2RATCHET_DHS               0x00000609UL
#define CKA_X2RATCHET_HKR               0x0000060AUL
#define CKA_X2RATCHET_HKS               0x0000060BUL
#define CKA_X2RATCHET_ISALICE           0x0000060CUL
#define CKA_X2RATCHET_NHKR              0x0000060DUL
#define CKA_X2RATCHET_NHKS              0x0000060EUL
#define CKA_X2RATCHET_NR                0x0000060FUL
#define CKA_X2RATCHET_NS                0x00000610UL
#define CKA_X2RATCHET_PNS               0x00000611UL
#define CKA_X2RATCHET_RK                0x00000612UL

#define CKA_HSS_LEVELS                  0x00000617UL
#define CKA_HSS_LMS_TYPE                0x00000618UL
#define CKA_HSS_LMOTS_TYPE              0x00000619UL
#define CKA_HSS_LMS_TYPES               0x0000061AUL
#define CKA_HSS_LMOTS_TYPES             0x0000061BUL
#define CKA_HSS_KEYS_REMAINING          0x0000061CUL

#define CKA_VENDOR_DEFINED              0x80000000UL

/* one attribute of a template */
typedef struct CK_ATTRIBUTE {
    CK_ATTRIBUTE_TYPE type;
    CK_VOID_PTR       pValue;
    CK_ULONG          ulValueLen;         /* in bytes */
} CK_ATTRIBUTE;
typedef CK_ATTRIBUTE CK_PTR CK_ATTRIBUTE_PTR;

/* calendar date, ASCII digits */
typedef struct CK_DATE {
    CK_CHAR year[4];                      /* "1900".."9999" */
    CK_CHAR month[2];                     /* "01".."12" */
    CK_CHAR day[2];                       /* "01".."31" */
} CK_DATE;

/* Mechanism types and their information: pkcs11m.h. */
#include "pkcs11m.h"

/* ======================================================================
 * Return values
 * ====================================================================== */

typedef CK_ULONG CK_RV;

#define CKR_OK                                  0x00000000UL
#define CKR_CANCEL                              0x00000001UL
#define CKR_HOST_MEMORY                         0x00000002UL
#define CKR_SLOT_ID_INVALID                     0x00000003UL
#define CKR_GENERAL_ERROR                       0x00000005UL
#define CKR_FUNCTION_FAILED                     0x00000006UL
#define CKR_ARGUMENTS_BAD                       0x00000007UL
#define CKR_NO_EVENT                            0x00000008UL
#define CKR_NEED_TO_CREATE_THREADS              0x00000009UL
#define CKR_CANT_LOCK                           0x0000000AUL
#define CKR_ATTRIBUTE_READ_ONLY                 0x00000010UL
#define CKR_ATTRIBUTE_SENSITIVE                 0x00000011UL
#define CKR_ATTRIBUTE_TYPE_INVALID              0x00000012UL
#define CKR_ATTRIBUTE_VALUE_INVALID             0x00000013UL
#define CKR_ACTION_PROHIBITED                   0x0000001BUL
#define CKR_DATA_INVALID                        0x00000020UL
#define CKR_DATA_LEN_RANGE                      0x00000021UL
#define CKR_DEVICE_ERROR                        0x00000030UL
#define CKR_DEVICE_MEMORY                       0x00000031UL
#define CKR_DEVICE_REMOVED                      0x00000032UL
#define CKR_ENCRYPTED_DATA_INVALID              0x00000040UL
#define CKR_ENCRYPTED_DATA_LEN_RANGE            0x00000041UL
#define CKR_AEAD_DECRYPT_FAILED                 0x00000042UL
#define CKR_FUNCTION_CANCELED                   0x00000050UL
#define CKR_FUNCTION_NOT_PARALLEL               0x00000051UL
#define CKR_FUNCTION_NOT_SUPPORTED              0x00000054UL
#define CKR_KEY_HANDLE_INVALID                  0x00000060UL
#define CKR_KEY_SIZE_RANGE                      0x00000062UL
#define CKR_KEY_TYPE_INCONSISTENT               0x00000063UL
#define CKR_KEY_NOT_NEEDED                      0x00000064UL
#define CKR_KEY_CHANGED                         0x00000065UL
#define CKR_KEY_NEEDED                          0x00000066UL
#define CKR_KEY_INDIGESTIBLE                    0x00000067UL
#define CKR_KEY_FUNCTION_NOT_PERMITTED          0x00000068UL
#define CKR_KEY_NOT_WRAPPABLE                   0x00000069UL
#define CKR_KEY_UNEXTRACTABLE                   0x0000006AUL
#define CKR_MECHANISM_INVALID                   0x00000070UL
#define CKR_MECHANISM_PARAM_INVALID             0x00000071UL
#define CKR_OBJECT_HANDLE_INVALID               0x00000082UL
#define CKR_OPERATION_ACTIVE                    0x00000090UL
#define CKR_OPERATION_NOT_INITIALIZED           0x00000091UL
#define CKR_PIN_INCORRECT                       0x000000A0UL
#define CKR_PIN_INVALID                         0x000000A1UL
#define CKR_PIN_LEN_RANGE                       0x000000A2UL
#define CKR_PIN_EXPIRED                         0x000000A3UL
#define CKR_PIN_LOCKED                          0x000000A4UL
#define CKR_SESSION_CLOSED                      0x000000B0UL
#define CKR_SESSION_COUNT                       0x000000B1UL
#define CKR_SESSION_HANDLE_INVALID              0x000000B3UL
#define CKR_SESSION_PARALLEL_NOT_SUPPORTED      0x000000B4UL
#define CKR_SESSION_READ_ONLY                   0x000000B5UL
#define CKR_SESSION_EXISTS                      0x000000B6UL
#define CKR_SESSION_READ_ONLY_EXISTS            0x000000B7UL
#define CKR_SESSION_READ_WRITE_SO_EXISTS        0x000000B8UL
#define CKR_SIGNATURE_INVALID                   0x000000C0UL
#define CKR_SIGNATURE_LEN_RANGE                 0x000000C1UL
#define CKR_TEMPLATE_INCOMPLETE                 0x000000D0UL
#define CKR_TEMPLATE_INCONSISTENT               0x000000D1UL
#define CKR_TOKEN_NOT_PRESENT                   0x000000E0UL
#define CKR_TOKEN_NOT_RECOGNIZED                0x000000E1UL
#define CKR_TOKEN_WRITE_PROTECTED               0x000000E2UL
#define CKR_UNWRAPPING_KEY_HANDLE_INVALID       0x000000F0UL
#define CKR_UNWRAPPING_KEY_SIZE_RANGE           0x000000F1UL
#define CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT    0x000000F2UL
#define CKR_USER_ALREADY_LOGGED_IN              0x00000100UL
#define CKR_USER_NOT_LOGGED_IN                  0x00000101UL
#define CKR_USER_PIN_NOT_INITIALIZED            0x00000102UL
#define CKR_USER_TYPE_INVALID                   0x00000103UL
#define CKR_USER_ANOTHER_ALREADY_LOGGED_IN      0x00000104UL
#define CKR_USER_TOO_MANY_TYPES                 0x00000105UL
#define CKR_WRAPPED_KEY_INVALID                 0x00000110UL
#define CKR_WRAPPED_KEY_LEN_RANGE               0x00000112UL
#define CKR_WRAPPING_KEY_HANDLE_INVALID         0x00000113UL
#define CKR_WRAPPING_KEY_SIZE_RANGE             0x00000114UL
#define CKR_WRAPPING_KEY_TYPE_INCONSISTENT      0x00000115UL
#define CKR_RANDOM_SEED_NOT_SUPPORTED           0x00000120UL
#define CKR_RANDOM_NO_RNG                       0x00000121UL
#define CKR_DOMAIN_PARAMS_INVALID               0x00000130UL
#define CKR_CURVE_NOT_SUPPORTED                 0x00000140UL
#define CKR_BUFFER_TOO_SMALL                    0x00000150UL
#define CKR_SAVED_STATE_INVALID                 0x00000160UL
#define CKR_INFORMATION_SENSITIVE               0x00000170UL
#define CKR_STATE_UNSAVEABLE                    0x00000180UL
#define CKR_CRYPTOKI_NOT_INITIALIZED            0x00000190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED        0x00000191UL
#define CKR_MUTEX_BAD                           0x000001A0UL
#define CKR_MUTEX_NOT_LOCKED                    0x000001A1UL
#define CKR_NEW_PIN_MODE                        0x000001B0UL
#define CKR_NEXT_OTP                            0x000001B1UL
#define CKR_EXCEEDED_MAX_ITERATIONS             0x000001B5UL
#define CKR_FIPS_SELF_TEST_FAILED               0x000001B6UL
#define CKR_LIBRARY_LOAD_FAILED                 0x000001B7UL
#define CKR_PIN_TOO_WEAK                        0x000001B8UL
#define CKR_PUBLIC_KEY_INVALID                  0x000001B9UL
#define CKR_FUNCTION_REJECTED                   0x00000200UL
#define CKR_TOKEN_RESOURCE_EXCEEDED             0x00000201UL
#define CKR_OPERATION_CANCEL_FAILED             0x00000202UL
#define CKR_KEY_EXHAUSTED                       0x00000203UL
#define CKR_VENDOR_DEFINED                      0x80000000UL

/* ======================================================================
 * Callbacks and library initialisation
 * ====================================================================== */

/* application notification callback, passed to C_OpenSession */
typedef CK_CALLBACK_FUNCTION(CK_RV, CK_NOTIFY)(
    CK_SESSION_HANDLE hSession,
    CK_NOTIFICATION   event,
    CK_VOID_PTR       pApplication
);

/* mutex callbacks supplied in CK_C_INITIALIZE_ARGS */
typedef CK_CALLBACK_FUNCTION(CK_RV, CK_CREATEMUTEX)(CK_VOID_PTR_PTR ppMutex);
typedef CK_CALLBACK_FUNCTION(CK_RV, CK_DESTROYMUTEX)(CK_VOID_PTR pMutex);
typedef CK_CALLBACK_FUNCTION(CK_RV, CK_LOCKMUTEX)(CK_VOID_PTR pMutex);
typedef CK_CALLBACK_FUNCTION(CK_RV, CK_UNLOCKMUTEX)(CK_VOID_PTR pMutex);

typedef struct CK_C_INITIALIZE_ARGS {
    CK_CREATEMUTEX  CreateMutex;
    CK_DESTROYMUTEX DestroyMutex;
    CK_LOCKMUTEX    LockMutex;
    CK_UNLOCKMUTEX  UnlockMutex;
    CK_FLAGS        flags;
    CK_VOID_PTR     pReserved;
} CK_C_INITIALIZE_ARGS;
typedef CK_C_INITIALIZE_ARGS CK_PTR CK_C_INITIALIZE_ARGS_PTR;

/* CK_C_INITIALIZE_ARGS.flags */
#define CKF_LIBRARY_CANT_CREATE_OS_THREADS      0x00000001UL
#define CKF_OS_LOCKING_OK                       0x00000002UL

/* C_WaitForSlotEvent flags */
#define CKF_DONT_BLOCK                          1UL

/* C_EncryptMessageNext / C_DecryptMessageNext flags */
#define CKF_END_OF_MESSAGE                      0x00000001UL

/* ======================================================================
 * Function lists and interfaces (structures completed in pkcs11.h)
 * ====================================================================== */

typedef struct CK_FUNCTION_LIST CK_FUNCTION_LIST;
typedef struct CK_FUNCTION_LIST_3_0 CK_FUNCTION_LIST_3_0;

typedef CK_FUNCTION_LIST CK_PTR CK_FUNCTION_LIST_PTR;
typedef CK_FUNCTION_LIST_PTR CK_PTR CK_FUNCTION_LIST_PTR_PTR;
typedef CK_FUNCTION_LIST_3_0 CK_PTR CK_FUNCTION_LIST_3_0_PTR;
typedef CK_FUNCTION_LIST_3_0_PTR CK_PTR CK_FUNCTION_LIST_3_0_PTR_PTR;

typedef struct CK_INTERFACE {
    CK_CHAR_PTR pInterfaceName;           /* e.g. "PKCS 11" */
    CK_VOID_PTR pFunctionList;            /* version-specific list */
    CK_FLAGS    flags;
} CK_INTERFACE;
typedef CK_INTERFACE CK_PTR CK_INTERFACE_PTR;
typedef CK_INTERFACE_PTR CK_PTR CK_INTERFACE_PTR_PTR;

/* CK_INTERFACE.flags */
#define CKF_INTERFACE_FORK_SAFE                 0x00000001UL

/* ======================================================================
 * Mechanism parameters
 * ====================================================================== */

/* ---- RSA PKCS #1 v2 (OAEP / PSS) ---- */

typedef CK_ULONG CK_RSA_PKCS_MGF_TYPE;
typedef CK_RSA_PKCS_MGF_TYPE CK_PTR CK_RSA_PKCS_MGF_TYPE_PTR;
#define CKG_MGF1_SHA1                           0x00000001UL
#define CKG_MGF1_SHA256                         0x00000002UL
#define CKG_MGF1_SHA384                         0x00000003UL
#define CKG_MGF1_SHA512                         0x00000004UL
#define CKG_MGF1_SHA224                         0x00000005UL
#define CKG_MGF1_SHA3_224                       0x00000006UL
#define CKG_MGF1_SHA3_256                       0x00000007UL
#define CKG_MGF1_SHA3_384                       0x00000008UL
#define CKG_MGF1_SHA3_512                       0x00000009UL

typedef CK_ULONG CK_RSA_PKCS_OAEP_SOURCE_TYPE;
typedef CK_RSA_PKCS_OAEP_SOURCE_TYPE CK_PTR CK_RSA_PKCS_OAEP_SOURCE_TYPE_PTR;
#define CKZ_DATA_SPECIFIED                      0x00000001UL

typedef struct CK_RSA_PKCS_OAEP_PARAMS {
    CK_MECHANISM_TYPE            hashAlg;
    CK_RSA_PKCS_MGF_TYPE         mgf;
    CK_RSA_PKCS_OAEP_SOURCE_TYPE source;
    CK_VOID_PTR                  pSourceData;   /* label */
    CK_ULONG                     ulSourceDataLen;
} CK_RSA_PKCS_OAEP_PARAMS;
typedef CK_RSA_PKCS_OAEP_PARAMS CK_PTR CK_RSA_PKCS_OAEP_PARAMS_PTR;

typedef struct CK_RSA_PKCS_PSS_PARAMS {
    CK_MECHANISM_TYPE    hashAlg;
    CK_RSA_PKCS_MGF_TYPE mgf;
    CK_ULONG             sLen;                  /* salt length, bytes */
} CK_RSA_PKCS_PSS_PARAMS;
typedef CK_RSA_PKCS_PSS_PARAMS CK_PTR CK_RSA_PKCS_PSS_PARAMS_PTR;

typedef struct CK_RSA_AES_KEY_WRAP_PARAMS {
    CK_ULONG                    ulAESKeyBits;
    CK_RSA_PKCS_OAEP_PARAMS_PTR pOAEPParams;
} CK_RSA_AES_KEY_WRAP_PARAMS;
typedef CK_RSA_AES_KEY_WRAP_PARAMS CK_PTR CK_RSA_AES_KEY_WRAP_PARAMS_PTR;

/* ---- elliptic curve key agreement ---- */

typedef CK_ULONG CK_EC_KDF_TYPE;
typedef CK_EC_KDF_TYPE CK_PTR CK_EC_KDF_TYPE_PTR;
#define CKD_NULL                                0x00000001UL
#define CKD_SHA1_KDF                            0x00000002UL
#define CKD_SHA1_KDF_ASN1                       0x00000003UL  /* X9.42 */
#define CKD_SHA1_KDF_CONCATENATE                0x00000004UL  /* X9.42 */
#define CKD_SHA224_KDF                          0x00000005UL
#define CKD_SHA256_KDF                          0x00000006UL
#define CKD_SHA384_KDF                          0x00000007UL
#define CKD_SHA512_KDF                          0x00000008UL
#define CKD_CPDIVERSIFY_KDF                     0x00000009UL
#define CKD_SHA3_224_KDF                        0x0000000AUL
#define CKD_SHA3_256_KDF                        0x0000000BUL
#define CKD_SHA3_384_KDF                        0x0000000CUL
#define CKD_SHA3_512_KDF                        0x0000000DUL
#define CKD_SHA1_KDF_SP800                      0x0000000EUL
#define CKD_SHA224_KDF_SP800                    0x0000000FUL
#define CKD_SHA256_KDF_SP800                    0x00000010UL
#define CKD_SHA384_KDF_SP800                    0x00000011UL
#define CKD_SHA512_KDF_SP800                    0x00000012UL
#define CKD_SHA3_224_KDF_SP800                  0x00000013UL
#define CKD_SHA3_256_KDF_SP800                  0x00000014UL
#define CKD_SHA3_384_KDF_SP800                  0x00000015UL
#define CKD_SHA3_512_KDF_SP800                  0x00000016UL
#define CKD_BLAKE2B_160_KDF                     0x00000017UL
#define CKD_BLAKE2B_256_KDF                     0x00000018UL
#define CKD_BLAKE2B_384_KDF                     0x00000019UL
#define CKD_BLAKE2B_512_KDF                     0x0000001AUL

typedef struct CK_ECDH1_DERIVE_PARAMS {
    CK_EC_KDF_TYPE kdf;
    CK_ULONG       ulSharedDataLen;
    CK_BYTE_PTR    pSharedData;
    CK_ULONG       ulPublicDataLen;
    CK_BYTE_PTR    pPublicData;               /* peer public value */
} CK_ECDH1_DERIVE_PARAMS;
typedef CK_ECDH1_DERIVE_PARAMS CK_PTR CK_ECDH1_DERIVE_PARAMS_PTR;

/* ---- EdDSA ---- */

typedef struct CK_EDDSA_PARAMS {
    CK_BBOOL    phFlag;                       /* prehash variant */
    CK_ULONG    ulContextDataLen;
    CK_BYTE_PTR pContextData;
} CK_EDDSA_PARAMS;
typedef CK_EDDSA_PARAMS CK_PTR CK_EDDSA_PARAMS_PTR;

/* ---- AES modes ---- */

typedef struct CK_AES_CTR_PARAMS {
    CK_ULONG ulCounterBits;
    CK_BYTE  cb[16];                          /* initial counter block */
} CK_AES_CTR_PARAMS;
typedef CK_AES_CTR_PARAMS CK_PTR CK_AES_CTR_PARAMS_PTR;

typedef struct CK_GCM_PARAMS {
    CK_BYTE_PTR pIv;
    CK_ULONG    ulIvLen;
    CK_ULONG    ulIvBits;
    CK_BYTE_PTR pAAD;
    CK_ULONG    ulAADLen;
    CK_ULONG    ulTagBits;
} CK_GCM_PARAMS;
typedef CK_GCM_PARAMS CK_PTR CK_GCM_PARAMS_PTR;

typedef struct CK_CCM_PARAMS {
    CK_ULONG    ulDataLen;
    CK_BYTE_PTR pNonce;
    CK_ULONG    ulNonceLen;
    CK_BYTE_PTR pAAD;
    CK_ULONG    ulAADLen;
    CK_ULONG    ulMACLen;
} CK_CCM_PARAMS;
typedef CK_CCM_PARAMS CK_PTR CK_CCM_PARAMS_PTR;

typedef struct CK_AES_CBC_ENCRYPT_DATA_PARAMS {
    CK_BYTE     iv[16];
    CK_BYTE_PTR pData;
    CK_ULONG    length;
} CK_AES_CBC_ENCRYPT_DATA_PARAMS;
typedef CK_AES_CBC_ENCRYPT_DATA_PARAMS CK_PTR CK_AES_CBC_ENCRYPT_DATA_PARAMS_PTR;

/* ---- message-based (3.0) AEAD parameters ---- */

typedef CK_ULONG CK_GENERATOR_FUNCTION;
#define CKG_NO_GENERATE                         0x00000000UL
#define CKG_GENERATE                            0x00000001UL
#define CKG_GENERATE_COUNTER                    0x00000002UL
#define CKG_GENERATE_RANDOM                     0x00000003UL
#define CKG_GENERATE_COUNTER_XOR                0x00000004UL

typedef struct CK_GCM_MESSAGE_PARAMS {
    CK_BYTE_PTR           pIv;
    CK_ULONG              ulIvLen;
    CK_ULONG              ulIvFixedBits;
    CK_GENERATOR_FUNCTION ivGenerator;
    CK_BYTE_PTR           pTag;
    CK_ULONG              ulTagBits;
} CK_GCM_MESSAGE_PARAMS;
typedef CK_GCM_MESSAGE_PARAMS CK_PTR CK_GCM_MESSAGE_PARAMS_PTR;

typedef struct CK_CCM_MESSAGE_PARAMS {
    CK_ULONG              ulDataLen;
    CK_BYTE_PTR           pNonce;
    CK_ULONG              ulNonceLen;
    CK_ULONG              ulNonceFixedBits;
    CK_GENERATOR_FUNCTION nonceGenerator;
    CK_BYTE_PTR           pMAC;
    CK_ULONG              ulMACLen;
} CK_CCM_MESSAGE_PARAMS;
typedef CK_CCM_MESSAGE_PARAMS CK_PTR CK_CCM_MESSAGE_PARAMS_PTR;

/* ---- simple derivations ---- */

typedef struct CK_KEY_DERIVATION_STRING_DATA {
    CK_BYTE_PTR pData;
    CK_ULONG    ulLen;
} CK_KEY_DERIVATION_STRING_DATA;
typedef CK_KEY_DERIVATION_STRING_DATA CK_PTR CK_KEY_DERIVATION_STRING_DATA_PTR;

/* ---- HKDF ---- */

#define CKF_HKDF_SALT_NULL                      0x00000001UL
#define CKF_HKDF_SALT_DATA                      0x00000002UL
#define CKF_HKDF_SALT_KEY                       0x00000004UL

typedef struct CK_HKDF_PARAMS {
    CK_BBOOL          bExtract;
    CK_BBOOL          bExpand;
    CK_MECHANISM_TYPE prfHashMechanism;
    CK_ULONG          ulSaltType;             /* CKF_HKDF_SALT_* */
    CK_BYTE_PTR       pSalt;
    CK_ULONG          ulSaltLen;
    CK_OBJECT_HANDLE  hSaltKey;
    CK_BYTE_PTR       pInfo;
    CK_ULONG          ulInfoLen;
} CK_HKDF_PARAMS;
typedef CK_HKDF_PARAMS CK_PTR CK_HKDF_PARAMS_PTR;

#endif /* CAREID_PKCS11T_H */
