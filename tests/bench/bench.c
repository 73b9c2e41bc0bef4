/* careid-bench: signature throughput of the careid module compared with
 * SoftHSM2 and with OpenSSL used directly.
 *
 * For each provider, each algorithm and 1 or 2 threads, signs for a fixed
 * time and reports operations per second:
 *   RSA-2048  CKM_SHA256_RSA_PKCS over 32 bytes of data
 *   P-256     CKM_ECDSA over a 32-byte digest (SoftHSM2 has no
 *             CKM_ECDSA_SHA256, so the comparison hashes nothing)
 * Two threads means two sessions, one per thread, signing with the same
 * key; for OpenSSL, two threads sharing one EVP_PKEY and each creating its
 * own contexts per signature, as an application would.
 *
 * Each provider runs in a child process of its own, so that the modules
 * (which all use libcrypto) cannot disturb one another.  The careid and
 * SoftHSM2 tokens live in temporary directories created for the run and
 * removed afterwards.
 *
 * Then the scale figures of bench_scale.c: token listing with 1 to
 * --tokens tokens, session churn, search among --objects objects, signing
 * from two processes, careid against SoftHSM2.
 *
 * Usage: careid-bench [--module PATH] [--softhsm PATH|none] [--seconds S]
 *                     [--strict] [--tokens N] [--objects N] [--quick]
 *                     [--no-scale] [--scale-only]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "pkcs11.h"

#include "bench_scale.h"

#define SO_PIN    "87654321"
#define USER_PIN  "123456"
#define MAX_THREADS 2

enum { ALG_RSA = 0, ALG_P256 = 1, N_ALGS = 2 };
enum { PROV_CAREID = 0, PROV_SOFTHSM = 1, PROV_OPENSSL = 2, N_PROVS = 3 };

static const char *const alg_names[N_ALGS] = {
	"RSA-2048, CKM_SHA256_RSA_PKCS over 32 bytes",
	"P-256, CKM_ECDSA over a 32-byte digest",
};
static const char *const prov_names[N_PROVS] = { "careid", "SoftHSM2", "OpenSSL (EVP)" };

/* results[alg][threads - 1], ops/s; NAN when not measured */
typedef struct {
	double ops[N_ALGS][MAX_THREADS];
} prov_result;

static double g_seconds = 1.0;

static const unsigned char g_data[32] = {
	0x63, 0x61, 0x72, 0x65, 0x69, 0x64, 0x20, 0x62, 0x65, 0x6e, 0x63, 0x68,
	0x20, 0x64, 0x61, 0x74, 0x61, 0x20, 0x33, 0x32, 0x20, 0x62, 0x79, 0x74,
	0x65, 0x73, 0x20, 0x6c, 0x6f, 0x6e, 0x67, 0x21,
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- temporary directories ------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL)
		return false;
	bool ok = fputs(text, fp) >= 0;
	return fclose(fp) == 0 && ok;
}

/* ---- timed loops shared by all providers ------------------------------- */

typedef struct job job;
typedef bool (*sign_once_fn)(job *j);

struct job {
	/* PKCS#11 */
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	CK_OBJECT_HANDLE key;
	CK_MECHANISM_TYPE mech;
	/* OpenSSL */
	EVP_PKEY *pkey;
	int alg;
	/* loop */
	sign_once_fn sign_once;
	pthread_barrier_t *barrier;
	unsigned long ops;
	double elapsed;
	bool failed;
	char error[160];
};

static void *job_thread(void *arg)
{
	job *j = arg;
	/* Warm-up, outside the timed window. */
	for (int i = 0; i < 3 && !j->failed; i++)
		if (!j->sign_once(j))
			j->failed = true;
	pthread_barrier_wait(j->barrier);
	if (j->failed)
		return NULL;
	double start = now_seconds(), end = start + g_seconds, t = start;
	unsigned long n = 0;
	while (t < end) {
		if (!j->sign_once(j)) {
			j->failed = true;
			break;
		}
		n++;
		t = now_seconds();
	}
	j->ops = n;
	j->elapsed = t - start;
	return NULL;
}

/* Runs jobs[0..n) in n threads; ops/s summed over threads, NAN on failure. */
static double run_jobs(job *jobs, int n)
{
	pthread_t tid[MAX_THREADS];
	pthread_barrier_t barrier;
	double rate = 0.0;
	bool failed = false;

	pthread_barrier_init(&barrier, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		jobs[i].barrier = &barrier;
		if (pthread_create(&tid[i], NULL, job_thread, &jobs[i]) != 0) {
			fprintf(stderr, "careid-bench: pthread_create failed\n");
			exit(1);
		}
	}
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&barrier);

	for (int i = 0; i < n; i++) {
		if (jobs[i].failed || jobs[i].elapsed <= 0.0) {
			fprintf(stderr, "  thread %d failed: %s\n", i,
			        jobs[i].error[0] ? jobs[i].error : "no result");
			failed = true;
			continue;
		}
		rate += (double)jobs[i].ops / jobs[i].elapsed;
	}
	return failed ? NAN : rate;
}

/* ---- PKCS#11 providers -------------------------------------------------- */

static bool p11_sign_once(job *j)
{
	CK_MECHANISM mech = { j->mech, NULL, 0 };
	CK_BYTE sig[512];
	CK_ULONG sig_len = sizeof(sig);
	CK_RV rv = j->f->C_SignInit(j->session, &mech, j->key);
	if (rv == CKR_OK)
		rv = j->f->C_Sign(j->session, (CK_BYTE_PTR)g_data, sizeof(g_data), sig, &sig_len);
	if (rv != CKR_OK) {
		snprintf(j->error, sizeof(j->error), "C_SignInit/C_Sign: rv 0x%lx", (unsigned long)rv);
		return false;
	}
	return true;
}

static void pad_label(CK_UTF8CHAR out[32], const char *label)
{
	size_t n = strlen(label);
	memset(out, ' ', 32);
	memcpy(out, label, n < 32 ? n : 32);
}

#define P11_TRY(call)                                                              \
	do {                                                                       \
		CK_RV rv_ = (call);                                                \
		if (rv_ != CKR_OK) {                                               \
			fprintf(stderr, "  %s: %s failed: rv 0x%lx\n", name, #call,  \
			        (unsigned long)rv_);                               \
			goto out;                                                  \
		}                                                                  \
	} while (0)

/* Finds the slot whose token is (want_initialised) or is not initialised,
 * and, for an initialised one, carries the label. */
static bool find_slot(CK_FUNCTION_LIST *f, bool want_initialised, const CK_UTF8CHAR *label,
                      CK_SLOT_ID *out)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return false;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		bool init = (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
		if (init != want_initialised)
			continue;
		if (want_initialised && memcmp(ti.label, label, 32) != 0)
			continue;
		*out = slots[i];
		return true;
	}
	return false;
}

static bool p11_keygen(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, int alg, CK_OBJECT_HANDLE *priv,
                       const char *name)
{
	static const CK_BYTE p256_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const CK_BYTE f4[] = { 0x01, 0x00, 0x01 };
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG bits = 2048;
	CK_BYTE id = (CK_BYTE)(alg + 1);
	char label[16];
	snprintf(label, sizeof(label), "bench-%s", alg == ALG_RSA ? "rsa" : "p256");

	CK_ATTRIBUTE pub_rsa[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)f4, sizeof(f4) },
		{ CKA_LABEL, label, strlen(label) },
		{ CKA_ID, &id, 1 },
	};
	CK_ATTRIBUTE pub_ec[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) },
		{ CKA_LABEL, label, strlen(label) },
		{ CKA_ID, &id, 1 },
	};
	CK_ATTRIBUTE priv_tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_LABEL, label, strlen(label) },
		{ CKA_ID, &id, 1 },
	};
	CK_MECHANISM mech = { alg == ALG_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN,
	                      NULL, 0 };
	CK_OBJECT_HANDLE pub;
	CK_RV rv = f->C_GenerateKeyPair(s, &mech,
	                                alg == ALG_RSA ? pub_rsa : pub_ec,
	                                alg == ALG_RSA ? sizeof(pub_rsa) / sizeof(pub_rsa[0])
	                                               : sizeof(pub_ec) / sizeof(pub_ec[0]),
	                                priv_tmpl, sizeof(priv_tmpl) / sizeof(priv_tmpl[0]),
	                                &pub, priv);
	if (rv != CKR_OK) {
		fprintf(stderr, "  %s: C_GenerateKeyPair(%s) failed: rv 0x%lx\n", name, label,
		        (unsigned long)rv);
		return false;
	}
	return true;
}

static void bench_p11(int prov, const char *path, prov_result *res)
{
	const char *name = prov_names[prov];
	char dir[] = "/tmp/careid-bench.XXXXXX";
	char conf[256], tokens[256], text[512];
	void *dl = NULL;
	CK_FUNCTION_LIST *f = NULL;
	bool initialised = false;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	job jobs[MAX_THREADS];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return;
	}
	snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	if (mkdir(tokens, 0700) != 0) {
		perror("mkdir");
		goto out;
	}
	if (prov == PROV_CAREID) {
		snprintf(conf, sizeof(conf), "%s/careid.conf", dir);
		snprintf(text, sizeof(text), "token_dir = %s\nkdf_cost = 10\ncard_readers = no\n", tokens);
		setenv("CAREID_CONF", conf, 1);
		setenv("CAREID_LOG", "error", 0);
	} else {
		snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
		snprintf(text, sizeof(text),
		         "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
		         tokens);
		setenv("SOFTHSM2_CONF", conf, 1);
	}
	if (!write_file(conf, text)) {
		fprintf(stderr, "  %s: cannot write %s\n", name, conf);
		goto out;
	}

	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		fprintf(stderr, "  %s: cannot load %s: %s\n", name, path, dlerror());
		goto out;
	}
	CK_C_GetFunctionList get_list = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
	if (get_list == NULL) {
		fprintf(stderr, "  %s: no C_GetFunctionList in %s\n", name, path);
		goto out;
	}
	P11_TRY(get_list(&f));

	CK_C_INITIALIZE_ARGS args;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	P11_TRY(f->C_Initialize(&args));
	initialised = true;

	CK_UTF8CHAR label[32];
	CK_SLOT_ID slot;
	pad_label(label, "careid-bench");
	if (!find_slot(f, false, NULL, &slot)) {
		fprintf(stderr, "  %s: no slot with an uninitialised token\n", name);
		goto out;
	}
	P11_TRY(f->C_InitToken(slot, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN), label));
	if (!find_slot(f, true, label, &slot)) {
		fprintf(stderr, "  %s: the new token is not listed\n", name);
		goto out;
	}
	P11_TRY(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	P11_TRY(f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN)));
	P11_TRY(f->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	P11_TRY(f->C_Logout(s));
	P11_TRY(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));

	for (int alg = 0; alg < N_ALGS; alg++) {
		CK_OBJECT_HANDLE key;
		if (!p11_keygen(f, s, alg, &key, name))
			continue;
		for (int nt = 1; nt <= MAX_THREADS; nt++) {
			int opened = 0;
			memset(jobs, 0, sizeof(jobs));
			for (int i = 0; i < nt; i++) {
				job *j = &jobs[i];
				j->f = f;
				j->slot = slot;
				j->key = key;
				j->alg = alg;
				j->mech = alg == ALG_RSA ? CKM_SHA256_RSA_PKCS : CKM_ECDSA;
				j->sign_once = p11_sign_once;
				if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &j->session) != CKR_OK) {
					fprintf(stderr, "  %s: C_OpenSession for thread %d failed\n", name, i);
					break;
				}
				opened++;
			}
			if (opened == nt) {
				res->ops[alg][nt - 1] = run_jobs(jobs, nt);
				fprintf(stderr, "  %-9s %-5s %d thread%s %10.1f ops/s\n", name,
				        alg == ALG_RSA ? "RSA" : "P-256", nt, nt > 1 ? "s" : " ",
				        res->ops[alg][nt - 1]);
			}
			for (int i = 0; i < opened; i++)
				f->C_CloseSession(jobs[i].session);
		}
	}

out:
	if (initialised) {
		if (s != CK_INVALID_HANDLE)
			f->C_CloseSession(s);
		f->C_Finalize(NULL);
	}
	/* The module stays loaded: the process ends right after. */
	(void)dl;
	rm_tree(dir);
}

/* ---- OpenSSL directly ------------------------------------------------------ */

static bool ossl_sign_once(job *j)
{
	unsigned char sig[512];
	size_t sig_len = sizeof(sig);
	bool ok = false;

	if (j->alg == ALG_RSA) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		ok = md != NULL &&
		     EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, j->pkey) == 1 &&
		     EVP_DigestSign(md, sig, &sig_len, g_data, sizeof(g_data)) == 1;
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(j->pkey, NULL);
		ok = ctx != NULL &&
		     EVP_PKEY_sign_init(ctx) == 1 &&
		     EVP_PKEY_sign(ctx, sig, &sig_len, g_data, sizeof(g_data)) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
	if (!ok) {
		snprintf(j->error, sizeof(j->error), "OpenSSL: %s",
		         ERR_reason_error_string(ERR_get_error()));
		ERR_clear_error();
	}
	return ok;
}

static void bench_openssl(prov_result *res)
{
	job jobs[MAX_THREADS];
	for (int alg = 0; alg < N_ALGS; alg++) {
		EVP_PKEY *pkey = alg == ALG_RSA
		                         ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
		                         : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		if (pkey == NULL) {
			fprintf(stderr, "  OpenSSL: key generation failed\n");
			continue;
		}
		for (int nt = 1; nt <= MAX_THREADS; nt++) {
			memset(jobs, 0, sizeof(jobs));
			for (int i = 0; i < nt; i++) {
				jobs[i].pkey = pkey;
				jobs[i].alg = alg;
				jobs[i].sign_once = ossl_sign_once;
			}
			res->ops[alg][nt - 1] = run_jobs(jobs, nt);
			fprintf(stderr, "  %-9s %-5s %d thread%s %10.1f ops/s\n", "OpenSSL",
			        alg == ALG_RSA ? "RSA" : "P-256", nt, nt > 1 ? "s" : " ",
			        res->ops[alg][nt - 1]);
		}
		EVP_PKEY_free(pkey);
	}
}

/* ---- one child process per provider ---------------------------------------- */

static void run_provider(int prov, const char *path, prov_result *res)
{
	int fds[2];
	for (int a = 0; a < N_ALGS; a++)
		for (int t = 0; t < MAX_THREADS; t++)
			res->ops[a][t] = NAN;
	if (prov != PROV_OPENSSL && path == NULL)
		return;

	fflush(stdout);
	fflush(stderr);
	if (pipe(fds) != 0) {
		perror("pipe");
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		prov_result mine = *res;
		close(fds[0]);
		if (prov == PROV_OPENSSL)
			bench_openssl(&mine);
		else
			bench_p11(prov, path, &mine);
		ssize_t w = write(fds[1], &mine, sizeof(mine));
		_exit(w == (ssize_t)sizeof(mine) ? 0 : 1);
	}
	close(fds[1]);
	prov_result got;
	ssize_t r = read(fds[0], &got, sizeof(got));
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	if (r == (ssize_t)sizeof(got))
		*res = got;
	else
		fprintf(stderr, "  %s: benchmark process ended abnormally (status 0x%x)\n",
		        prov_names[prov], status);
}

/* ---- report ----------------------------------------------------------------- */

static void print_num(double v)
{
	if (isnan(v))
		printf(" %12s", "-");
	else
		printf(" %12.1f", v);
}

static void print_ratio(double a, double b, const char *suffix)
{
	if (isnan(a) || isnan(b) || b <= 0.0)
		printf(" %12s", "-");
	else
		printf(" %11.2f%s", a / b, suffix);
}

/* Prints one target line; returns false when the target is not met. */
static bool target(const char *what, double value, double goal, bool percent)
{
	bool met = !isnan(value) && value >= goal;
	if (percent)
		printf("  %-52s %7.1f%%  (goal %3.0f%%)  %s\n", what, value * 100.0, goal * 100.0,
		       isnan(value) ? "not measured" : met ? "met" : "NOT MET");
	else
		printf("  %-52s %7.2fx  (goal %.1fx)   %s\n", what, value, goal,
		       isnan(value) ? "not measured" : met ? "met" : "NOT MET");
	return met;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: careid-bench [--module PATH] [--softhsm PATH|none] [--seconds S] [--strict]\n"
	        "  --module PATH    careid module (default: $CAREID_MODULE)\n"
	        "  --softhsm PATH   SoftHSM2 module, or none (default: "
	        "/usr/lib/softhsm/libsofthsm2.so)\n"
	        "  --seconds S      duration of each measurement (default: 1)\n"
	        "  --strict         exit with status 3 when a target is not met\n"
	        "  --tokens N       most tokens listed in the scale figures (default: 1000)\n"
	        "  --objects N      data objects searched among (default: 10000)\n"
	        "  --quick          short run: 0.3 s loops, 100 tokens, 1000 objects\n"
	        "  --no-scale       sign figures only\n"
	        "  --scale-only     scale figures only\n");
}

int main(int argc, char **argv)
{
	const char *module = getenv("CAREID_MODULE");
	const char *softhsm = "/usr/lib/softhsm/libsofthsm2.so";
	bool strict = false, sign = true, scale = true;
	scale_opts so = { .max_tokens = 1000, .objects = 10000, .seconds = 0.0 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--module") == 0 && i + 1 < argc) {
			module = argv[++i];
		} else if (strcmp(argv[i], "--softhsm") == 0 && i + 1 < argc) {
			softhsm = argv[++i];
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			char *end;
			g_seconds = strtod(argv[++i], &end);
			if (*end != '\0' || !(g_seconds > 0.0 && g_seconds <= 600.0)) {
				fprintf(stderr, "careid-bench: --seconds wants a number in (0, 600]\n");
				return 2;
			}
		} else if ((strcmp(argv[i], "--tokens") == 0 || strcmp(argv[i], "--objects") == 0) &&
		           i + 1 < argc) {
			char *end;
			bool tokens = strcmp(argv[i], "--tokens") == 0;
			long v = strtol(argv[++i], &end, 10);
			if (*end != '\0' || v < 1 || v > 100000) {
				fprintf(stderr, "careid-bench: %s wants a number in 1..100000\n",
				        tokens ? "--tokens" : "--objects");
				return 2;
			}
			*(tokens ? &so.max_tokens : &so.objects) = (int)v;
		} else if (strcmp(argv[i], "--quick") == 0) {
			g_seconds = 0.3;
			so.max_tokens = 100;
			so.objects = 1000;
		} else if (strcmp(argv[i], "--no-scale") == 0) {
			scale = false;
		} else if (strcmp(argv[i], "--scale-only") == 0) {
			sign = false;
		} else if (strcmp(argv[i], "--strict") == 0) {
			strict = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (module == NULL || *module == '\0') {
		fprintf(stderr, "careid-bench: give the careid module with --module or CAREID_MODULE\n");
		return 2;
	}
	if (strcmp(softhsm, "none") == 0 || access(softhsm, R_OK) != 0) {
		if (strcmp(softhsm, "none") != 0)
			fprintf(stderr, "careid-bench: %s not found, SoftHSM2 skipped\n", softhsm);
		softhsm = NULL;
	}

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	fprintf(stderr, "careid-bench: %.1f s per measurement, %ld CPU%s online\n", g_seconds,
	        cpus, cpus == 1 ? "" : "s");

	if (scale) {
		scale_result sc, ss;
		so.seconds = g_seconds;
		double t0 = now_seconds();
		scale_bench("careid", module, true, &so, &sc);
		scale_bench("SoftHSM2", softhsm, false, &so, &ss);
		scale_print(&sc, &ss, &so);
		printf("scale figures took %.0f s\n", now_seconds() - t0);
		if (!sign)
			return isnan(sc.sessions_per_s) ? 1 : 0;
	}

	prov_result res[N_PROVS];
	run_provider(PROV_OPENSSL, NULL, &res[PROV_OPENSSL]);
	run_provider(PROV_CAREID, module, &res[PROV_CAREID]);
	run_provider(PROV_SOFTHSM, softhsm, &res[PROV_SOFTHSM]);

	printf("\nSign operations per second (%.1f s per cell, %ld CPUs)\n", g_seconds, cpus);
	printf("careid module: %s\n", module);
	printf("%-22s %12s %12s %12s\n", "", "1 thread", "2 threads", "2t/1t");
	for (int a = 0; a < N_ALGS; a++) {
		printf("%s\n", alg_names[a]);
		for (int p = 0; p < N_PROVS; p++) {
			printf("  %-20s", prov_names[p]);
			print_num(res[p].ops[a][0]);
			print_num(res[p].ops[a][1]);
			print_ratio(res[p].ops[a][1], res[p].ops[a][0], "x");
			printf("\n");
		}
		for (int p = 0; p < N_PROVS; p++) {
			if (p == PROV_OPENSSL)
				continue;
			char label[40];
			snprintf(label, sizeof(label), "%s/OpenSSL", prov_names[p]);
			printf("  %-20s", label);
			print_ratio(res[p].ops[a][0], res[PROV_OPENSSL].ops[a][0], " ");
			print_ratio(res[p].ops[a][1], res[PROV_OPENSSL].ops[a][1], " ");
			printf("\n");
		}
	}

	const prov_result *c = &res[PROV_CAREID], *o = &res[PROV_OPENSSL];
	bool all = true;
	printf("\nTargets (careid)\n");
	all &= target("RSA-2048, 1 thread: >= 90% of OpenSSL", c->ops[ALG_RSA][0] / o->ops[ALG_RSA][0],
	              0.90, true);
	all &= target("P-256, 1 thread: >= 80% of OpenSSL", c->ops[ALG_P256][0] / o->ops[ALG_P256][0],
	              0.80, true);
	all &= target("RSA-2048, 2 threads >= 1.8x 1 thread", c->ops[ALG_RSA][1] / c->ops[ALG_RSA][0],
	              1.8, false);
	all &= target("P-256, 2 threads >= 1.8x 1 thread", c->ops[ALG_P256][1] / c->ops[ALG_P256][0],
	              1.8, false);
	if (cpus < 2)
		printf("  (fewer than 2 CPUs online: the scaling targets cannot be met here)\n");
	printf("all targets %s\n", all ? "met" : "NOT met");

	if (isnan(c->ops[ALG_RSA][0]) && isnan(c->ops[ALG_P256][0]))
		return 1;
	return strict && !all ? 3 : 0;
}
