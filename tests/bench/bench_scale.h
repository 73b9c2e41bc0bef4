/* careid-bench, scale figures: token listing with many tokens, session
 * churn, object search among many objects, signing from two processes. */
#ifndef CAREID_BENCH_SCALE_H
#define CAREID_BENCH_SCALE_H

#include <stdbool.h>

#define SCALE_COUNTS 4
#define SCALE_FINDS  3

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

/* Prints the careid and SoftHSM2 figures side by side. */
void scale_print(const scale_result *careid, const scale_result *softhsm, const scale_opts *o);

#endif
