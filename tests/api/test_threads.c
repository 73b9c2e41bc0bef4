/* Signing from several threads at once, each on its own session, with the
 * same keys: every signature must still be valid.  This checks correctness
 * under concurrency only; speed belongs to the benchmarks. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "th_ossl.h"

#define THREADS 2
#define ROUNDS 150

typedef struct worker {
	CK_FUNCTION_LIST_3_0 *f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE ec_priv, rsa_priv;
	EVP_PKEY *ec_pk, *rsa_pk;
	int id;
	int signed_ok, bad;         /* written by the worker only */
	CK_RV first_err;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < ROUNDS; i++) {
		char data[64];
		int n = snprintf(data, sizeof(data), "thread %d round %d", w->id, i);
		bool rsa = i % 5 == 0;
		CK_MECHANISM m = { rsa ? CKM_SHA256_RSA_PKCS : CKM_ECDSA_SHA256, NULL, 0 };
		CK_BYTE sig[512];
		CK_ULONG len = sizeof(sig);
		CK_RV rv = w->f->C_SignInit(w->s, &m, rsa ? w->rsa_priv : w->ec_priv);
		if (rv == CKR_OK && i % 2)
			rv = w->f->C_Sign(w->s, (CK_BYTE_PTR)data, (CK_ULONG)n, sig, &len);
		else if (rv == CKR_OK) {
			rv = w->f->C_SignUpdate(w->s, (CK_BYTE_PTR)data, (CK_ULONG)n);
			if (rv == CKR_OK)
				rv = w->f->C_SignFinal(w->s, sig, &len);
		}
		if (rv != CKR_OK) {
			if (w->first_err == CKR_OK)
				w->first_err = rv;
			w->bad++;
			continue;
		}
		if (tho_verify(rsa ? w->rsa_pk : w->ec_pk, &m, (const CK_BYTE *)data, (CK_ULONG)n, sig, len))
			w->signed_ok++;
		else
			w->bad++;
	}
	return NULL;
}

static void test_parallel_signing(void **state)
{
	th_env *env = *state;
	CK_SLOT_ID slot = th_new_token(env, "threads");
	CK_SESSION_HANDLE s0 = th_user_session(env, slot);
	CK_OBJECT_HANDLE ec_pub, ec_priv, rsa_pub, rsa_priv;
	th_keypair(env, s0, "p256", "ec", &ec_pub, &ec_priv);
	th_keypair(env, s0, "rsa2048", "rsa", &rsa_pub, &rsa_priv);
	EVP_PKEY *ec_pk = tho_pubkey(env, s0, ec_pub), *rsa_pk = tho_pubkey(env, s0, rsa_pub);

	worker w[THREADS];
	pthread_t t[THREADS];
	memset(w, 0, sizeof(w));
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){ .f = env->f, .ec_priv = ec_priv, .rsa_priv = rsa_priv,
		                 .ec_pk = ec_pk, .rsa_pk = rsa_pk, .id = i };
		CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &w[i].s));
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(0, pthread_create(&t[i], NULL, work, &w[i]));
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(0, pthread_join(t[i], NULL));
	for (int i = 0; i < THREADS; i++) {
		if (w[i].bad != 0)
			fail_msg("thread %d: %d bad rounds (first error 0x%lx)", i, w[i].bad, w[i].first_err);
		assert_int_equal(ROUNDS, w[i].signed_ok);
		CK(env->f->C_CloseSession(w[i].s));
	}
	EVP_PKEY_free(ec_pk);
	EVP_PKEY_free(rsa_pk);
}

/* Digest and randomness in other threads while one thread signs. */
static void *digest_work(void *arg)
{
	worker *w = arg;
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	static const char *want = "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
	                          "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad";
	for (int i = 0; i < ROUNDS; i++) {
		CK_BYTE d[32], r[16];
		CK_ULONG len = sizeof(d);
		CK_RV rv = w->f->C_DigestInit(w->s, &m);
		if (rv == CKR_OK)
			rv = w->f->C_Digest(w->s, (CK_BYTE_PTR) "abc", 3, d, &len);
		if (rv == CKR_OK)
			rv = w->f->C_GenerateRandom(w->s, r, sizeof(r));
		if (rv == CKR_OK && len == 32 && memcmp(d, want, 32) == 0)
			w->signed_ok++;
		else
			w->bad++;
	}
	return NULL;
}

static void test_mixed_work(void **state)
{
	th_env *env = *state;
	CK_SLOT_ID slot = th_new_token(env, "mixed");
	CK_SESSION_HANDLE s0 = th_user_session(env, slot), signer;
	CK_OBJECT_HANDLE pub, priv;
	th_keypair(env, s0, "p256", "ec", &pub, &priv);
	EVP_PKEY *pk = tho_pubkey(env, s0, pub);
	worker wd = { .f = env->f, .id = 1 };
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &signer));
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &wd.s));
	pthread_t t;
	assert_int_equal(0, pthread_create(&t, NULL, digest_work, &wd));
	for (int i = 0; i < ROUNDS / 5; i++) {
		CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
		CK_BYTE sig[64];
		CK_ULONG len = sizeof(sig);
		CK(env->f->C_SignInit(signer, &m, priv));
		CK(env->f->C_Sign(signer, (CK_BYTE_PTR) "x", 1, sig, &len));
		assert_true(tho_verify(pk, &m, (const CK_BYTE *)"x", 1, sig, len));
	}
	assert_int_equal(0, pthread_join(t, NULL));
	assert_int_equal(0, wd.bad);
	assert_int_equal(ROUNDS, wd.signed_ok);
	EVP_PKEY_free(pk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parallel_signing, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_mixed_work, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
