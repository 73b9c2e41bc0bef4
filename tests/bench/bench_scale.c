/* careid-bench, scale figures.  Each phase runs in a child process of its
 * own that loads the module itself, so a phase starts from a cold module
 * and the two-process signing test forks before any module is loaded. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pkcs11.h"

#include "bench_scale.h"

#define SO_PIN   "87654321"
#define USER_PIN "123456"

static const char *const find_names[SCALE_FINDS] = {
	"CKA_LABEL (unique)", "CKA_ID (1 match)", "CKA_CLASS (1 match)",
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_one(const char *p, const struct stat *sb, int fl, struct FTW *ftw)
{
	(void)sb;
	(void)fl;
	(void)ftw;
	return remove(p);
}

static void pad32(CK_UTF8CHAR out[32], const char *label)
{
	size_t n = strlen(label);
	memset(out, ' ', 32);
	memcpy(out, label, n < 32 ? n : 32);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (d == NULL)
		return -1;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory being read */
}

/* ---- module loading --------------------------------------------------- */

typedef struct {
	const char *name;
	CK_FUNCTION_LIST *f;
} mod;

static bool mod_load(mod *m, const char *name, const char *path)
{
	m->name = name;
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		fprintf(stderr, "  %s: cannot load %s: %s\n", name, path, dlerror());
		return false;
	}
	CK_C_GetFunctionList gl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
	return gl != NULL && gl(&m->f) == CKR_OK;
}

static bool ck(const mod *m, const char *what, CK_RV rv)
{
	if (rv != CKR_OK)
		fprintf(stderr, "  %s: %s failed: rv 0x%lx\n", m->name, what, (unsigned long)rv);
	return rv == CKR_OK;
}

static bool mod_init(const mod *m)
{
	CK_C_INITIALIZE_ARGS a;
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	return ck(m, "C_Initialize", m->f->C_Initialize(&a));
}

/* Slot list, malloc'd; NULL on failure. */
static CK_SLOT_ID *slot_list(const mod *m, CK_ULONG *n)
{
	CK_SLOT_ID *v = NULL;
	for (int tries = 0; tries < 4; tries++) {
		if (!ck(m, "C_GetSlotList", m->f->C_GetSlotList(CK_TRUE, NULL, n)))
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

static bool slot_free(const mod *m, CK_SLOT_ID s)
{
	CK_TOKEN_INFO ti;
	return m->f->C_GetTokenInfo(s, &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED);
}

/* The slot with an uninitialised token.  Both modules list it last or
 * first, so those are tried before a scan, keeping creation linear. */
static bool free_slot(const mod *m, CK_SLOT_ID *out)
{
	CK_ULONG n = 0;
	CK_SLOT_ID *v = slot_list(m, &n);
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

/* Creates a token labelled label; with a user passcode when user is set.
 * The slot it got is returned in out. */
static bool make_token(const mod *m, const char *label, bool user, CK_SLOT_ID *out)
{
	CK_UTF8CHAR l[32];
	CK_SLOT_ID s;
	CK_SESSION_HANDLE h;
	pad32(l, label);
	if (!free_slot(m, &s)) {
		fprintf(stderr, "  %s: no slot with an uninitialised token\n", m->name);
		return false;
	}
	if (!ck(m, "C_InitToken", m->f->C_InitToken(s, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN), l)))
		return false;
	*out = s;
	if (!user)
		return true;
	if (!ck(m, "C_OpenSession",
	        m->f->C_OpenSession(s, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h)))
		return false;
	bool ok = ck(m, "C_Login(SO)", m->f->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN))) &&
	          ck(m, "C_InitPIN", m->f->C_InitPIN(h, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	m->f->C_CloseSession(h);
	return ok;
}

/* The slot of the initialised token labelled label. */
static bool token_slot(const mod *m, const char *label, CK_SLOT_ID *out)
{
	CK_UTF8CHAR l[32];
	CK_ULONG n = 0;
	CK_SLOT_ID *v = slot_list(m, &n);
	bool found = false;
	pad32(l, label);
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

static bool open_user(const mod *m, const char *label, CK_SESSION_HANDLE *h)
{
	CK_SLOT_ID s;
	return token_slot(m, label, &s) &&
	       ck(m, "C_OpenSession",
	          m->f->C_OpenSession(s, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, h)) &&
	       ck(m, "C_Login", m->f->C_Login(*h, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
}

static bool p256_keypair(const mod *m, CK_SESSION_HANDLE h)
{
	static const CK_BYTE oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pub[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)oid, sizeof(oid) },
		{ CKA_LABEL, "scale-p256", 10 },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_LABEL, "scale-p256", 10 },
		{ CKA_ID, "scale-id", 8 },
	};
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE a, b;
	return ck(m, "C_GenerateKeyPair(P-256)",
	          m->f->C_GenerateKeyPair(h, &mech, pub, 4, priv, 6, &a, &b));
}

/* ---- child processes ------------------------------------------------------ */

typedef void (*phase_fn)(const char *name, const char *path, const scale_opts *o,
                         scale_result *r);

/* Runs fn in a child; the child's result replaces *r. */
static void run_phase(phase_fn fn, const char *name, const char *path, const scale_opts *o,
                      scale_result *r)
{
	int fds[2];
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
		close(fds[0]);
		fn(name, path, o, r);
		ssize_t w = write(fds[1], r, sizeof(*r));
		_exit(w == (ssize_t)sizeof(*r) ? 0 : 1);
	}
	close(fds[1]);
	scale_result got;
	ssize_t n = read(fds[0], &got, sizeof(got));
	close(fds[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (n == (ssize_t)sizeof(got))
		*r = got;
	else
		fprintf(stderr, "  %s: benchmark process ended abnormally (status 0x%x)\n", name, st);
}

/* ---- a. listing ---------------------------------------------------------- */

static bool list_once(const mod *m, double *ms, double *fds)
{
	double t0 = now_s();
	if (!mod_init(m))
		return false;
	CK_ULONG n = 0;
	CK_SLOT_ID *v = slot_list(m, &n);
	bool ok = v != NULL;
	for (CK_ULONG i = 0; ok && i < n; i++) {
		CK_TOKEN_INFO ti;
		ok = ck(m, "C_GetTokenInfo", m->f->C_GetTokenInfo(v[i], &ti));
	}
	free(v);
	/* Counting /proc/self/fd costs little next to a listing, but is kept
	 * out of the time all the same. */
	double t1 = now_s();
	*fds = count_fds();
	double t2 = now_s();
	ok &= ck(m, "C_Finalize", m->f->C_Finalize(NULL));
	*ms = ((t1 - t0) + (now_s() - t2)) * 1e3;
	return ok;
}

static void phase_list(const char *name, const char *path, const scale_opts *o, scale_result *r)
{
	mod m;
	int have = 0;
	if (!mod_load(&m, name, path))
		return;
	for (int c = 0; c < SCALE_COUNTS; c++) {
		int want = r->counts[c];
		if (want <= have && c > 0)
			continue;
		if (!mod_init(&m))
			return;
		double t0 = now_s();
		for (; have < want; have++) {
			char label[32];
			CK_SLOT_ID s;
			snprintf(label, sizeof(label), "scale-%05d", have);
			if (!make_token(&m, label, false, &s)) {
				m.f->C_Finalize(NULL);
				return;
			}
		}
		r->create_s[c] = now_s() - t0;
		m.f->C_Finalize(NULL);

		/* Warm once (page cache, lazy symbols), then the mean of
		 * as many listings as fit in the time, at least 3. */
		double ms, fds, sum = 0.0, start;
		int reps = 0;
		if (!list_once(&m, &ms, &fds))
			return;
		start = now_s();
		do {
			if (!list_once(&m, &ms, &fds))
				return;
			sum += ms;
			reps++;
		} while (reps < 3 || now_s() - start < o->seconds);
		r->list_ms[c] = sum / reps;
		r->list_fds[c] = fds;
		fprintf(stderr, "  %-9s %5d tokens: created in %.1f s, listing %.2f ms, %.0f fds\n",
		        name, want, r->create_s[c], r->list_ms[c], fds);
	}
}

/* ---- b, c: sessions and search -------------------------------------------- */

static double sessions_rate(const mod *m, CK_SLOT_ID s, double seconds)
{
	CK_SESSION_HANDLE h;
	unsigned long n = 0;
	double t0 = now_s(), t = t0;
	while (t - t0 < seconds) {
		if (!ck(m, "C_OpenSession", m->f->C_OpenSession(s, CKF_SERIAL_SESSION, NULL, NULL, &h)) ||
		    !ck(m, "C_CloseSession", m->f->C_CloseSession(h)))
			return NAN;
		n++;
		t = now_s();
	}
	return (double)n / (t - t0);
}

static bool fill_objects(const mod *m, CK_SESSION_HANDLE h, int count)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	for (int i = 0; i < count; i++) {
		char label[24];
		CK_BYTE id[4] = { (CK_BYTE)(i >> 24), (CK_BYTE)(i >> 16), (CK_BYTE)(i >> 8), (CK_BYTE)i };
		snprintf(label, sizeof(label), "obj-%06d", i);
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_LABEL, label, strlen(label) },
			{ CKA_VALUE, id, sizeof(id) },
		};
		CK_OBJECT_HANDLE o;
		if (!ck(m, "C_CreateObject(CKO_DATA)", m->f->C_CreateObject(h, t, 5, &o)))
			return false;
	}
	return true;
}

/* Microseconds per find of tmpl, which must match exactly one object. */
static double find_us(const mod *m, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, double seconds)
{
	unsigned long n = 0;
	double t0 = 0.0, t = 0.0;
	for (int warm = 3;; warm--) {
		if (warm == 0)
			t0 = t = now_s();
		if (warm <= 0 && t - t0 >= seconds)
			break;
		CK_OBJECT_HANDLE found[2];
		CK_ULONG got = 0;
		if (!ck(m, "C_FindObjectsInit", m->f->C_FindObjectsInit(h, tmpl, 1)) ||
		    !ck(m, "C_FindObjects", m->f->C_FindObjects(h, found, 2, &got)) ||
		    !ck(m, "C_FindObjectsFinal", m->f->C_FindObjectsFinal(h)))
			return NAN;
		if (got != 1) {
			fprintf(stderr, "  %s: find matched %lu objects, not 1\n", m->name,
			        (unsigned long)got);
			return NAN;
		}
		if (warm <= 0) {
			n++;
			t = now_s();
		}
	}
	return (t - t0) * 1e6 / (double)n;
}

static void phase_ops(const char *name, const char *path, const scale_opts *o, scale_result *r)
{
	mod m;
	CK_SLOT_ID small, objs;
	CK_SESSION_HANDLE h;
	if (!mod_load(&m, name, path) || !mod_init(&m))
		return;
	if (!make_token(&m, "scale-small", true, &small) || !open_user(&m, "scale-small", &h) ||
	    !p256_keypair(&m, h))
		goto out;
	m.f->C_CloseSession(h);
	if (!token_slot(&m, "scale-small", &small))
		goto out;
	sessions_rate(&m, small, o->seconds / 10);
	r->sessions_per_s = sessions_rate(&m, small, o->seconds);
	fprintf(stderr, "  %-9s %.0f session open+close pairs/s\n", name, r->sessions_per_s);

	if (!make_token(&m, "scale-objects", true, &objs) || !open_user(&m, "scale-objects", &h))
		goto out;
	double t0 = now_s();
	if (!fill_objects(&m, h, o->objects) || !p256_keypair(&m, h))
		goto out;
	r->fill_s = now_s() - t0;
	fprintf(stderr, "  %-9s %d data objects created in %.1f s\n", name, o->objects, r->fill_s);

	char label[24];
	int mid = o->objects / 2;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	snprintf(label, sizeof(label), "obj-%06d", mid);
	CK_ATTRIBUTE by[SCALE_FINDS] = {
		{ CKA_LABEL, label, strlen(label) },
		/* CKO_DATA has no CKA_ID: the one holder is the private key,
		 * compared against every data object all the same. */
		{ CKA_ID, "scale-id", 8 },
		{ CKA_CLASS, &cls, sizeof(cls) },
	};
	for (int i = 0; i < SCALE_FINDS; i++) {
		r->find_us[i] = find_us(&m, h, &by[i], o->seconds / 2);
		fprintf(stderr, "  %-9s find by %-20s %10.1f us\n", name, find_names[i], r->find_us[i]);
	}
out:
	m.f->C_Finalize(NULL);
}

/* ---- d: two processes signing ------------------------------------------- */

/* One signing process: loads the module, logs in, says it is ready on
 * ready_fd, waits for go_fd to close, signs for the time; writes ops/s. */
static void signer(const char *name, const char *path, const scale_opts *o, int ready_fd,
                   int go_fd, int out_fd)
{
	mod m;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE key;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ULONG got = 0;
	double rate = NAN;
	char c = 'r';

	if (mod_load(&m, name, path) && mod_init(&m) && open_user(&m, "scale-small", &h) &&
	    ck(&m, "C_FindObjectsInit", m.f->C_FindObjectsInit(h, &t, 1)) &&
	    ck(&m, "C_FindObjects", m.f->C_FindObjects(h, &key, 1, &got)) && got == 1 &&
	    ck(&m, "C_FindObjectsFinal", m.f->C_FindObjectsFinal(h))) {
		static const CK_BYTE digest[32] = { 1, 2, 3, 4 };
		CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
		unsigned long n = 0;
		bool ok = true;
		if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) < 0)
			ok = false;
		double t0 = now_s(), now = t0;
		while (ok && now - t0 < o->seconds) {
			CK_BYTE sig[128];
			CK_ULONG len = sizeof(sig);
			ok = ck(&m, "C_SignInit", m.f->C_SignInit(h, &mech, key)) &&
			     ck(&m, "C_Sign", m.f->C_Sign(h, (CK_BYTE_PTR)digest, 32, sig, &len));
			n++;
			now = now_s();
		}
		if (ok)
			rate = (double)n / (now - t0);
		m.f->C_Finalize(NULL);
	} else {
		c = 'x';
		if (write(ready_fd, &c, 1) != 1)
			_exit(1);
	}
	_exit(write(out_fd, &rate, sizeof(rate)) == (ssize_t)sizeof(rate) ? 0 : 1);
}

/* Sum of the rates of np signing processes started together. */
static double sign_procs(const char *name, const char *path, const scale_opts *o, int np)
{
	int ready[2], go[2], out[2];
	pid_t pid[2];
	double sum = 0.0;
	if (pipe(ready) != 0 || pipe(go) != 0 || pipe(out) != 0) {
		perror("pipe");
		return NAN;
	}
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < np; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(go[1]);
			signer(name, path, o, ready[1], go[0], out[1]);
		}
	}
	close(go[0]);
	close(ready[1]);
	close(out[1]);
	for (int i = 0; i < np; i++) {
		char c = 'x';
		if (read(ready[0], &c, 1) != 1 || c != 'r')
			sum = NAN;
	}
	close(go[1]); /* every signer starts */
	for (int i = 0; i < np; i++) {
		double r = NAN;
		if (read(out[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
			r = NAN;
		sum += r;
	}
	for (int i = 0; i < np; i++)
		waitpid(pid[i], NULL, 0);
	close(ready[0]);
	close(out[0]);
	return sum;
}

/* ---- driver ----------------------------------------------------------------- */

static void reset(scale_result *r, const scale_opts *o)
{
	static const int counts[SCALE_COUNTS] = { 1, 10, 100, 0 };
	for (int c = 0; c < SCALE_COUNTS; c++) {
		r->counts[c] = counts[c] ? counts[c] : o->max_tokens;
		if (r->counts[c] > o->max_tokens)
			r->counts[c] = o->max_tokens;
		r->create_s[c] = r->list_ms[c] = r->list_fds[c] = NAN;
	}
	r->sessions_per_s = r->fill_s = r->sign_one = r->sign_two = NAN;
	for (int i = 0; i < SCALE_FINDS; i++)
		r->find_us[i] = NAN;
}

/* Points the module at a fresh token directory under dir/sub. */
static bool configure(const char *dir, const char *sub, bool careid)
{
	char tokens[512], conf[512], text[1200];
	snprintf(tokens, sizeof(tokens), "%s/%s", dir, sub);
	if (mkdir(tokens, 0700) != 0) {
		perror("mkdir");
		return false;
	}
	snprintf(conf, sizeof(conf), "%s/%s.conf", dir, sub);
	if (careid) {
		snprintf(text, sizeof(text), "token_dir = %s\nkdf_cost = 10\ncard_readers = no\n", tokens);
		setenv("CAREID_CONF", conf, 1);
		setenv("CAREID_LOG", "error", 0);
	} else {
		snprintf(text, sizeof(text),
		         "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
		         tokens);
		setenv("SOFTHSM2_CONF", conf, 1);
	}
	FILE *fp = fopen(conf, "w");
	bool ok = fp != NULL && fputs(text, fp) >= 0;
	return fp != NULL && fclose(fp) == 0 && ok;
}

void scale_bench(const char *name, const char *path, bool careid, const scale_opts *o,
                 scale_result *r)
{
	char dir[] = "/tmp/careid-bench-scale.XXXXXX";
	reset(r, o);
	if (path == NULL)
		return;
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return;
	}
	if (configure(dir, "list", careid))
		run_phase(phase_list, name, path, o, r);
	if (configure(dir, "ops", careid)) {
		run_phase(phase_ops, name, path, o, r);
		if (!isnan(r->sessions_per_s)) {
			r->sign_one = sign_procs(name, path, o, 1);
			r->sign_two = sign_procs(name, path, o, 2);
			fprintf(stderr, "  %-9s P-256 signs/s: 1 process %.1f, 2 processes %.1f\n",
			        name, r->sign_one, r->sign_two);
		}
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- report ------------------------------------------------------------------ */

static void cell(double v, int prec)
{
	if (isnan(v))
		printf(" %12s", "-");
	else
		printf(" %12.*f", prec, v);
}

/* One figure for careid and SoftHSM2, and their ratio. */
static void row(const char *what, double a, double b, int prec)
{
	printf("  %-34s", what);
	cell(a, prec);
	cell(b, prec);
	if (isnan(a) || isnan(b) || b <= 0.0)
		printf(" %15s\n", "-");
	else
		printf(" %14.*fx\n", a / b < 0.1 ? 4 : 2, a / b);
}

void scale_print(const scale_result *c, const scale_result *s, const scale_opts *o)
{
	char what[64];
	printf("\nScale figures (%.1f s per timed loop)\n", o->seconds);
	printf("  %-34s %12s %12s %12s\n", "", "careid", "SoftHSM2", "careid/SoftHSM2");
	printf("Token listing: C_Initialize + C_GetSlotList + C_GetTokenInfo on every slot + "
	       "C_Finalize, ms\n");
	for (int i = 0; i < SCALE_COUNTS; i++) {
		if (i > 0 && c->counts[i] == c->counts[i - 1])
			continue;
		snprintf(what, sizeof(what), "%d token%s", c->counts[i], c->counts[i] == 1 ? "" : "s");
		row(what, c->list_ms[i], s->list_ms[i], 2);
	}
	printf("Open file descriptors before C_Finalize of that listing\n");
	for (int i = 0; i < SCALE_COUNTS; i++) {
		if (i > 0 && c->counts[i] == c->counts[i - 1])
			continue;
		snprintf(what, sizeof(what), "%d token%s", c->counts[i], c->counts[i] == 1 ? "" : "s");
		row(what, c->list_fds[i], s->list_fds[i], 0);
	}
	printf("Creating those tokens with C_InitToken (kdf_cost 10 for careid), s\n");
	double tc = 0.0, ts = 0.0;
	for (int i = 0; i < SCALE_COUNTS; i++) {
		if (i > 0 && c->counts[i] == c->counts[i - 1])
			continue;
		tc += c->create_s[i];
		ts += s->create_s[i];
	}
	snprintf(what, sizeof(what), "%d tokens in all", c->counts[SCALE_COUNTS - 1]);
	row(what, tc, ts, 1);
	printf("Sessions\n");
	row("C_OpenSession+C_CloseSession /s", c->sessions_per_s, s->sessions_per_s, 0);
	snprintf(what, sizeof(what), "Search among %d CKO_DATA token objects, us per find (warm)",
	         o->objects);
	printf("%s\n", what);
	for (int i = 0; i < SCALE_FINDS; i++)
		row(find_names[i], c->find_us[i], s->find_us[i], 1);
	row("creating the objects, s", c->fill_s, s->fill_s, 1);
	printf("P-256 CKM_ECDSA signs/s on one token, each process loads and logs in itself\n");
	row("1 process", c->sign_one, s->sign_one, 1);
	row("2 processes (sum)", c->sign_two, s->sign_two, 1);
	row("2 processes / 1 process", c->sign_two / c->sign_one, s->sign_two / s->sign_one,
	    2);
}
