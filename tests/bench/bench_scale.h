/* careid-bench, scale figures: token listing with many tokens, session
 * churn, object search among many objects, signing from two processes,
 * a reader beside a writer on one token. */
#ifndef CAREID_BENCH_SCALE_H
#define CAREID_BENCH_SCALE_H

#include <stdbool.h>

#define SCALE_COUNTS 4
#define SCALE_FINDS  3
#define SCALE_SIGN_ROUNDS 3 /* signing windows of each kind; the best is kept */
#define SCALE_RW_OBJECTS 1000 /* data objects on the token read beside a writer */
#define SCALE_RW_ROUNDS  2    /* alone and beside, in turn */

/* What the reading process measured, each loop for the time of the run. */
typedef struct {
	double sign_per_s;    /* P-256 C_SignInit + C_Sign */
	double sign_busy;     /* its CPU time over wall time while signing */
	double find_per_s;    /* C_FindObjects* by a unique CKA_LABEL */
	double logins_per_s;  /* C_Logout + C_Login cycles */
	double login_failed;  /* C_Login calls that failed */
	double other_failed;  /* signs, finds, logouts that failed */
} scale_reader;

typedef struct {
	int counts[SCALE_COUNTS];       /* tokens listed at each step */
	double create_s[SCALE_COUNTS];  /* seconds to create the tokens added at this step */
	double list_ms[SCALE_COUNTS];   /* one C_Initialize..C_Finalize listing */
	double list_fds[SCALE_COUNTS];  /* open descriptors before C_Finalize */
	double sessions_per_s;          /* C_OpenSession + C_CloseSession pairs */
	double fill_s;                  /* creating the objects searched */
	double find_us[SCALE_FINDS];    /* by CKA_LABEL, CKA_ID, CKA_CLASS */
	double sign_one;                /* P-256 signs/s, one process */
	double sign_two;                /* P-256 signs/s, two processes, summed */
	double raw_one;                 /* the same, OpenSSL itself, no PKCS#11 */
	double raw_two;
	/* CPUs the signing processes kept busy over the window (CPU time
	 * over wall time, summed): below 1 per process when they waited, or
	 * when other work on the machine took the CPU from them. */
	double busy_one, busy_two, raw_busy_one, raw_busy_two;
	double load_sign;               /* 1-minute load average before them */
	scale_reader alone;             /* the reader alone on its token */
	scale_reader beside;            /* the reader while the writer writes */
	double writer_per_s;            /* C_CreateObject + C_DestroyObject pairs */
	double writer_failed;           /* writer calls that failed */
} scale_result;

typedef struct {
	int max_tokens;  /* biggest token count listed */
	int objects;     /* CKO_DATA objects searched among */
	double seconds;  /* duration of each timed loop */
} scale_opts;

/* Runs every scale figure for one module; fields not measured stay NAN.
 * careid selects the configuration format written for the module. */
void scale_bench(const char *name, const char *path, bool careid, const scale_opts *o,
                 scale_result *res);

/* Prints the careid and SoftHSM2 figures side by side, then careid's
 * scale targets; returns whether all of them are met. */
bool scale_print(const scale_result *careid, const scale_result *softhsm, const scale_opts *o);

#endif
