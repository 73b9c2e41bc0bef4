/* careid-bench, shared parts: see bench_util.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "bench_util.h"

const unsigned char bu_data[32] = {
	0x63, 0x61, 0x72, 0x65, 0x69, 0x64, 0x20, 0x62, 0x65, 0x6e, 0x63, 0x68,
	0x20, 0x64, 0x61, 0x74, 0x61, 0x20, 0x33, 0x32, 0x20, 0x62, 0x79, 0x74,
	0x65, 0x73, 0x20, 0x6c, 0x6f, 0x6e, 0x67, 0x21,
};

/* ---- time and files ------------------------------------------------------ */

double bu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bu_sleep_until(double t)
{
	struct timespec ts;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void bu_rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool bu_write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL)
		return false;
	bool ok = fputs(text, fp) >= 0;
	return fclose(fp) == 0 && ok;
}

void bu_pad32(CK_UTF8CHAR out[32], const char *label)
{
	size_t n = strlen(label);
	memset(out, ' ', 32);
	memcpy(out, label, n < 32 ? n : 32);
}

bool bu_module_conf(const char *conf_path, const char *tokens_dir, bool careid)
{
	char text[1200];
	if (careid) {
		/* The lowest passcode cost, so that making tokens is quick. */
		snprintf(text, sizeof(text), "token_dir = %s\nkdf_cost = 10\ncard_readers = no\n",
		         tokens_dir);
		setenv("CAREID_CONF", conf_path, 1);
		setenv("CAREID_LOG", "error", 0);
	} else {
		snprintf(text, sizeof(text),
		         "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
		         tokens_dir);
		setenv("SOFTHSM2_CONF", conf_path, 1);
	}
	if (!bu_write_file(conf_path, text)) {
		fprintf(stderr, "careid-bench: cannot write %s\n", conf_path);
		return false;
	}
	return true;
}

/* ---- a PKCS#11 module ------------------------------------------------------ */

bool bu_mod_load(bu_mod *m, const char *name, const char *path)
{
	m->name = name;
	m->f = NULL;
	/* Never closed: each module lives in a process that ends soon after. */
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		fprintf(stderr, "  %s: cannot load %s: %s\n", name, path, dlerror());
		return false;
	}
	CK_C_GetFunctionList gl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
	if (gl == NULL) {
		fprintf(stderr, "  %s: no C_GetFunctionList in %s\n", name, path);
		return false;
	}
	return bu_ck(m, "C_GetFunctionList", gl(&m->f));
}

bool bu_ck(const bu_mod *m, const char *what, CK_RV rv)
{
	if (rv != CKR_OK)
		fprintf(stderr, "  %s: %s failed: rv 0x%lx\n", m->name, what, (unsigned long)rv);
	return rv == CKR_OK;
}

bool bu_mod_init(const bu_mod *m)
{
	CK_C_INITIALIZE_ARGS a;
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	return bu_ck(m, "C_Initialize", m->f->C_Initialize(&a));
}

CK_SLOT_ID *bu_slot_list(const bu_mod *m, CK_ULONG *n)
{
	CK_SLOT_ID *v = NULL;
	for (int tries = 0; tries < 4; tries++) {
		if (!bu_ck(m, "C_GetSlotList", m->f->C_GetSlotList(CK_TRUE, NULL, n)))
			return NULL;
		free(v);
		v = calloc(*n + 1, sizeof(*v));
		if (v == NULL)
			return NULL;
		CK_RV rv = m->f->C_GetSlotList(CK_TRUE, v, n);
		if (rv == CKR_OK)
			return v;
		if (rv != CKR_BUFFER_TOO_SMALL)
			break;
	}
	free(v);
	return NULL;
}

static bool slot_free(const bu_mod *m, CK_SLOT_ID s)
{
	CK_TOKEN_INFO ti;
	return m->f->C_GetTokenInfo(s, &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED);
}

/* The slot with an uninitialised token.  Both modules list it last or
 * first, so those are tried before a scan, keeping creation linear. */
static bool free_slot(const bu_mod *m, CK_SLOT_ID *out)
{
	CK_ULONG n = 0;
	CK_SLOT_ID *v = bu_slot_list(m, &n);
	bool found = false;
	if (v == NULL || n == 0) {
		free(v);
		return false;
	}
	if (slot_free(m, v[n - 1])) {
		*out = v[n - 1];
		found = true;
	} else {
		for (CK_ULONG i = 0; i + 1 < n && !found; i++)
			if (slot_free(m, v[i])) {
				*out = v[i];
				found = true;
			}
	}
	free(v);
	return found;
}

bool bu_make_token(const bu_mod *m, const char *label, bool user, CK_SLOT_ID *out)
{
	CK_UTF8CHAR l[32];
	CK_SLOT_ID s;
	CK_SESSION_HANDLE h;
	bu_pad32(l, label);
	if (!free_slot(m, &s)) {
		fprintf(stderr, "  %s: no slot with an uninitialised token\n", m->name);
		return false;
	}
	if (!bu_ck(m, "C_InitToken",
	           m->f->C_InitToken(s, (CK_UTF8CHAR_PTR)BU_SO_PIN, strlen(BU_SO_PIN), l)))
		return false;
	*out = s;
	if (!user)
		return true;
	if (!bu_token_slot(m, label, &s) ||
	    !bu_ck(m, "C_OpenSession",
	           m->f->C_OpenSession(s, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h)))
		return false;
	*out = s;
	bool ok = bu_ck(m, "C_Login(SO)",
	                m->f->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)BU_SO_PIN, strlen(BU_SO_PIN))) &&
	          bu_ck(m, "C_InitPIN",
	                m->f->C_InitPIN(h, (CK_UTF8CHAR_PTR)BU_USER_PIN, strlen(BU_USER_PIN)));
	m->f->C_CloseSession(h);
	return ok;
}

bool bu_token_slot(const bu_mod *m, const char *label, CK_SLOT_ID *out)
{
	CK_UTF8CHAR l[32];
	CK_ULONG n = 0;
	CK_SLOT_ID *v = bu_slot_list(m, &n);
	bool found = false;
	bu_pad32(l, label);
	for (CK_ULONG i = 0; v != NULL && i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		if (m->f->C_GetTokenInfo(v[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) &&
		    memcmp(ti.label, l, 32) == 0) {
			*out = v[i];
			found = true;
		}
	}
	free(v);
	if (!found)
		fprintf(stderr, "  %s: token %s not listed\n", m->name, label);
	return found;
}

bool bu_open_user(const bu_mod *m, const char *label, CK_SESSION_HANDLE *h)
{
	CK_SLOT_ID s;
	return bu_token_slot(m, label, &s) &&
	       bu_ck(m, "C_OpenSession",
	             m->f->C_OpenSession(s, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, h)) &&
	       bu_ck(m, "C_Login",
	             m->f->C_Login(*h, CKU_USER, (CK_UTF8CHAR_PTR)BU_USER_PIN, strlen(BU_USER_PIN)));
}

bool bu_find_class(const bu_mod *m, CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
                   CK_OBJECT_HANDLE *out)
{
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE found[2];
	CK_ULONG got = 0;
	if (!bu_ck(m, "C_FindObjectsInit", m->f->C_FindObjectsInit(h, &t, 1)) ||
	    !bu_ck(m, "C_FindObjects", m->f->C_FindObjects(h, found, 2, &got)) ||
	    !bu_ck(m, "C_FindObjectsFinal", m->f->C_FindObjectsFinal(h)))
		return false;
	if (got != 1) {
		fprintf(stderr, "  %s: %lu objects of class 0x%lx, not 1\n", m->name,
		        (unsigned long)got, (unsigned long)cls);
		return false;
	}
	*out = found[0];
	return true;
}

bool bu_keypair(const bu_mod *m, CK_SESSION_HANDLE h, bool rsa, const char *label,
                const char *id, CK_OBJECT_HANDLE *priv)
{
	static const CK_BYTE p256_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const CK_BYTE f4[] = { 0x01, 0x00, 0x01 };
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG bits = 2048;
	CK_ATTRIBUTE pub_rsa[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)f4, sizeof(f4) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ATTRIBUTE pub_ec[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ATTRIBUTE priv_tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, (void *)id, strlen(id) },
	};
	CK_MECHANISM mech = { rsa ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub;
	return bu_ck(m, rsa ? "C_GenerateKeyPair(RSA-2048)" : "C_GenerateKeyPair(P-256)",
	             m->f->C_GenerateKeyPair(h, &mech, rsa ? pub_rsa : pub_ec,
	                                     rsa ? sizeof(pub_rsa) / sizeof(pub_rsa[0])
	                                         : sizeof(pub_ec) / sizeof(pub_ec[0]),
	                                     priv_tmpl, sizeof(priv_tmpl) / sizeof(priv_tmpl[0]),
	                                     &pub, priv));
}

CK_RV bu_p11_sign(const bu_mod *m, CK_SESSION_HANDLE h, CK_MECHANISM_TYPE mech,
                  CK_OBJECT_HANDLE key)
{
	CK_MECHANISM mc = { mech, NULL, 0 };
	CK_BYTE sig[512];
	CK_ULONG len = sizeof(sig);
	CK_RV rv = m->f->C_SignInit(h, &mc, key);
	if (rv == CKR_OK)
		rv = m->f->C_Sign(h, (CK_BYTE_PTR)bu_data, sizeof(bu_data), sig, &len);
	return rv;
}

/* ---- OpenSSL directly ------------------------------------------------------ */

bool bu_ossl_sign(EVP_PKEY *pkey, bool rsa, const unsigned char *data, size_t len, char *err,
                  size_t err_len)
{
	unsigned char sig[512];
	size_t sig_len = sizeof(sig);
	bool ok;
	if (rsa) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		ok = md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
		     EVP_DigestSign(md, sig, &sig_len, data, len) == 1;
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
		ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
		     EVP_PKEY_sign(ctx, sig, &sig_len, data, len) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
	if (!ok) {
		snprintf(err, err_len, "OpenSSL: %s", ERR_reason_error_string(ERR_get_error()));
		ERR_clear_error();
	}
	return ok;
}

/* ---- child processes ------------------------------------------------------- */

/* Reads exactly size bytes; false on end of file or error. */
static bool read_all(int fd, void *buf, size_t size)
{
	unsigned char *p = buf;
	while (size > 0) {
		ssize_t n = read(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		size -= (size_t)n;
	}
	return true;
}

static bool write_all(int fd, const void *buf, size_t size)
{
	const unsigned char *p = buf;
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		size -= (size_t)n;
	}
	return true;
}

bool bu_run_child(void (*fn)(void *arg, void *out), void *arg, void *out, size_t size,
                  const char *name)
{
	int fds[2];
	fflush(stdout);
	fflush(stderr);
	if (pipe(fds) != 0) {
		perror("pipe");
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		fn(arg, out);
		_exit(write_all(fds[1], out, size) ? 0 : 1);
	}
	close(fds[1]);
	void *got = malloc(size);
	bool ok = got != NULL && read_all(fds[0], got, size);
	close(fds[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (ok)
		memcpy(out, got, size);
	else
		fprintf(stderr, "  %s: benchmark process ended abnormally (status 0x%x)\n", name, st);
	free(got);
	return ok;
}

struct bu_child {
	int index;
	int ready_fd; /* write: one byte, r or x */
	int go_fd;    /* read: the start time, NAN when the group gives up */
	int stop_fd;  /* end of file once the timed children have ended */
};

int bu_child_index(const bu_child *c)
{
	return c->index;
}

bool bu_ready(bu_child *c, bool ok, double *start)
{
	char r = ok ? 'r' : 'x';
	double t = NAN;
	bool sent = write_all(c->ready_fd, &r, 1);
	/* Closed at once, so that the parent sees end of file, not a hang,
	 * if a child dies before saying it is ready. */
	close(c->ready_fd);
	c->ready_fd = -1;
	if (!sent || !read_all(c->go_fd, &t, sizeof(t)) || isnan(t) || !ok)
		return false;
	bu_sleep_until(t);
	*start = t;
	return true;
}

bool bu_stop_asked(const bu_child *c)
{
	struct pollfd p = { .fd = c->stop_fd, .events = POLLIN };
	return poll(&p, 1, 0) != 0;
}

bool bu_group(int n, int timed, bu_child_fn fn, void *arg, void *out, size_t size,
              const char *name)
{
	int ready[2], go[2], stop[2], res[BU_MAX_CHILDREN][2];
	pid_t pid[BU_MAX_CHILDREN];
	unsigned char *blocks = out;
	bool ok = true;
	int made = 0, piped = 0;

	if (n < 1 || n > BU_MAX_CHILDREN || timed < 1 || timed > n)
		return false;
	if (pipe(ready) != 0 || pipe(go) != 0 || pipe(stop) != 0) {
		perror("pipe");
		return false;
	}
	for (; piped < n; piped++)
		if (pipe(res[piped]) != 0) {
			perror("pipe");
			ok = false;
			break;
		}
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; ok && i < n; i++) {
		pid[i] = fork();
		if (pid[i] < 0) {
			perror("fork");
			ok = false;
			break;
		}
		if (pid[i] == 0) {
			bu_child c = { i, ready[1], go[0], stop[0] };
			close(ready[0]);
			close(go[1]);
			close(stop[1]);
			for (int k = 0; k < piped; k++) {
				close(res[k][0]);
				if (k != i)
					close(res[k][1]);
			}
			void *mine = blocks + (size_t)i * size;
			fn(&c, arg, mine);
			if (c.ready_fd >= 0) /* fn returned without saying */
				close(c.ready_fd);
			_exit(write_all(res[i][1], mine, size) ? 0 : 1);
		}
		made++;
	}
	close(ready[1]);
	close(go[0]);
	close(stop[0]);
	for (int k = 0; k < piped; k++)
		close(res[k][1]);

	for (int i = 0; ok && i < made; i++) {
		char c = 'x';
		if (!read_all(ready[0], &c, 1) || c != 'r')
			ok = false;
	}
	ok = ok && made == n;
	/* A little ahead, so that every child is asleep waiting for it and
	 * wakes on time rather than when it is scheduled after the others. */
	double start = ok ? bu_now() + 0.02 : NAN;
	for (int i = 0; i < made; i++)
		if (!write_all(go[1], &start, sizeof(start)))
			ok = false;
	close(go[1]);

	void *got = malloc(size);
	for (int i = 0; i < made; i++) {
		if (i == timed)
			close(stop[1]); /* every timed child has reported */
		if (got != NULL && read_all(res[i][0], got, size))
			memcpy(blocks + (size_t)i * size, got, size);
		else
			ok = false;
	}
	if (made <= timed)
		close(stop[1]);
	free(got);
	for (int i = 0; i < made; i++) {
		int st = 0;
		waitpid(pid[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "  %s: benchmark process %d ended abnormally (status 0x%x)\n",
			        name, i, st);
			ok = false;
		}
	}
	for (int k = 0; k < piped; k++)
		close(res[k][0]);
	close(ready[0]);
	return ok;
}

/* ---- targets ------------------------------------------------------------------ */

bool bu_target(const char *what, double value, double goal, bu_goal kind)
{
	bool met = !isnan(value) && (kind == BU_AT_MOST ? value <= goal : value >= goal);
	const char *verdict = isnan(value) ? "not measured" : met ? "met" : "NOT MET";
	switch (kind) {
	case BU_AT_LEAST_PERCENT:
		printf("  %-52s %7.1f%%  (goal %3.0f%%)  %s\n", what, value * 100.0, goal * 100.0,
		       verdict);
		break;
	case BU_AT_LEAST_X:
		printf("  %-52s %7.2fx  (goal %.1fx)   %s\n", what, value, goal, verdict);
		break;
	case BU_AT_MOST:
		printf("  %-52s %7.0f   (goal <= %.0f)  %s\n", what, value, goal, verdict);
		break;
	}
	return met;
}
