/* A fresh card as a registration authority would hand it out: PIN, PUK,
 * management key, a random 12-digit UUID, and the Care Identity pair of
 * keys with certificates (P6) whose subject names only the UUID (P13).
 *
 * The certificates come from a throwaway "careid test CA" made for this card
 * alone; its private key is discarded once both certificates are signed, and
 * only its certificate stays on the card (object 5FFF21) so that tests can
 * check the chain. */
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include "policy/policy.h"
#include "vcard/vcard.h"

static const uint8_t DEFAULT_MGMT_3DES[24] = {
	1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8
};

static int rand_below(uint32_t bound, uint32_t *out)
{
	uint32_t v, lim = UINT32_MAX - UINT32_MAX % bound;

	do {
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			return -1;
	} while (v >= lim);
	*out = v % bound;
	return 0;
}

static int random_uuid(char out[13])
{
	for (int i = 0; i < CID_POLICY_UUID_DIGITS; i++) {
		uint32_t d;

		/* A leading zero would be lost by anything that reads it as a number. */
		if (rand_below(i == 0 ? 9 : 10, &d) != 0)
			return -1;
		out[i] = (char)('0' + d + (i == 0 ? 1 : 0));
	}
	out[CID_POLICY_UUID_DIGITS] = '\0';
	return 0;
}

/* notAfter for a start time: same calendar moment N years on.  29 February
 * becomes 28 February rather than spilling into March. */
static time_t add_years(time_t start, int years)
{
	struct tm tm;

	gmtime_r(&start, &tm);
	tm.tm_year += years;
	if (tm.tm_mon == 1 && tm.tm_mday == 29) {
		int y = tm.tm_year + 1900;

		if (!((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
			tm.tm_mday = 28;
	}
	return timegm(&tm);
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok = ext != NULL && X509_add_ext(cert, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509_NAME *make_name(const char *ou, const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL ||
	    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"careid", -1, -1, 0) != 1 ||
	    (ou != NULL &&
	     X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)ou, -1, -1, 0) != 1) ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/* Issues a certificate for subject/pub, signed by ca_key (ca_cert NULL means
 * self-signed).  Validity: exactly `years` from now. */
static X509 *issue(X509 *ca_cert, EVP_PKEY *ca_key, X509_NAME *subject, EVP_PKEY *pub,
		   int years, bool is_ca, const char *key_usage)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	ASN1_INTEGER *serial = NULL;
	X509V3_CTX ctx;
	time_t now = time(NULL);
	int ok = 0;

	if (x == NULL || bn == NULL || BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1)
		goto out;
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	if (serial == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(x, serial) != 1 ||
	    X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, ca_cert ? X509_get_subject_name(ca_cert) : subject) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), add_years(now, years)) == NULL ||
	    X509_set_pubkey(x, pub) != 1)
		goto out;
	X509V3_set_ctx(&ctx, ca_cert ? ca_cert : x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") ||
	    add_ext(x, &ctx, NID_key_usage, key_usage) ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
		goto out;
	if (!is_ca && add_ext(x, &ctx, NID_ext_key_usage, "clientAuth,emailProtection"))
		goto out;
	ok = X509_sign(x, ca_key, EVP_sha256()) > 0;
out:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int store_cert_der(struct vc_state *st, uint32_t tag, X509 *x, bool card_template, bool compress)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	int rc;

	if (n <= 0)
		return -1;
	rc = card_template ? vc_cert_object(st, tag, der, (size_t)n, compress)
			   : vc_obj_set(st, tag, der, (size_t)n);
	OPENSSL_free(der);
	return rc;
}

/* gzip, as issuers' tools compress certificates to fit small cards. */
static int gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	z_stream z;
	int zr;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	zr = deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return zr == Z_STREAM_END ? 0 : -1;
}

int vc_cert_object(struct vc_state *st, uint32_t tag, const uint8_t *der, size_t n, bool compress)
{
	static uint8_t buf[VC_OBJ_MAX], packed[VC_OBJ_MAX];
	struct vc_buf b;
	size_t pn = 0;

	if (compress) {
		if (gzip(der, n, packed, sizeof(packed), &pn) != 0)
			return -1;
		der = packed;
		n = pn;
	}
	vc_buf_init(&b, buf, sizeof(buf));
	tlv_put(&b, 0x70, der, n);
	tlv_put(&b, 0x71, compress ? "\x01" : "\x00", 1);
	tlv_put(&b, 0xFE, NULL, 0);
	if (b.err)
		return -1;
	return vc_obj_set(st, tag, b.p, b.len);
}

/* FASC-N: 40 characters of 4 data bits (least significant first) and an odd
 * parity bit, packed into 25 bytes.  Agency and system codes 9999 mark it as
 * a test credential; the credential number comes from the card serial. */
static void fasc_n(uint32_t serial, const char *uuid, uint8_t out[25])
{
	enum { SS = 0xB, FS = 0xD, ES = 0xF };
	uint8_t ch[40];
	char cred[7];
	size_t k = 0, bit = 0;
	uint8_t lrc = 0;

	snprintf(cred, sizeof(cred), "%06u", serial % 1000000u);
	ch[k++] = SS;
	for (int i = 0; i < 4; i++) ch[k++] = 9;               /* agency code */
	ch[k++] = FS;
	for (int i = 0; i < 4; i++) ch[k++] = 9;               /* system code */
	ch[k++] = FS;
	for (int i = 0; i < 6; i++) ch[k++] = (uint8_t)(cred[i] - '0');
	ch[k++] = FS;
	ch[k++] = 1;                                           /* credential series */
	ch[k++] = FS;
	ch[k++] = 1;                                           /* issue level */
	ch[k++] = FS;
	for (int i = 0; i < 10; i++) ch[k++] = (uint8_t)(uuid[i + 2] - '0'); /* person id */
	ch[k++] = 1;                                           /* organisational category */
	for (int i = 0; i < 4; i++) ch[k++] = 9;               /* organisation id */
	ch[k++] = 1;                                           /* person association */
	ch[k++] = ES;
	for (size_t i = 0; i < k; i++)
		lrc ^= ch[i];
	ch[k++] = lrc & 0xF;
	memset(out, 0, 25);
	for (size_t i = 0; i < k; i++) {
		unsigned ones = 0;

		for (int b = 0; b < 5; b++) {
			unsigned v;

			if (b < 4) {
				v = (ch[i] >> b) & 1;
				ones += v;
			} else {
				v = (ones % 2 == 0);
			}
			if (v)
				out[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
			bit++;
		}
	}
}

static void ymd(time_t t, char out[9])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 9, "%Y%m%d", &tm);
}

static int data_objects(struct vc_state *st)
{
	static const char *const mon[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };
	uint8_t mem[256], fascn[25], guid[16];
	struct vc_buf b;
	time_t now = time(NULL), end = add_years(now, CID_POLICY_CERT_VALIDITY_YEARS);
	char today[9], until[9], printed_exp[10], ser[11];
	struct tm tm;

	ymd(now, today);
	ymd(end, until);
	if (RAND_bytes(guid, sizeof(guid)) != 1)
		return -1;
	fasc_n(st->serial, st->uuid, fascn);
	vc_buf_init(&b, mem, sizeof(mem));
	tlv_put(&b, 0x30, fascn, sizeof(fascn));
	tlv_put(&b, 0x34, guid, sizeof(guid));
	tlv_put(&b, 0x35, until, 8);
	tlv_put(&b, 0x3E, NULL, 0);
	tlv_put(&b, 0xFE, NULL, 0);
	if (b.err || vc_obj_set(st, TAG_CHUID, b.p, b.len) != 0)
		return -1;

	/* No retired keys: none on card, none off card. */
	vc_buf_init(&b, mem, sizeof(mem));
	tlv_put(&b, 0xC1, "\x00", 1);
	tlv_put(&b, 0xC2, "\x00", 1);
	tlv_put(&b, 0xFE, NULL, 0);
	if (b.err || vc_obj_set(st, TAG_KEY_HISTORY, b.p, b.len) != 0)
		return -1;

	/* The card face: the UUID stands where a PIV card prints a name (P13). */
	gmtime_r(&end, &tm);
	snprintf(printed_exp, sizeof(printed_exp), "%04d%s%02d", (tm.tm_year + 1900) % 10000,
		 mon[tm.tm_mon % 12], tm.tm_mday % 100);
	snprintf(ser, sizeof(ser), "%u", st->serial);
	vc_buf_init(&b, mem, sizeof(mem));
	tlv_put(&b, 0x01, st->uuid, strlen(st->uuid));
	tlv_put(&b, 0x02, "careid", 6);
	tlv_put(&b, 0x04, printed_exp, strlen(printed_exp));
	tlv_put(&b, 0x05, ser, strlen(ser));
	tlv_put(&b, 0x06, "careid test CA", 14);
	tlv_put(&b, 0xFE, NULL, 0);
	if (b.err || vc_obj_set(st, TAG_PRINTED, b.p, b.len) != 0)
		return -1;

	/* Care Identity lifecycle: UUID, issue date, self-renewals, access
	 * period end (empty: none).  The card stores it; the host interprets. */
	vc_buf_init(&b, mem, sizeof(mem));
	tlv_put(&b, 0x01, st->uuid, strlen(st->uuid));
	tlv_put(&b, 0x02, today, 8);
	tlv_put(&b, 0x03, "\x00", 1);
	tlv_put(&b, 0x04, NULL, 0);
	tlv_put(&b, 0xFE, NULL, 0);
	if (b.err || vc_obj_set(st, TAG_CI_LIFECYCLE, b.p, b.len) != 0)
		return -1;
	return 0;
}

static int put_key(struct vc_state *st, uint8_t slot, EVP_PKEY *pkey)
{
	struct vc_key *k = vc_key_slot(st, slot);

	if (k == NULL)
		return -1;
	k->pkey = pkey;
	k->alg = piv_alg_of(pkey);
	k->pin_policy = piv_default_pin_policy(slot);
	k->origin = ORIGIN_GENERATED;
	return 0;
}

static int keys_and_certs(struct vc_state *st, bool compress)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *auth = EVP_RSA_gen(2048), *sign = EVP_EC_gen("P-256");
	X509_NAME *ca_name = make_name(NULL, "careid test CA");
	X509_NAME *subj = make_name("people", st->uuid);
	X509 *ca = NULL, *c_auth = NULL, *c_sign = NULL;
	int rc = -1;

	if (ca_key == NULL || auth == NULL || sign == NULL || ca_name == NULL || subj == NULL)
		goto out;
	/* The CA outlives the certificates it signs by a margin. */
	ca = issue(NULL, ca_key, ca_name, ca_key, CID_POLICY_CERT_VALIDITY_YEARS + 1, true,
		   "critical,keyCertSign,cRLSign");
	if (ca == NULL)
		goto out;
	c_auth = issue(ca, ca_key, subj, auth, CID_POLICY_CERT_VALIDITY_YEARS, false,
		       "critical,digitalSignature,keyEncipherment");
	c_sign = issue(ca, ca_key, subj, sign, CID_POLICY_CERT_VALIDITY_YEARS, false,
		       "critical,digitalSignature,nonRepudiation");
	if (c_auth == NULL || c_sign == NULL ||
	    store_cert_der(st, TAG_CERT_9A, c_auth, true, compress) != 0 ||
	    store_cert_der(st, TAG_CERT_9C, c_sign, true, compress) != 0 ||
	    store_cert_der(st, TAG_CI_ISSUER, ca, false, false) != 0)
		goto out;
	if (put_key(st, 0x9A, auth) != 0)
		goto out;
	auth = NULL;
	if (put_key(st, 0x9C, sign) != 0)
		goto out;
	sign = NULL;
	rc = 0;
out:
	X509_free(ca);
	X509_free(c_auth);
	X509_free(c_sign);
	X509_NAME_free(ca_name);
	X509_NAME_free(subj);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(auth);
	EVP_PKEY_free(sign);
	return rc;
}

int vc_fresh_card(struct vc_state *st, const struct vc_fresh_opts *o)
{
	uint8_t block[8];
	uint32_t serial = o->serial;

	if (!vc_pin_block_from_text(o->pin ? o->pin : "123456", block) ||
	    vc_secret_set(&st->pin, block) != 0)
		return -1;
	st->pin.is_default = o->pin == NULL;
	if (!vc_pin_block_from_text(o->puk ? o->puk : "12345678", block) ||
	    vc_secret_set(&st->puk, block) != 0)
		return -1;
	st->puk.is_default = o->puk == NULL;
	memset(block, 0, sizeof(block));
	if (o->mgmt_key != NULL) {
		st->mgmt_alg = o->mgmt_alg;
		st->mgmt_len = o->mgmt_len;
		memcpy(st->mgmt_key, o->mgmt_key, o->mgmt_len);
		st->mgmt_default = false;
	} else {
		st->mgmt_alg = ALG_3DES;
		st->mgmt_len = sizeof(DEFAULT_MGMT_3DES);
		memcpy(st->mgmt_key, DEFAULT_MGMT_3DES, sizeof(DEFAULT_MGMT_3DES));
		st->mgmt_default = true;
	}
	if (o->uuid != NULL) {
		memcpy(st->uuid, o->uuid, CID_POLICY_UUID_DIGITS + 1);
	} else if (random_uuid(st->uuid) != 0) {
		return -1;
	}
	/* Serials look like small decimal numbers on the card face. */
	if (serial == 0) {
		if (rand_below(90000000u, &serial) != 0)
			return -1;
		serial += 10000000u;
	}
	st->serial = serial;
	if (keys_and_certs(st, o->compress_certs) != 0 || data_objects(st) != 0)
		return -1;
	return vc_state_save(st);
}
