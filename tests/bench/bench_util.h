/* careid-bench, what the sign figures (bench.c) and the scale figures
 * (bench_scale.c) share: time, temporary files, loading a PKCS#11 module
 * and making tokens on it, raw OpenSSL signing, child processes, targets. */
#ifndef CAREID_BENCH_UTIL_H
#define CAREID_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "pkcs11.h"

#define BU_SO_PIN   "87654321"
#define BU_USER_PIN "123456"

/* ---- time and files ------------------------------------------------------ */

double bu_now(void);                 /* CLOCK_MONOTONIC, the same in every process */
void bu_sleep_until(double t);       /* on that clock */
void bu_rm_tree(const char *dir);
bool bu_write_file(const char *path, const char *text);
void bu_pad32(CK_UTF8CHAR out[32], const char *label);

/* Writes the configuration of a module whose tokens live in tokens_dir
 * (careid, or SoftHSM2 with its file store) to conf_path, and points the
 * environment at it, so that the module loaded next uses it. */
bool bu_module_conf(const char *conf_path, const char *tokens_dir, bool careid);

/* ---- a PKCS#11 module ------------------------------------------------------ */

typedef struct {
	const char *name;
	CK_FUNCTION_LIST *f;
} bu_mod;

bool bu_mod_load(bu_mod *m, const char *name, const char *path);
bool bu_mod_init(const bu_mod *m);  /* C_Initialize with OS locking */
/* Logs a failed call under the module's name; true when rv is CKR_OK. */
bool bu_ck(const bu_mod *m, const char *what, CK_RV rv);

/* The slots with a token, malloc'd; NULL on failure. */
CK_SLOT_ID *bu_slot_list(const bu_mod *m, CK_ULONG *n);
/* Initialises the token of a free slot with label, and the user passcode
 * when user is set; its slot in *out. */
bool bu_make_token(const bu_mod *m, const char *label, bool user, CK_SLOT_ID *out);
/* The slot of the initialised token labelled label. */
bool bu_token_slot(const bu_mod *m, const char *label, CK_SLOT_ID *out);
/* A R/W session on that token, logged in as the user. */
bool bu_open_user(const bu_mod *m, const char *label, CK_SESSION_HANDLE *h);
/* The one object of class cls the session sees. */
bool bu_find_class(const bu_mod *m, CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
                   CK_OBJECT_HANDLE *out);
/* A token key pair, RSA-2048 or P-256, both halves labelled label, the
 * private key alone with CKA_ID id (a search by it finds one object); the
 * private key in *priv. */
bool bu_keypair(const bu_mod *m, CK_SESSION_HANDLE h, bool rsa, const char *label,
                const char *id, CK_OBJECT_HANDLE *priv);
/* 32 bytes that every figure signs: the data, or the digest for ECDSA. */
extern const unsigned char bu_data[32];
/* One signature over bu_data with mech (CKM_ECDSA, CKM_SHA256_RSA_PKCS);
 * the return value of the first call that failed, or CKR_OK. */
CK_RV bu_p11_sign(const bu_mod *m, CK_SESSION_HANDLE h, CK_MECHANISM_TYPE mech,
                  CK_OBJECT_HANDLE key);

/* ---- OpenSSL directly ------------------------------------------------------ */

/* One signature with a context made for it, as an application would:
 * RSA SHA-256 PKCS#1 v1.5 over data, or ECDSA over data taken as the
 * digest.  On failure the OpenSSL reason is in err. */
bool bu_ossl_sign(EVP_PKEY *pkey, bool rsa, const unsigned char *data, size_t len, char *err,
                  size_t err_len);

/* ---- child processes ------------------------------------------------------- */

/* Runs fn(arg, out) in a child process; the child's out (size bytes) then
 * replaces the caller's.  False, *out untouched, when the child failed. */
bool bu_run_child(void (*fn)(void *arg, void *out), void *arg, void *out, size_t size,
                  const char *name);

/* A group of child processes started over one wall-clock window.  Each
 * child prepares (loads a module, logs in, makes keys: nothing of which is
 * timed), then calls bu_ready(), which waits until every child of the group
 * is ready and gives the common start time.  The parent only waits. */
typedef struct bu_child bu_child;
typedef void (*bu_child_fn)(bu_child *c, void *arg, void *out);

int bu_child_index(const bu_child *c);
/* ok: whether this child's preparation worked.  True when the whole group
 * is ready; *start is then the moment every child starts, a little ahead,
 * which bu_ready() has already waited for. */
bool bu_ready(bu_child *c, bool ok, double *start);
/* For the children after the timed ones: whether the timed children have
 * all finished, so that this one should stop too.  Does not block. */
bool bu_stop_asked(const bu_child *c);

/* Runs n children (at most BU_MAX_CHILDREN) of fn.  Children 0..timed-1
 * run to their own end; the others until those have all ended (load beside
 * the measured ones).  out holds n blocks of size bytes, one per child,
 * which the caller fills with what a failed child should leave.  True when
 * every child was ready and reported. */
#define BU_MAX_CHILDREN 4
bool bu_group(int n, int timed, bu_child_fn fn, void *arg, void *out, size_t size,
              const char *name);

/* ---- targets ------------------------------------------------------------------ */

typedef enum {
	BU_AT_LEAST_X,       /* value >= goal, printed as a ratio (1.80x) */
	BU_AT_LEAST_PERCENT, /* value >= goal, printed as a percentage */
	BU_AT_MOST,          /* value <= goal, a count */
} bu_goal;

/* Prints one target line: the value, the goal, met or NOT MET (or not
 * measured, NAN).  Returns whether it is met. */
bool bu_target(const char *what, double value, double goal, bu_goal kind);

#endif
