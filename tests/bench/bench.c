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
 * from two processes (against raw OpenSSL as the machine's ceiling), a
 * reader beside a writer on one token, careid against SoftHSM2.
 *
 * Usage: careid-bench [--module PATH] [--softhsm PATH|none] [--seconds S]
 *                     [--strict] [--tokens N] [--objects N] [--quick]
 *                     [--no-scale] [--scale-only]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pkcs11.h"

#include "bench_scale.h"
#include "bench_util.h"

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

/* ---- timed loops shared by all providers ------------------------------- */

typedef struct job job;
typedef bool (*sign_once_fn)(job *j);

struct job {
	/* PKCS#11 */
	const bu_mod *m;
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
	double start = bu_now(), end = start + g_seconds, t = start;
	unsigned long n = 0;
	while (t < end) {
		if (!j->sign_once(j)) {
			j->failed = true;
			break;
		}
		n++;
		t = bu_now();
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
	CK_RV rv = bu_p11_sign(j->m, j->session, j->mech, j->key);
	if (rv != CKR_OK) {
		snprintf(j->error, sizeof(j->error), "C_SignInit/C_Sign: rv 0x%lx", (unsigned long)rv);
		return false;
	}
	return true;
}

static void bench_p11(int prov, const char *path, prov_result *res)
{
	const char *name = prov_names[prov];
	char dir[] = "/tmp/careid-bench.XXXXXX";
	char conf[256], tokens[256];
	bu_mod m;
	bool initialised = false;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	job jobs[MAX_THREADS];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return;
	}
	snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	snprintf(conf, sizeof(conf), "%s/%s.conf", dir, prov == PROV_CAREID ? "careid" : "softhsm2");
	if (mkdir(tokens, 0700) != 0) {
		perror("mkdir");
		goto out;
	}
	if (!bu_module_conf(conf, tokens, prov == PROV_CAREID) || !bu_mod_load(&m, name, path) ||
	    !bu_mod_init(&m))
		goto out;
	initialised = true;
	if (!bu_make_token(&m, "careid-bench", true, &slot) || !bu_open_user(&m, "careid-bench", &s))
		goto out;

	for (int alg = 0; alg < N_ALGS; alg++) {
		CK_OBJECT_HANDLE key;
		char id[2] = { (char)('1' + alg), 0 };
		if (!bu_keypair(&m, s, alg == ALG_RSA, alg == ALG_RSA ? "bench-rsa" : "bench-p256", id,
		                &key))
			continue;
		for (int nt = 1; nt <= MAX_THREADS; nt++) {
			int opened = 0;
			memset(jobs, 0, sizeof(jobs));
			for (int i = 0; i < nt; i++) {
				job *j = &jobs[i];
				j->m = &m;
				j->key = key;
				j->alg = alg;
				j->mech = alg == ALG_RSA ? CKM_SHA256_RSA_PKCS : CKM_ECDSA;
				j->sign_once = p11_sign_once;
				if (!bu_ck(&m, "C_OpenSession",
				           m.f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL,
				                              &j->session)))
					break;
				opened++;
			}
			if (opened == nt) {
				res->ops[alg][nt - 1] = run_jobs(jobs, nt);
				fprintf(stderr, "  %-9s %-5s %d thread%s %10.1f ops/s\n", name,
				        alg == ALG_RSA ? "RSA" : "P-256", nt, nt > 1 ? "s" : " ",
				        res->ops[alg][nt - 1]);
			}
			for (int i = 0; i < opened; i++)
				m.f->C_CloseSession(jobs[i].session);
		}
	}

out:
	if (initialised) {
		if (s != CK_INVALID_HANDLE)
			m.f->C_CloseSession(s);
		m.f->C_Finalize(NULL);
	}
	bu_rm_tree(dir);
}

/* ---- OpenSSL directly ------------------------------------------------------ */

static bool ossl_sign_once(job *j)
{
	return bu_ossl_sign(j->pkey, j->alg == ALG_RSA, bu_data, sizeof(bu_data), j->error,
	                    sizeof(j->error));
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

typedef struct {
	int prov;
	const char *path;
} provider_arg;

static void provider_child(void *arg, void *out)
{
	const provider_arg *a = arg;
	if (a->prov == PROV_OPENSSL)
		bench_openssl(out);
	else
		bench_p11(a->prov, a->path, out);
}

static void run_provider(int prov, const char *path, prov_result *res)
{
	provider_arg a = { prov, path };
	for (int al = 0; al < N_ALGS; al++)
		for (int t = 0; t < MAX_THREADS; t++)
			res->ops[al][t] = NAN;
	if (prov != PROV_OPENSSL && path == NULL)
		return;
	bu_run_child(provider_child, &a, res, sizeof(*res), prov_names[prov]);
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

	bool all = true;
	if (scale) {
		scale_result sc, ss;
		so.seconds = g_seconds;
		double t0 = bu_now();
		scale_bench("careid", module, true, &so, &sc);
		scale_bench("SoftHSM2", softhsm, false, &so, &ss);
		all &= scale_print(&sc, &ss, &so);
		printf("scale figures took %.0f s\n", bu_now() - t0);
		if (!sign) {
			printf("all scale targets %s\n", all ? "met" : "NOT met");
			if (isnan(sc.sessions_per_s))
				return 1;
			return strict && !all ? 3 : 0;
		}
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
	printf("\nTargets (careid)\n");
	all &= bu_target("RSA-2048, 1 thread: >= 90% of OpenSSL",
	                 c->ops[ALG_RSA][0] / o->ops[ALG_RSA][0], 0.90, BU_AT_LEAST_PERCENT);
	all &= bu_target("P-256, 1 thread: >= 80% of OpenSSL",
	                 c->ops[ALG_P256][0] / o->ops[ALG_P256][0], 0.80, BU_AT_LEAST_PERCENT);
	all &= bu_target("RSA-2048, 2 threads >= 1.8x 1 thread",
	                 c->ops[ALG_RSA][1] / c->ops[ALG_RSA][0], 1.8, BU_AT_LEAST_X);
	all &= bu_target("P-256, 2 threads >= 1.8x 1 thread",
	                 c->ops[ALG_P256][1] / c->ops[ALG_P256][0], 1.8, BU_AT_LEAST_X);
	if (cpus < 2)
		printf("  (fewer than 2 CPUs online: the scaling targets cannot be met here)\n");
	printf("all targets %s%s\n", all ? "met" : "NOT met",
	       scale ? " (the scale targets above included)" : "");

	if (isnan(c->ops[ALG_RSA][0]) && isnan(c->ops[ALG_P256][0]))
		return 1;
	return strict && !all ? 3 : 0;
}
