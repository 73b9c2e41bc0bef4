/* The issuer (issuer.h): loading it, issuing a card's certificates, and
 * making a demo issuer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/config.h"
#include "policy/policy.h"
#include "tool/issuer.h"
#include "tool/issuer_p11.h"

struct tool_issuer {
	X509 *cert;
	EVP_PKEY *key;      /* a PEM key, or NULL with p11 */
	issuer_p11 *p11;    /* a key on a PKCS#11 token */
	char *org;
	time_t not_before, not_after;
	ASN1_OCTET_STRING *key_id; /* the issuer's subject key identifier */
};

/* ---- OpenSSL context ------------------------------------------------- */

static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *ctx;

static void ctx_init(void)
{
	OSSL_LIB_CTX *c = OSSL_LIB_CTX_new();

	if (c == NULL || OSSL_PROVIDER_load(c, "default") == NULL) {
		OSSL_LIB_CTX_free(c);
		return;
	}
	ctx = c;
}

static OSSL_LIB_CTX *libctx(void)
{
	pthread_once(&ctx_once, ctx_init);
	return ctx;
}

/* ---- messages, time and names ---------------------------------------- */

static tool_issuer_status fail(tool_issuer_why *why, tool_issuer_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static tool_issuer_status fail(tool_issuer_why *why, tool_issuer_status st, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL) {
		va_start(ap, fmt);
		vsnprintf(why->text, sizeof(why->text), fmt, ap);
		va_end(ap);
	}
	return st;
}

/* OpenSSL's own reason for the last failure, for the message. */
static const char *ossl_reason(void)
{
	static __thread char buf[160];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return "no reason given";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static tool_issuer_status crypto_fail(tool_issuer_why *why, const char *what)
{
	return fail(why, TOOL_ISSUER_CRYPTO, "%s failed: %s", what, ossl_reason());
}

static void utc_text(time_t t, char out[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld", (long long)t);
}

static bool leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

time_t tool_issuer_add_years(time_t t, int years)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return (time_t)-1;
	tm.tm_year += years;
	if (tm.tm_mon == 1 && tm.tm_mday == 29 && !leap(tm.tm_year + 1900))
		tm.tm_mday = 28;
	return timegm(&tm);
}

static bool asn1_time_to_t(const ASN1_TIME *a, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return false;
	*out = timegm(&tm);
	return *out != (time_t)-1;
}

static bool uuid_ok(const char *uuid)
{
	if (uuid == NULL || strlen(uuid) != CID_POLICY_UUID_DIGITS)
		return false;
	for (size_t i = 0; i < CID_POLICY_UUID_DIGITS; i++)
		if (uuid[i] < '0' || uuid[i] > '9')
			return false;
	return true;
}

/* RFC 5280 4.2.1.2, method 1: SHA-1 of the subjectPublicKey bits. */
static ASN1_OCTET_STRING *key_id_of(X509_PUBKEY *pub)
{
	const unsigned char *bits;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int bitslen;
	EVP_MD *sha1;
	ASN1_OCTET_STRING *id = NULL;

	if (pub == NULL || X509_PUBKEY_get0_param(NULL, &bits, &bitslen, NULL, pub) != 1)
		return NULL;
	sha1 = EVP_MD_fetch(libctx(), "SHA1", NULL);
	if (sha1 != NULL && EVP_Digest(bits, (size_t)bitslen, md, &mdlen, sha1, NULL) == 1 &&
	    (id = ASN1_OCTET_STRING_new()) != NULL && ASN1_OCTET_STRING_set(id, md, (int)mdlen) != 1) {
		ASN1_OCTET_STRING_free(id);
		id = NULL;
	}
	EVP_MD_free(sha1);
	return id;
}

/* The digest to sign with for the issuer's key: SHA-384 for keys over 256
 * bits of field, none for EdDSA, SHA-256 otherwise. */
static const char *digest_for(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
		return NULL;
	if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 256)
		return "SHA384";
	return "SHA256";
}

static bool sign_cert(X509 *x, EVP_PKEY *key)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	bool ok = m != NULL && EVP_DigestSignInit_ex(m, NULL, digest_for(key), libctx(), NULL, key, NULL) == 1 &&
	          X509_sign_ctx(x, m) > 0;

	EVP_MD_CTX_free(m);
	return ok;
}

/* ---- signing on a PKCS#11 token --------------------------------------- */

/* OpenSSL 3.0 has no call to set a certificate's signature from outside,
 * so the certificate is first signed with a throwaway key of the issuer's
 * curve (which fills in both signature algorithm fields), then its
 * to-be-signed part is signed on the token and the DER put together by
 * hand: SEQUENCE { tbsCertificate, signatureAlgorithm, BIT STRING }. */

static size_t der_len_bytes(size_t n)
{
	return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 4;
}

static uint8_t *der_put_header(uint8_t *p, uint8_t tag, size_t n)
{
	*p++ = tag;
	if (n < 0x80) {
		*p++ = (uint8_t)n;
	} else if (n < 0x100) {
		*p++ = 0x81;
		*p++ = (uint8_t)n;
	} else if (n < 0x10000) {
		*p++ = 0x82;
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
	} else {
		*p++ = 0x83;
		*p++ = (uint8_t)(n >> 16);
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
	}
	return p;
}

/* r || s from the token as an ECDSA-Sig-Value (RFC 3279). */
static int ecdsa_raw_to_der(const uint8_t *raw, size_t len, unsigned char **der)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)(len / 2), NULL);
	BIGNUM *s = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
	int n = -1;

	if (sig != NULL && r != NULL && s != NULL && len % 2 == 0 && ECDSA_SIG_set0(sig, r, s) == 1) {
		r = s = NULL;
		*der = NULL;
		n = i2d_ECDSA_SIG(sig, der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return n;
}

static bool sign_on_token(const tool_issuer *iss, X509 *x, uint8_t **der, size_t *der_len)
{
	EVP_PKEY *ca_pub = X509_get0_pubkey(iss->cert), *throwaway = NULL;
	char group[64];
	unsigned char *tbs = NULL, *alg = NULL, *sig = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint8_t raw[256];
	size_t rawlen = sizeof(raw), body, total;
	int tbslen = -1, alglen = -1, siglen = -1;
	const X509_ALGOR *palg;
	EVP_MD *mdalg = NULL;
	uint8_t *out = NULL, *p;
	bool ok = false;

	if (ca_pub == NULL || !EVP_PKEY_is_a(ca_pub, "EC") ||
	    EVP_PKEY_get_utf8_string_param(ca_pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) != 1 ||
	    (throwaway = EVP_PKEY_Q_keygen(libctx(), NULL, "EC", group)) == NULL || !sign_cert(x, throwaway))
		goto out;
	X509_get0_signature(NULL, &palg, x);
	if ((tbslen = i2d_re_X509_tbs(x, &tbs)) <= 0 || (alglen = i2d_X509_ALGOR(palg, &alg)) <= 0 ||
	    (mdalg = EVP_MD_fetch(libctx(), digest_for(ca_pub), NULL)) == NULL ||
	    EVP_Digest(tbs, (size_t)tbslen, md, &mdlen, mdalg, NULL) != 1 ||
	    issuer_p11_sign(iss->p11, md, mdlen, raw, &rawlen) != 0 || (siglen = ecdsa_raw_to_der(raw, rawlen, &sig)) <= 0)
		goto out;
	/* BIT STRING: one byte of unused bits (none), then the signature. */
	body = (size_t)tbslen + (size_t)alglen + 1 + der_len_bytes((size_t)siglen + 1) + 1 + (size_t)siglen;
	total = 1 + der_len_bytes(body) + body;
	if ((out = OPENSSL_malloc(total)) == NULL)
		goto out;
	p = der_put_header(out, 0x30, body);
	memcpy(p, tbs, (size_t)tbslen);
	p += tbslen;
	memcpy(p, alg, (size_t)alglen);
	p += alglen;
	p = der_put_header(p, 0x03, (size_t)siglen + 1);
	*p++ = 0;
	memcpy(p, sig, (size_t)siglen);
	{
		/* What the token signed must verify under the issuer's certificate:
		 * a URI naming some other key is caught here. */
		const unsigned char *q = out;
		X509 *back = d2i_X509(NULL, &q, (long)total);

		ok = back != NULL && q == out + total && X509_verify(back, ca_pub) == 1;
		X509_free(back);
	}
out:
	if (ok) {
		*der = out;
		*der_len = total;
	} else {
		OPENSSL_free(out);
	}
	EVP_PKEY_free(throwaway);
	EVP_MD_free(mdalg);
	OPENSSL_free(tbs);
	OPENSSL_free(alg);
	OPENSSL_free(sig);
	OPENSSL_cleanse(md, sizeof(md));
	return ok;
}

/* The token's key is the certificate's when a signature it makes over a
 * random digest verifies under the certificate's public key. */
static bool token_key_matches(const tool_issuer *iss)
{
	EVP_PKEY *ca_pub = X509_get0_pubkey(iss->cert);
	EVP_PKEY_CTX *v = NULL;
	unsigned char md[32], *sig = NULL;
	uint8_t raw[256];
	size_t rawlen = sizeof(raw);
	int siglen;
	bool ok;

	ok = ca_pub != NULL && RAND_bytes_ex(libctx(), md, sizeof(md), 0) == 1 &&
	     issuer_p11_sign(iss->p11, md, sizeof(md), raw, &rawlen) == 0 &&
	     (siglen = ecdsa_raw_to_der(raw, rawlen, &sig)) > 0 &&
	     (v = EVP_PKEY_CTX_new_from_pkey(libctx(), ca_pub, NULL)) != NULL && EVP_PKEY_verify_init(v) == 1 &&
	     EVP_PKEY_verify(v, sig, (size_t)siglen, md, sizeof(md)) == 1;
	EVP_PKEY_CTX_free(v);
	OPENSSL_free(sig);
	ERR_clear_error();
	return ok;
}

/* ---- building certificates ------------------------------------------- */

static X509_NAME *make_name(const char *o, const char *ou, const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	/* MBSTRING_UTF8 makes OpenSSL check the text is UTF-8 and within the
	 * X.520 upper bounds. */
	if (n == NULL ||
	    X509_NAME_add_entry_by_NID(n, NID_organizationName, MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_NID(n, NID_organizationalUnitName, MBSTRING_UTF8, (const unsigned char *)ou, -1, -1,
	                               0) != 1 ||
	    X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static bool set_validity(X509 *x, time_t nb, time_t na)
{
	/* ASN1_TIME_set picks UTCTime through 2049 and GeneralizedTime from
	 * 2050, as RFC 5280 4.1.2.5 requires. */
	return ASN1_TIME_set(X509_getm_notBefore(x), nb) != NULL && ASN1_TIME_set(X509_getm_notAfter(x), na) != NULL;
}

/* 128 random bits, as a positive non-zero INTEGER. */
static bool set_random_serial(X509 *x)
{
	unsigned char r[16];
	BIGNUM *bn = NULL;
	bool ok = false;

	for (int tries = 0; tries < 4 && !ok; tries++) {
		if (RAND_bytes_ex(libctx(), r, sizeof(r), 0) != 1)
			break;
		BN_free(bn);
		bn = BN_bin2bn(r, sizeof(r), NULL);
		ok = bn != NULL && !BN_is_zero(bn);
	}
	ok = ok && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	OPENSSL_cleanse(r, sizeof(r));
	return ok;
}

static bool add_basic_constraints(X509 *x, bool ca, int pathlen)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	bool ok = bc != NULL;

	if (ok && ca) {
		bc->ca = 0xFF;
		ok = pathlen < 0 || ((bc->pathlen = ASN1_INTEGER_new()) != NULL && ASN1_INTEGER_set(bc->pathlen, pathlen) == 1);
	}
	ok = ok && X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_REPLACE) == 1;
	BASIC_CONSTRAINTS_free(bc);
	return ok;
}

/* keyUsage bits, numbered as in RFC 5280 4.2.1.3. */
enum { KU_BIT_DIGITAL_SIGNATURE = 0, KU_BIT_NON_REPUDIATION = 1, KU_BIT_KEY_CERT_SIGN = 5, KU_BIT_CRL_SIGN = 6 };

static bool add_key_usage(X509 *x, const int *bits, size_t n)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	bool ok = ku != NULL;

	for (size_t i = 0; ok && i < n; i++)
		ok = ASN1_BIT_STRING_set_bit(ku, bits[i], 1) == 1;
	ok = ok && X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_REPLACE) == 1;
	ASN1_BIT_STRING_free(ku);
	return ok;
}

static bool add_client_auth(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	ASN1_OBJECT *o = OBJ_nid2obj(NID_client_auth);
	bool ok = eku != NULL && o != NULL && sk_ASN1_OBJECT_push(eku, o) > 0;

	ok = ok && X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_REPLACE) == 1;
	/* OBJ_nid2obj's objects are static: only the stack is freed. */
	sk_ASN1_OBJECT_free(eku);
	return ok;
}

/* Subject key identifier of x's own key and the authority key identifier
 * (issuer_id, or the same when NULL: self-signed). */
static bool add_key_ids(X509 *x, const ASN1_OCTET_STRING *issuer_id)
{
	ASN1_OCTET_STRING *ski = key_id_of(X509_get_X509_PUBKEY(x));
	AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
	bool ok = ski != NULL && aki != NULL &&
	          (aki->keyid = ASN1_OCTET_STRING_dup(issuer_id != NULL ? issuer_id : ski)) != NULL;

	ok = ok && X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_REPLACE) == 1 &&
	     X509_add1_ext_i2d(x, NID_authority_key_identifier, aki, 0, X509V3_ADD_REPLACE) == 1;
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(aki);
	return ok;
}

static bool to_der(X509 *x, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	if (n <= 0)
		return false;
	*der = p;
	*len = (size_t)n;
	return true;
}

/* ---- loading --------------------------------------------------------- */

void tool_issuer_free(tool_issuer *iss)
{
	if (iss == NULL)
		return;
	X509_free(iss->cert);
	EVP_PKEY_free(iss->key);
	issuer_p11_close(iss->p11);
	ASN1_OCTET_STRING_free(iss->key_id);
	free(iss->org);
	free(iss);
}

/* Encrypted keys would make OpenSSL prompt on the terminal; refuse them
 * instead, so that a run without a terminal never waits. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(bool *)u = true;
	return -1;
}

tool_issuer_status tool_issuer_load(const char *cert_path, const char *key, const char *org, tool_issuer **out,
                                    tool_issuer_why *why)
{
	tool_issuer *iss;
	BIO *b;
	bool wanted_pass = false;
	uint32_t ku;

	*out = NULL;
	if (cert_path == NULL || key == NULL || org == NULL)
		return fail(why, TOOL_ISSUER_NOT_CONFIGURED, "no issuer: issuer_cert, issuer_key and issuer_org are all needed");
	if (!cid_config_org_ok(org))
		return fail(why, TOOL_ISSUER_BAD_ISSUER,
		            "issuer_org must be 1 to %d bytes of UTF-8 without control characters or '#'",
		            CID_ISSUER_ORG_MAX);
	if (libctx() == NULL)
		return crypto_fail(why, "loading OpenSSL's default provider");
	if ((iss = calloc(1, sizeof(*iss))) == NULL || (iss->org = strdup(org)) == NULL) {
		tool_issuer_free(iss);
		return fail(why, TOOL_ISSUER_CRYPTO, "out of memory");
	}

	b = BIO_new_file(cert_path, "r");
	if (b == NULL || (iss->cert = X509_new_ex(libctx(), NULL)) == NULL ||
	    PEM_read_bio_X509(b, &iss->cert, NULL, NULL) == NULL) {
		BIO_free(b);
		tool_issuer_free(iss);
		return fail(why, TOOL_ISSUER_BAD_ISSUER, "issuer_cert %s: not a readable PEM certificate (%s)", cert_path,
		            ossl_reason());
	}
	BIO_free(b);
	if (strncasecmp(key, "pkcs11:", 7) == 0) {
		tool_issuer_status st = issuer_p11_open(key, &iss->p11, why);

		if (st != TOOL_ISSUER_OK) {
			tool_issuer_free(iss);
			return st;
		}
		b = NULL;
	} else if ((b = BIO_new_file(key, "r")) == NULL ||
	    (iss->key = PEM_read_bio_PrivateKey_ex(b, NULL, no_passphrase, &wanted_pass, libctx(), NULL)) == NULL) {
		BIO_free(b);
		tool_issuer_free(iss);
		if (wanted_pass)
			return fail(why, TOOL_ISSUER_UNSUPPORTED,
			            "issuer_key %s: an encrypted key is not supported yet", key);
		return fail(why, TOOL_ISSUER_BAD_ISSUER, "issuer_key %s: not a readable PEM private key (%s)", key,
		            ossl_reason());
	}
	BIO_free(b);

	/* X509_get_extension_flags computes the cached extension flags, with
	 * the certificate's own library context. */
	ku = X509_get_key_usage(iss->cert);
	if (!(X509_get_extension_flags(iss->cert) & EXFLAG_CA) || !(ku & KU_KEY_CERT_SIGN)) {
		tool_issuer_free(iss);
		return fail(why, TOOL_ISSUER_BAD_ISSUER,
		            "issuer_cert %s: not a CA certificate allowed to sign certificates "
		            "(basicConstraints CA:TRUE and keyUsage keyCertSign)", cert_path);
	}
	if (iss->p11 != NULL && !EVP_PKEY_is_a(X509_get0_pubkey(iss->cert), "EC")) {
		tool_issuer_free(iss);
		return fail(why, TOOL_ISSUER_BAD_ISSUER, "issuer_cert %s: a key on a PKCS#11 token must be an EC key",
		            cert_path);
	}
	if (iss->p11 != NULL ? !token_key_matches(iss) : X509_check_private_key(iss->cert, iss->key) != 1) {
		ERR_clear_error();
		tool_issuer_free(iss);
		return fail(why, TOOL_ISSUER_BAD_ISSUER, "issuer_key %s is not the key of issuer_cert %s", key, cert_path);
	}
	if (!asn1_time_to_t(X509_get0_notBefore(iss->cert), &iss->not_before) ||
	    !asn1_time_to_t(X509_get0_notAfter(iss->cert), &iss->not_after)) {
		tool_issuer_free(iss);
		return fail(why, TOOL_ISSUER_BAD_ISSUER, "issuer_cert %s: unreadable validity", cert_path);
	}
	{
		const ASN1_OCTET_STRING *id = X509_get0_subject_key_id(iss->cert);

		iss->key_id = id != NULL ? ASN1_OCTET_STRING_dup(id) : key_id_of(X509_get_X509_PUBKEY(iss->cert));
	}
	if (iss->key_id == NULL) {
		tool_issuer_free(iss);
		return crypto_fail(why, "the issuer's key identifier");
	}
	*out = iss;
	return TOOL_ISSUER_OK;
}

tool_issuer_status tool_issuer_load_config(tool_issuer **out, tool_issuer_why *why)
{
	cid_config cfg;
	tool_issuer_status st;

	*out = NULL;
	if (cid_config_load(&cfg) != CKR_OK)
		return fail(why, TOOL_ISSUER_BAD_ISSUER, "the configuration file (CAREID_CONF) cannot be read");
	if (cfg.issuer_cert == NULL || cfg.issuer_key == NULL || cfg.issuer_org == NULL)
		st = fail(why, TOOL_ISSUER_NOT_CONFIGURED,
		          "no issuer configured: set issuer_cert, issuer_key and issuer_org in the file named by "
		          "CAREID_CONF ('careid-tool issuer init' prints them)");
	else
		st = tool_issuer_load(cfg.issuer_cert, cfg.issuer_key, cfg.issuer_org, out, why);
	cid_config_free(&cfg);
	return st;
}

time_t tool_issuer_not_before(const tool_issuer *iss)
{
	return iss->not_before;
}

time_t tool_issuer_not_after(const tool_issuer *iss)
{
	return iss->not_after;
}

/* ---- issuing --------------------------------------------------------- */

void tool_issued_free(tool_issued *c)
{
	if (c == NULL)
		return;
	OPENSSL_free(c->der);
	c->der = NULL;
	c->der_len = 0;
}

/* The checks shared by one certificate and a pair; *na the notAfter. */
static tool_issuer_status check_request(const tool_issuer *iss, const char *uuid, time_t now, time_t *na,
                                        tool_issuer_why *why)
{
	char a[32], b[32];

	if (!uuid_ok(uuid))
		return fail(why, TOOL_ISSUER_BAD_UUID,
		            "P13: the holder's UUID is exactly %d digits, and '%s' is not; allowed with such a UUID",
		            CID_POLICY_UUID_DIGITS, uuid != NULL ? uuid : "(none)");
	if (now < iss->not_before) {
		utc_text(iss->not_before, a);
		return fail(why, TOOL_ISSUER_NOT_YET, "the issuer's certificate is valid only from %s", a);
	}
	*na = tool_issuer_add_years(now, CID_POLICY_CERT_VALIDITY_YEARS);
	if (*na == (time_t)-1)
		return fail(why, TOOL_ISSUER_BAD_ARGUMENT, "the time given cannot be represented");
	if (*na > iss->not_after) {
		utc_text(*na, a);
		utc_text(iss->not_after, b);
		return fail(why, TOOL_ISSUER_PAST_ISSUER,
		            "P6: a card certificate runs exactly %d years, to %s, past the issuer's certificate, which "
		            "ends %s; allowed once the issuer is renewed",
		            CID_POLICY_CERT_VALIDITY_YEARS, a, b);
	}
	return TOOL_ISSUER_OK;
}

static tool_issuer_status make_one(const tool_issuer *iss, const uint8_t *spki, size_t spki_len, const char *uuid,
                                   tool_cert_role role, time_t now, time_t na, tool_issued *out,
                                   tool_issuer_why *why)
{
	static const int auth_bits[] = { KU_BIT_DIGITAL_SIGNATURE };
	static const int sign_bits[] = { KU_BIT_DIGITAL_SIGNATURE, KU_BIT_NON_REPUDIATION };
	const unsigned char *p = spki;
	EVP_PKEY *pub = NULL;
	X509_NAME *subject = NULL;
	X509 *x = NULL;
	tool_issuer_status st = TOOL_ISSUER_OK;
	bool ok;

	if (role != TOOL_CERT_AUTH && role != TOOL_CERT_SIGN)
		return fail(why, TOOL_ISSUER_BAD_KEY, "unknown certificate role %d", (int)role);
	if (spki == NULL || spki_len == 0 || spki_len > LONG_MAX ||
	    (pub = d2i_PUBKEY_ex(NULL, &p, (long)spki_len, libctx(), NULL)) == NULL || p != spki + spki_len) {
		EVP_PKEY_free(pub);
		ERR_clear_error();
		return fail(why, TOOL_ISSUER_BAD_KEY, "the %s public key is not a SubjectPublicKeyInfo",
		            role == TOOL_CERT_AUTH ? "authentication" : "signature");
	}
	ok = (subject = make_name(iss->org, "people", uuid)) != NULL && (x = X509_new_ex(libctx(), NULL)) != NULL &&
	     X509_set_version(x, X509_VERSION_3) == 1 && set_random_serial(x) &&
	     X509_set_issuer_name(x, X509_get_subject_name(iss->cert)) == 1 && X509_set_subject_name(x, subject) == 1 &&
	     set_validity(x, now, na) && X509_set_pubkey(x, pub) == 1 && add_basic_constraints(x, false, -1) &&
	     (role == TOOL_CERT_AUTH ? add_key_usage(x, auth_bits, 1) && add_client_auth(x)
	                             : add_key_usage(x, sign_bits, 2)) &&
	     add_key_ids(x, iss->key_id) &&
	     (iss->p11 != NULL ? sign_on_token(iss, x, &out->der, &out->der_len)
	                       : sign_cert(x, iss->key) && to_der(x, &out->der, &out->der_len));
	if (ok) {
		out->not_before = now;
		out->not_after = na;
	} else {
		st = crypto_fail(why, "making the certificate");
	}
	X509_free(x);
	X509_NAME_free(subject);
	EVP_PKEY_free(pub);
	return st;
}

tool_issuer_status tool_issuer_issue(const tool_issuer *iss, const uint8_t *spki, size_t spki_len, const char *uuid,
                                     tool_cert_role role, time_t now, tool_issued *out, tool_issuer_why *why)
{
	tool_issuer_status st;
	time_t na = 0;

	memset(out, 0, sizeof(*out));
	if ((st = check_request(iss, uuid, now, &na, why)) != TOOL_ISSUER_OK)
		return st;
	return make_one(iss, spki, spki_len, uuid, role, now, na, out, why);
}

tool_issuer_status tool_issuer_issue_pair(const tool_issuer *iss, const uint8_t *auth_spki, size_t auth_len,
                                          const uint8_t *sign_spki, size_t sign_len, const char *uuid, time_t now,
                                          tool_issued out[2], tool_issuer_why *why)
{
	tool_issuer_status st;
	time_t na = 0;

	memset(out, 0, 2 * sizeof(*out));
	if ((st = check_request(iss, uuid, now, &na, why)) != TOOL_ISSUER_OK)
		return st;
	if ((st = make_one(iss, auth_spki, auth_len, uuid, TOOL_CERT_AUTH, now, na, &out[0], why)) != TOOL_ISSUER_OK)
		return st;
	if ((st = make_one(iss, sign_spki, sign_len, uuid, TOOL_CERT_SIGN, now, na, &out[1], why)) != TOOL_ISSUER_OK)
		tool_issued_free(&out[0]);
	return st;
}

/* ---- a demo issuer --------------------------------------------------- */

static X509 *self_signed(EVP_PKEY *key, const char *org, int years, time_t now)
{
	static const int ca_bits[] = { KU_BIT_KEY_CERT_SIGN, KU_BIT_CRL_SIGN };
	char cn[CID_ISSUER_ORG_MAX + 32];
	X509_NAME *name;
	X509 *x = NULL;
	time_t na = tool_issuer_add_years(now, years);
	bool ok;

	snprintf(cn, sizeof(cn), "%s Care Identity issuer", org);
	name = make_name(org, "registration authority", cn);
	/* pathlen 0: it certifies cards, never another CA. */
	ok = name != NULL && na != (time_t)-1 && (x = X509_new_ex(libctx(), NULL)) != NULL &&
	     X509_set_version(x, X509_VERSION_3) == 1 && set_random_serial(x) && X509_set_issuer_name(x, name) == 1 &&
	     X509_set_subject_name(x, name) == 1 && set_validity(x, now, na) && X509_set_pubkey(x, key) == 1 &&
	     add_basic_constraints(x, true, 0) && add_key_usage(x, ca_bits, 2) && add_key_ids(x, NULL) &&
	     sign_cert(x, key);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Creates path (never an existing file) with mode and writes PEM into it.
 * The mode is given to open() and set again with fchmod(), so the file is
 * never more open than mode, whatever the umask, not even for a moment. */
static tool_issuer_status write_new(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert, tool_issuer_why *why)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	BIO *b;
	bool ok;

	if (fd < 0)
		return fail(why, errno == EEXIST ? TOOL_ISSUER_EXISTS : TOOL_ISSUER_IO, "cannot create %s: %s", path,
		            strerror(errno));
	errno = 0;
	b = fchmod(fd, mode) == 0 ? BIO_new_fd(fd, BIO_NOCLOSE) : NULL;
	ok = b != NULL &&
	     (key != NULL ? PEM_write_bio_PrivateKey_ex(b, key, NULL, NULL, 0, NULL, NULL, libctx(), NULL) == 1
	                  : PEM_write_bio_X509(b, cert) == 1) &&
	     BIO_flush(b) == 1;
	BIO_free(b);
	ok = ok && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = false;
	if (!ok) {
		unlink(path);
		return fail(why, TOOL_ISSUER_IO, "cannot write %s: %s", path, errno != 0 ? strerror(errno) : ossl_reason());
	}
	return TOOL_ISSUER_OK;
}

/* A path that the configuration reader reads back unchanged. */
static bool config_safe(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 900 || s[n - 1] == ' ' || s[n - 1] == '\t')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '#' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

tool_issuer_status tool_issuer_init(const char *dir, const char *org, int years, time_t now, char **cert_path,
                                    char **key_path, tool_issuer_why *why)
{
	char *abs = NULL, *kp = NULL, *cp = NULL;
	bool made_dir = false;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	tool_issuer_status st;
	struct stat sb;

	*cert_path = *key_path = NULL;
	if (!cid_config_org_ok(org))
		return fail(why, TOOL_ISSUER_BAD_ARGUMENT,
		            "the organisation must be 1 to %d bytes of UTF-8 without control characters or '#', "
		            "and not begin or end with a blank", CID_ISSUER_ORG_MAX);
	if (years < TOOL_ISSUER_MIN_YEARS || years > TOOL_ISSUER_MAX_YEARS)
		return fail(why, TOOL_ISSUER_BAD_ARGUMENT,
		            "the issuer's validity must be %d to %d years (it issues %d-year certificates)",
		            TOOL_ISSUER_MIN_YEARS, TOOL_ISSUER_MAX_YEARS, CID_POLICY_CERT_VALIDITY_YEARS);
	if (libctx() == NULL)
		return crypto_fail(why, "loading OpenSSL's default provider");

	if (mkdir(dir, 0700) == 0)
		made_dir = true;
	else if (errno != EEXIST)
		return fail(why, TOOL_ISSUER_IO, "cannot make the directory %s: %s", dir, strerror(errno));
	/* Exactly 0700 whatever the umask, for a directory made here. */
	if (made_dir && chmod(dir, 0700) != 0) {
		st = fail(why, TOOL_ISSUER_IO, "cannot set the mode of %s: %s", dir, strerror(errno));
		goto out;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		st = fail(why, TOOL_ISSUER_IO, "%s is not a directory", dir);
		goto out;
	}
	if ((abs = realpath(dir, NULL)) == NULL) {
		st = fail(why, TOOL_ISSUER_IO, "cannot resolve %s: %s", dir, strerror(errno));
		goto out;
	}
	if (!config_safe(abs)) {
		st = fail(why, TOOL_ISSUER_BAD_ARGUMENT,
		          "the path %s cannot be written in the configuration file (no '#', control character or "
		          "trailing blank, at most 900 bytes)", abs);
		goto out;
	}
	if (asprintf(&kp, "%s/issuer.key", abs) < 0 || asprintf(&cp, "%s/issuer.pem", abs) < 0) {
		kp = cp = NULL;
		st = fail(why, TOOL_ISSUER_CRYPTO, "out of memory");
		goto out;
	}
	if (lstat(kp, &sb) == 0 || lstat(cp, &sb) == 0) {
		st = fail(why, TOOL_ISSUER_EXISTS,
		          "%s already holds an issuer (issuer.key or issuer.pem): an issuer is never overwritten; "
		          "remove it yourself, or choose another --dir", abs);
		goto out;
	}
	if ((key = EVP_PKEY_Q_keygen(libctx(), NULL, "EC", "P-256")) == NULL) {
		st = crypto_fail(why, "making the P-256 key");
		goto out;
	}
	if ((cert = self_signed(key, org, years, now)) == NULL) {
		st = crypto_fail(why, "making the issuer's certificate");
		goto out;
	}
	if ((st = write_new(kp, 0600, key, NULL, why)) != TOOL_ISSUER_OK)
		goto out;
	if ((st = write_new(cp, 0644, NULL, cert, why)) != TOOL_ISSUER_OK) {
		unlink(kp);
		goto out;
	}
	*cert_path = cp;
	*key_path = kp;
	cp = kp = NULL;
out:
	if (st != TOOL_ISSUER_OK && made_dir)
		rmdir(dir);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(abs);
	free(kp);
	free(cp);
	return st;
}

/* ---- lifecycle records ----------------------------------------------- */

tool_issuer_status tool_issuer_sign(const tool_issuer *iss, const uint8_t *data, size_t len, uint8_t **sig,
                                    size_t *siglen)
{
	EVP_MD_CTX *m;
	size_t n = 0;
	bool ok;

	*sig = NULL;
	*siglen = 0;
	/* SHA-256 with the issuer's key, as the module checks it
	 * (src/crypto/issuer.c); an EdDSA issuer cannot sign records. */
	if (digest_for(iss->key) == NULL)
		return TOOL_ISSUER_BAD_ISSUER;
	if ((m = EVP_MD_CTX_new()) == NULL)
		return TOOL_ISSUER_CRYPTO;
	ok = EVP_DigestSignInit_ex(m, NULL, "SHA256", libctx(), NULL, iss->key, NULL) == 1 &&
	     EVP_DigestSign(m, NULL, &n, data, len) == 1 && (*sig = malloc(n)) != NULL &&
	     EVP_DigestSign(m, *sig, &n, data, len) == 1;
	EVP_MD_CTX_free(m);
	if (!ok) {
		free(*sig);
		*sig = NULL;
		return TOOL_ISSUER_CRYPTO;
	}
	*siglen = n;
	return TOOL_ISSUER_OK;
}
