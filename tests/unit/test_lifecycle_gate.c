/* The token layer applies a soft token's lifecycle record at user login:
 * signed by the configured issuer, bound to the token, obeyed (access end,
 * cancel, expiry alert), and a correct passcode refused by a rule still
 * gets its try back.  The records are signed here with a throwaway issuer
 * made with OpenSSL; times are relative to the host clock the layer
 * reads. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"
#include "policy/lifecycle.h"
#include "soft_fixture.h"
#include "token/tok.h"

#define DAY 86400
#define UUID "123456789012"

typedef struct gx {
	fx *f;
	EVP_PKEY *key, *other;
	cid_issuer *iss;
	char serial[17];
} gx;

static EVP_PKEY *p256(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* A self-signed issuer certificate for key, written as PEM to path. */
static void write_issuer(EVP_PKEY *key, const char *path)
{
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *fp;

	assert_non_null(x);
	assert_int_equal(1, X509_set_version(x, 2));
	assert_int_equal(1, ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 20L * 365 * DAY));
	n = X509_get_subject_name(x);
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"test issuer",
	                                               -1, -1, 0));
	assert_int_equal(1, X509_set_issuer_name(x, n));
	assert_int_equal(1, X509_set_pubkey(x, key));
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(1, PEM_write_X509(fp, x));
	fclose(fp);
	X509_free(x);
}

static int gsetup(void **state)
{
	gx *g = calloc(1, sizeof(*g));
	char path[600];
	cid_token_status st;

	if (g == NULL || setup((void **)&g->f) != 0)
		return -1;
	make_token(g->f, true);
	g->key = p256();
	g->other = p256();
	snprintf(path, sizeof(path), "%s/issuer.pem", g->f->root);
	write_issuer(g->key, path);
	if (cid_issuer_load(path, &g->iss) != CKR_OK)
		return -1;
	if (g->f->t->ops->status(g->f->t, &st) != CKR_OK)
		return -1;
	memcpy(g->serial, st.serial, 16);
	g->serial[16] = '\0';
	*state = g;
	return 0;
}

static int gteardown(void **state)
{
	gx *g = *state;
	void *f = g->f;

	cid_tok_set_issuer(NULL);
	cid_issuer_free(&g->iss);
	EVP_PKEY_free(g->key);
	EVP_PKEY_free(g->other);
	free(g);
	return teardown(&f);
}

static cid_lifecycle record(const gx *g, cid_card_kind kind, unsigned hours, int64_t certs_end)
{
	cid_lifecycle r = { 0 };
	time_t now = time(NULL);

	assert_int_equal(CKR_OK, cid_lifecycle_issue(&r, kind, UUID, g->serial, "ra-1", (int64_t)now, certs_end,
	                                             hours, 0)
	                             .rv);
	return r;
}

/* Encodes, signs with key (or stores a flipped byte after signing), and
 * writes the record as the SO. */
static void put(gx *g, const cid_lifecycle *r, EVP_PKEY *key, bool flip)
{
	cid_token *t = g->f->t;
	uint8_t *b = NULL, sig[128];
	size_t n = 0, slen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_int_equal(CKR_OK, cid_lifecycle_encode(r, &b, &n));
	assert_non_null(ctx);
	assert_int_equal(1, EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key));
	assert_int_equal(1, EVP_DigestSign(ctx, sig, &slen, b, n));
	EVP_MD_CTX_free(ctx);
	if (flip)
		b[n - 1] ^= 1;
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->put_record(t, b, n, sig, slen));
	assert_int_equal(CKR_OK, login(t, CKU_SO, SO_PIN));
	assert_int_equal(CKR_OK, t->ops->put_record(t, b, n, sig, slen));
	assert_int_equal(CKR_OK, t->ops->logout(t));
	free(b);
}

/* A user login through the token layer on the fixture's token. */
static CK_RV user_login(gx *g, const char *pin, int64_t *days, bool *alert)
{
	atomic_bool removed = false;
	cid_tok *tok = NULL;
	CK_RV rv;
	bool got;

	assert_int_equal(CKR_OK, cid_tok_wrap(g->f->t, &removed, &tok));
	rv = cid_tok_login(tok, CKU_USER, (const CK_UTF8CHAR *)pin, strlen(pin));
	got = cid_tok_days_left(tok, days, alert);
	if (rv != CKR_OK)
		assert_false(got);
	else if (days)
		*days = got ? *days : INT64_MIN;
	if (rv == CKR_OK)
		assert_int_equal(CKR_OK, cid_tok_logout(tok));
	cid_tok_release(&tok);
	g->f->t = open_again(g->f);
	return rv;
}

/* A login through the token layer that is kept no further (SO logins). */
static CK_RV tok_login(gx *g, CK_USER_TYPE who, const char *pin)
{
	atomic_bool removed = false;
	cid_tok *tok = NULL;
	CK_RV rv;

	assert_int_equal(CKR_OK, cid_tok_wrap(g->f->t, &removed, &tok));
	rv = cid_tok_login(tok, who, (const CK_UTF8CHAR *)pin, strlen(pin));
	if (rv == CKR_OK)
		assert_int_equal(CKR_OK, cid_tok_logout(tok));
	cid_tok_release(&tok);
	g->f->t = open_again(g->f);
	return rv;
}

static int64_t events(gx *g, const char *event)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE event = '%s'", event);
	return raw_int(g->f->path, sql);
}

static void plain_token(void **state)
{
	gx *g = *state;
	int64_t days = 0;
	bool alert = true;

	/* No issuer: a token without a record is a plain token. */
	assert_int_equal(CKR_OK, user_login(g, USER_PIN, &days, &alert));
	assert_int_equal(INT64_MIN, days);
	/* With one, it is refused, and the right passcode costs no try. */
	cid_tok_set_issuer(g->iss);
	assert_int_equal(CKR_FUNCTION_FAILED, user_login(g, USER_PIN, NULL, NULL));
	assert_int_equal(3, raw_tries(g->f->path, "user_tries_left"));
	assert_int_equal(1, events(g, "login-refused"));
}

static void signed_record(void **state)
{
	gx *g = *state;
	time_t now = time(NULL);
	cid_lifecycle r = record(g, CID_CARD_STANDARD, 0, (int64_t)now + 400 * DAY);
	int64_t days = 0;
	bool alert = true;

	cid_tok_set_issuer(g->iss);
	put(g, &r, g->key, false);
	assert_int_equal(CKR_OK, user_login(g, USER_PIN, &days, &alert));
	assert_true(days == 399 || days == 400);
	assert_false(alert);
	assert_int_equal(0, events(g, "expiry-alert"));
	/* Signed by someone else, or altered after signing: refused. */
	put(g, &r, g->other, false);
	assert_int_equal(CKR_FUNCTION_FAILED, user_login(g, USER_PIN, NULL, NULL));
	put(g, &r, g->key, true);
	assert_int_equal(CKR_FUNCTION_FAILED, user_login(g, USER_PIN, NULL, NULL));
	/* A record made for another token. */
	strcpy(r.serial, "0000000000000000");
	put(g, &r, g->key, false);
	assert_int_equal(CKR_FUNCTION_FAILED, user_login(g, USER_PIN, NULL, NULL));
	assert_int_equal(3, events(g, "login-refused"));
	assert_int_equal(3, raw_tries(g->f->path, "user_tries_left"));
}

static void expiry_alert(void **state)
{
	gx *g = *state;
	time_t now = time(NULL);
	cid_lifecycle r = record(g, CID_CARD_STANDARD, 0, (int64_t)now + 89 * DAY + 3600);
	int64_t days = 0;
	bool alert = false;

	cid_tok_set_issuer(g->iss);
	put(g, &r, g->key, false);
	/* Every login, not once. */
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(CKR_OK, user_login(g, USER_PIN, &days, &alert));
		assert_true(alert);
		assert_int_equal(89, days);
		assert_int_equal(i, events(g, "expiry-alert"));
	}
}

static void access_ended(void **state)
{
	gx *g = *state;
	time_t now = time(NULL);
	cid_lifecycle r = record(g, CID_CARD_TEMPORARY, 72, (int64_t)now + 700 * DAY);

	/* Issued 73 hours ago: its 72 are over.  Unverified (no issuer), the
	 * record is obeyed all the same. */
	r.issued_at -= 73 * 3600;
	r.access_end -= 73 * 3600;
	put(g, &r, g->key, false);
	assert_int_equal(CKR_PIN_EXPIRED, user_login(g, USER_PIN, NULL, NULL));
	assert_int_equal(3, raw_tries(g->f->path, "user_tries_left"));
	/* A returned card is locked by three wrong passcodes. */
	for (int i = 0; i < 3; i++)
		assert_true(user_login(g, "000000", NULL, NULL) != CKR_OK);
	assert_int_equal(CKR_PIN_LOCKED, user_login(g, USER_PIN, NULL, NULL));
	assert_int_equal(0, raw_tries(g->f->path, "user_tries_left"));
}

static void cancelled(void **state)
{
	gx *g = *state;
	time_t now = time(NULL);
	cid_lifecycle r = record(g, CID_CARD_STANDARD, 0, (int64_t)now + 700 * DAY);

	cid_tok_set_issuer(g->iss);
	cid_lifecycle_cancelled(&r);
	put(g, &r, g->key, false);
	assert_int_equal(CKR_PIN_LOCKED, user_login(g, USER_PIN, NULL, NULL));
	assert_int_equal(1, events(g, "login-refused"));
	/* The sponsor is refused too (P10). */
	assert_int_equal(CKR_PIN_LOCKED, tok_login(g, CKU_SO, SO_PIN));
	assert_int_equal(2, events(g, "login-refused"));
}

/* After the access end the sponsor still logs in (a returned card is
 * serviced); re-initialising the token forgets its record. */
static void sponsor_after_end(void **state)
{
	gx *g = *state;
	time_t now = time(NULL);
	cid_lifecycle r = record(g, CID_CARD_TEMPORARY, 1, (int64_t)now + 700 * DAY);
	CK_UTF8CHAR label[32];
	uint8_t *rec = NULL, *sig = NULL;
	size_t rlen = 0, slen = 0;

	r.access_end = (int64_t)now - 1;
	put(g, &r, g->key, false);
	assert_int_equal(CKR_PIN_EXPIRED, user_login(g, USER_PIN, NULL, NULL));
	assert_int_equal(CKR_OK, tok_login(g, CKU_SO, SO_PIN));
	label32(label, "reissued");
	assert_int_equal(CKR_OK, g->f->t->ops->init_token(g->f->t, (const CK_UTF8CHAR *)SO_PIN, strlen(SO_PIN), label));
	assert_int_equal(CKR_OK, g->f->t->ops->get_record(g->f->t, &rec, &rlen, &sig, &slen));
	assert_null(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(plain_token, gsetup, gteardown),
		cmocka_unit_test_setup_teardown(signed_record, gsetup, gteardown),
		cmocka_unit_test_setup_teardown(expiry_alert, gsetup, gteardown),
		cmocka_unit_test_setup_teardown(access_ended, gsetup, gteardown),
		cmocka_unit_test_setup_teardown(cancelled, gsetup, gteardown),
		cmocka_unit_test_setup_teardown(sponsor_after_end, gsetup, gteardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
