/* careid-bench, scale figures.  Each phase runs in a child process of its
 * own that loads the module itself, so a phase starts from a cold module;
 * the figures with two processes fork before any module is loaded. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pkcs11.h"

#include "bench_scale.h"
#include "bench_util.h"

static const char *const find_names[SCALE_FINDS] = {
	"CKA_LABEL (unique)", "CKA_ID (1 match)", "CKA_CLASS (1 match)",
};

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

/* ---- child processes ------------------------------------------------------ */

typedef void (*phase_fn)(const char *name, const char *path, const scale_opts *o,
                         scale_result *r);

typedef struct {
	phase_fn fn;
	const char *name, *path;
	const scale_opts *o;
} phase_arg;

static void phase_child(void *arg, void *out)
{
	const phase_arg *a = arg;
	a->fn(a->name, a->path, a->o, out);
}

/* Runs fn in a child; the child's result replaces *r. */
static void run_phase(phase_fn fn, const char *name, const char *path, const scale_opts *o,
                      scale_result *r)
{
	phase_arg a = { fn, name, path, o };
	bu_run_child(phase_child, &a, r, sizeof(*r), name);
}

/* ---- a. listing ---------------------------------------------------------- */

static bool list_once(const bu_mod *m, double *ms, double *fds)
{
	double t0 = bu_now();
	if (!bu_mod_init(m))
		return false;
	CK_ULONG n = 0;
	CK_SLOT_ID *v = bu_slot_list(m, &n);
	bool ok = v != NULL;
	for (CK_ULONG i = 0; ok && i < n; i++) {
		CK_TOKEN_INFO ti;
		ok = bu_ck(m, "C_GetTokenInfo", m->f->C_GetTokenInfo(v[i], &ti));
	}
	free(v);
	/* Counting /proc/self/fd costs little next to a listing, but is kept
	 * out of the time all the same. */
	double t1 = bu_now();
	*fds = count_fds();
	double t2 = bu_now();
	ok &= bu_ck(m, "C_Finalize", m->f->C_Finalize(NULL));
	*ms = ((t1 - t0) + (bu_now() - t2)) * 1e3;
	return ok;
}

static void phase_list(const char *name, const char *path, const scale_opts *o, scale_result *r)
{
	bu_mod m;
	int have = 0;
	if (!bu_mod_load(&m, name, path))
		return;
	for (int c = 0; c < SCALE_COUNTS; c++) {
		int want = r->counts[c];
		if (want <= have && c > 0)
			continue;
		if (!bu_mod_init(&m))
			return;
		double t0 = bu_now();
		for (; have < want; have++) {
			char label[32];
			CK_SLOT_ID s;
			snprintf(label, sizeof(label), "scale-%05d", have);
			if (!bu_make_token(&m, label, false, &s)) {
				m.f->C_Finalize(NULL);
				return;
			}
		}
		r->create_s[c] = bu_now() - t0;
		m.f->C_Finalize(NULL);

		/* Warm once (page cache, lazy symbols), then the mean of
		 * as many listings as fit in the time, at least 3. */
		double ms, fds, sum = 0.0, start;
		int reps = 0;
		if (!list_once(&m, &ms, &fds))
			return;
		start = bu_now();
		do {
			if (!list_once(&m, &ms, &fds))
				return;
			sum += ms;
			reps++;
		} while (reps < 3 || bu_now() - start < o->seconds);
		r->list_ms[c] = sum / reps;
		r->list_fds[c] = fds;
		fprintf(stderr, "  %-9s %5d tokens: created in %.1f s, listing %.2f ms, %.0f fds\n",
		        name, want, r->create_s[c], r->list_ms[c], fds);
	}
}

/* ---- b, c: sessions and search -------------------------------------------- */

static double sessions_rate(const bu_mod *m, CK_SLOT_ID s, double seconds)
{
	CK_SESSION_HANDLE h;
	unsigned long n = 0;
	double t0 = bu_now(), t = t0;
	while (t - t0 < seconds) {
		if (!bu_ck(m, "C_OpenSession", m->f->C_OpenSession(s, CKF_SERIAL_SESSION, NULL, NULL, &h)) ||
		    !bu_ck(m, "C_CloseSession", m->f->C_CloseSession(h)))
			return NAN;
		n++;
		t = bu_now();
	}
	return (double)n / (t - t0);
}

/* One public token CKO_DATA object labelled label, holding value. */
static CK_RV create_data(const bu_mod *m, CK_SESSION_HANDLE h, const char *label,
                         const CK_BYTE value[4], CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_VALUE, (void *)value, 4 },
	};
	return m->f->C_CreateObject(h, t, 5, out);
}

/* count objects labelled obj-000000 on. */
static bool fill_objects(const bu_mod *m, CK_SESSION_HANDLE h, int count)
{
	for (int i = 0; i < count; i++) {
		char label[24];
		CK_BYTE id[4] = { (CK_BYTE)(i >> 24), (CK_BYTE)(i >> 16), (CK_BYTE)(i >> 8), (CK_BYTE)i };
		CK_OBJECT_HANDLE o;
		snprintf(label, sizeof(label), "obj-%06d", i);
		if (!bu_ck(m, "C_CreateObject(CKO_DATA)", create_data(m, h, label, id, &o)))
			return false;
	}
	return true;
}

/* One search for the single attribute *tmpl; how many objects it found,
 * up to 2, in *got.  The search is ended even when C_FindObjects fails. */
static CK_RV find_once(const bu_mod *m, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG *got)
{
	CK_OBJECT_HANDLE found[2];
	CK_RV rv = m->f->C_FindObjectsInit(h, tmpl, 1);
	*got = 0;
	if (rv != CKR_OK)
		return rv;
	rv = m->f->C_FindObjects(h, found, 2, got);
	CK_RV fin = m->f->C_FindObjectsFinal(h);
	return rv != CKR_OK ? rv : fin;
}

/* Microseconds per find of tmpl, which must match exactly one object. */
static double find_us(const bu_mod *m, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, double seconds)
{
	unsigned long n = 0;
	double t0 = 0.0, t = 0.0;
	for (int warm = 3;; warm--) {
		if (warm == 0)
			t0 = t = bu_now();
		if (warm <= 0 && t - t0 >= seconds)
			break;
		CK_ULONG got = 0;
		if (!bu_ck(m, "C_FindObjects", find_once(m, h, tmpl, &got)))
			return NAN;
		if (got != 1) {
			fprintf(stderr, "  %s: find matched %lu objects, not 1\n", m->name,
			        (unsigned long)got);
			return NAN;
		}
		if (warm <= 0) {
			n++;
			t = bu_now();
		}
	}
	return (t - t0) * 1e6 / (double)n;
}

static void phase_ops(const char *name, const char *path, const scale_opts *o, scale_result *r)
{
	bu_mod m;
	CK_SLOT_ID small, objs;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE key;
	if (!bu_mod_load(&m, name, path) || !bu_mod_init(&m))
		return;
	if (!bu_make_token(&m, "scale-small", true, &small) || !bu_open_user(&m, "scale-small", &h) ||
	    !bu_keypair(&m, h, false, "scale-p256", "scale-id", &key))
		goto out;
	m.f->C_CloseSession(h);
	if (!bu_token_slot(&m, "scale-small", &small))
		goto out;
	sessions_rate(&m, small, o->seconds / 10);
	r->sessions_per_s = sessions_rate(&m, small, o->seconds);
	fprintf(stderr, "  %-9s %.0f session open+close pairs/s\n", name, r->sessions_per_s);

	if (!bu_make_token(&m, "scale-objects", true, &objs) || !bu_open_user(&m, "scale-objects", &h))
		goto out;
	double t0 = bu_now();
	if (!fill_objects(&m, h, o->objects) || !bu_keypair(&m, h, false, "scale-p256", "scale-id", &key))
		goto out;
	r->fill_s = bu_now() - t0;
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
	m.f->C_CloseSession(h);

	/* The token of the reader and the writer (e), moderate in size. */
	if (!bu_make_token(&m, "scale-rw", true, &objs) || !bu_open_user(&m, "scale-rw", &h) ||
	    !fill_objects(&m, h, SCALE_RW_OBJECTS) ||
	    !bu_keypair(&m, h, false, "scale-p256", "scale-id", &key))
		goto out;
out:
	m.f->C_Finalize(NULL);
}


/* ---- d, e: processes started together ------------------------------------- */

typedef struct {
	const char *name, *path; /* path NULL: OpenSSL itself, no module */
	const scale_opts *o;
} group_arg;

/* What one child of a group reports: a signer fills ops and elapsed, the
 * reader rd, the writer ops, elapsed and failed. */
typedef struct {
	double ops, elapsed, failed;
	double cpu; /* CPU seconds of the process over the window */
	scale_reader rd;
} child_out;

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void child_out_reset(child_out *c, int n)
{
	for (int i = 0; i < n; i++) {
		c[i].ops = c[i].elapsed = c[i].failed = c[i].cpu = NAN;
		c[i].rd.sign_per_s = c[i].rd.find_per_s = c[i].rd.logins_per_s = NAN;
		c[i].rd.sign_busy = NAN;
		c[i].rd.login_failed = c[i].rd.other_failed = NAN;
	}
}

/* A child of the group that opens a user session on the token labelled
 * label and finds its private key: false when that failed. */
static bool child_login(const group_arg *a, const char *label, bu_mod *m, CK_SESSION_HANDLE *h,
                        CK_OBJECT_HANDLE *key)
{
	return bu_mod_load(m, a->name, a->path) && bu_mod_init(m) && bu_open_user(m, label, h) &&
	       bu_find_class(m, *h, CKO_PRIVATE_KEY, key);
}

/* ---- d: two processes signing ------------------------------------------- */

/* One signing process: loads the module and logs in (or makes an OpenSSL
 * key), signs a few times, then signs over the group's window. */
static void signer(bu_child *c, void *arg, void *out)
{
	const group_arg *a = arg;
	child_out *r = out;
	bu_mod m;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	EVP_PKEY *pkey = NULL;
	char err[160] = "";
	bool ok, p11 = a->path != NULL;
	double start;
	unsigned long n = 0;

	if (p11)
		ok = child_login(a, "scale-small", &m, &h, &key);
	else
		ok = (pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) != NULL;
	/* Warm-up: a first signature may cost more (key loaded, tables made). */
	for (int i = 0; ok && i < 3; i++)
		ok = p11 ? bu_ck(&m, "C_Sign", bu_p11_sign(&m, h, CKM_ECDSA, key))
		         : bu_ossl_sign(pkey, false, bu_data, sizeof(bu_data), err, sizeof(err));
	if (bu_ready(c, ok, &start)) {
		double end = start + a->o->seconds, t = start, cpu0 = cpu_now();
		while (ok && t < end) {
			ok = p11 ? bu_ck(&m, "C_Sign", bu_p11_sign(&m, h, CKM_ECDSA, key))
			         : bu_ossl_sign(pkey, false, bu_data, sizeof(bu_data), err, sizeof(err));
			n++;
			t = bu_now();
		}
		if (ok) {
			r->ops = (double)n;
			r->elapsed = t - start;
			r->cpu = cpu_now() - cpu0;
		}
	}
	if (err[0] != '\0')
		fprintf(stderr, "  %s\n", err);
	if (p11 && m.f != NULL)
		m.f->C_Finalize(NULL);
	EVP_PKEY_free(pkey);
}

/* Sum of the rates of np signing processes over one window; the CPUs
 * they kept busy in *busy. */
static double sign_procs(const char *name, const char *path, const scale_opts *o, int np,
                         double *busy)
{
	group_arg a = { name, path, o };
	child_out r[2];
	double sum = 0.0;
	child_out_reset(r, 2);
	*busy = NAN;
	if (!bu_group(np, np, signer, &a, r, sizeof(r[0]), name))
		return NAN;
	*busy = 0.0;
	for (int i = 0; i < np; i++) {
		sum += r[i].ops / r[i].elapsed;
		*busy += r[i].cpu / r[i].elapsed;
	}
	return sum;
}

/* Keeps the better of a rate and its busy CPUs. */
static void keep_best(double rate, double busy, double *best, double *best_busy)
{
	if (!isnan(rate) && (isnan(*best) || rate > *best)) {
		*best = rate;
		*best_busy = busy;
	}
}

/* The module and raw OpenSSL, 1 then 2 processes, one after the other so
 * that all four see much the same load from the rest of the machine; in
 * rounds, keeping the best of each, since other work only slows them. */
static void sign_rounds(const char *name, const char *path, const scale_opts *o,
                        scale_result *r)
{
	double busy, rate;
	r->load_sign = NAN;
	FILE *fp = fopen("/proc/loadavg", "r");
	if (fp != NULL) {
		if (fscanf(fp, "%lf", &r->load_sign) != 1)
			r->load_sign = NAN;
		fclose(fp);
	}
	for (int round = 0; round < SCALE_SIGN_ROUNDS; round++) {
		rate = sign_procs(name, path, o, 1, &busy);
		keep_best(rate, busy, &r->sign_one, &r->busy_one);
		rate = sign_procs("OpenSSL", NULL, o, 1, &busy);
		keep_best(rate, busy, &r->raw_one, &r->raw_busy_one);
		rate = sign_procs(name, path, o, 2, &busy);
		keep_best(rate, busy, &r->sign_two, &r->busy_two);
		rate = sign_procs("OpenSSL", NULL, o, 2, &busy);
		keep_best(rate, busy, &r->raw_two, &r->raw_busy_two);
		if (isnan(r->sign_one))
			break; /* the module cannot sign: no use trying again */
	}
}

/* ---- e: a reader beside a writer -------------------------------------------- */

static void count_bad(const bu_mod *m, const char *what, CK_RV rv, double *count)
{
	/* The first of each kind is told; the rest only counted. */
	if (*count == 0.0)
		fprintf(stderr, "  %s: %s failed beside the writer or alone: rv 0x%lx\n", m->name, what,
		        (unsigned long)rv);
	*count += 1.0;
}

/* The reader: signs, then finds by label, then logs out and in, each loop
 * for the time of the run; failures are counted, not fatal. */
static void reader(bu_child *c, const group_arg *a, child_out *r)
{
	bu_mod m;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE key;
	char label[24];
	snprintf(label, sizeof(label), "obj-%06d", SCALE_RW_OBJECTS / 2);
	CK_ATTRIBUTE by = { CKA_LABEL, label, strlen(label) };
	CK_ULONG got = 0;
	double start, secs = a->o->seconds;
	bool ok = child_login(a, "scale-rw", &m, &h, &key);
	for (int i = 0; ok && i < 3; i++)
		ok = bu_ck(&m, "C_Sign", bu_p11_sign(&m, h, CKM_ECDSA, key)) &&
		     bu_ck(&m, "C_FindObjects", find_once(&m, h, &by, &got)) && got == 1;
	if (bu_ready(c, ok, &start)) {
		scale_reader *rd = &r->rd;
		unsigned long n = 0;
		double t = start, t0;
		CK_RV rv;
		rd->login_failed = rd->other_failed = 0.0;

		double cpu0 = cpu_now();
		for (; t < start + secs; n++, t = bu_now())
			if ((rv = bu_p11_sign(&m, h, CKM_ECDSA, key)) != CKR_OK)
				count_bad(&m, "C_Sign", rv, &rd->other_failed);
		rd->sign_per_s = (double)n / (t - start);
		rd->sign_busy = (cpu_now() - cpu0) / (t - start);

		for (n = 0, t0 = t; t < t0 + secs; n++, t = bu_now())
			if ((rv = find_once(&m, h, &by, &got)) != CKR_OK || got != 1)
				count_bad(&m, "C_FindObjects by CKA_LABEL", rv, &rd->other_failed);
		rd->find_per_s = (double)n / (t - t0);

		for (n = 0, t0 = t; t < t0 + secs; n++, t = bu_now()) {
			if ((rv = m.f->C_Logout(h)) != CKR_OK)
				count_bad(&m, "C_Logout", rv, &rd->other_failed);
			rv = m.f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)BU_USER_PIN, strlen(BU_USER_PIN));
			if (rv != CKR_OK)
				count_bad(&m, "C_Login", rv, &rd->login_failed);
		}
		rd->logins_per_s = (double)n / (t - t0);
	}
	if (m.f != NULL)
		m.f->C_Finalize(NULL);
}

/* The writer: creates a token object and destroys it, again and again,
 * until the reader is done; each pair is one operation. */
static void writer(bu_child *c, const group_arg *a, child_out *r)
{
	static const CK_BYTE value[4] = { 'w', 'r', 'i', 't' };
	bu_mod m;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE key, o;
	double start;
	bool ok = child_login(a, "scale-rw", &m, &h, &key) &&
	          bu_ck(&m, "C_CreateObject", create_data(&m, h, "writer", value, &o)) &&
	          bu_ck(&m, "C_DestroyObject", m.f->C_DestroyObject(h, o));
	if (bu_ready(c, ok, &start)) {
		unsigned long n = 0;
		double failed = 0.0;
		CK_RV rv;
		while (!bu_stop_asked(c)) {
			rv = create_data(&m, h, "writer", value, &o);
			if (rv == CKR_OK && (rv = m.f->C_DestroyObject(h, o)) != CKR_OK)
				count_bad(&m, "writer's C_DestroyObject", rv, &failed);
			else if (rv != CKR_OK)
				count_bad(&m, "writer's C_CreateObject", rv, &failed);
			n++;
		}
		r->ops = (double)n;
		r->elapsed = bu_now() - start;
		r->failed = failed;
	}
	if (m.f != NULL)
		m.f->C_Finalize(NULL);
}

static void rw_child(bu_child *c, void *arg, void *out)
{
	if (bu_child_index(c) == 0)
		reader(c, arg, out);
	else
		writer(c, arg, out);
}

/* A rate kept at its best over rounds, a count summed. */
static void best_rate(double v, double *best)
{
	if (!isnan(v) && (isnan(*best) || v > *best))
		*best = v;
}

static void add_count(double v, double *sum)
{
	if (!isnan(v))
		*sum = isnan(*sum) ? v : *sum + v;
}

static void merge_reader(const scale_reader *r, scale_reader *into)
{
	keep_best(r->sign_per_s, r->sign_busy, &into->sign_per_s, &into->sign_busy);
	best_rate(r->find_per_s, &into->find_per_s);
	best_rate(r->logins_per_s, &into->logins_per_s);
	add_count(r->login_failed, &into->login_failed);
	add_count(r->other_failed, &into->other_failed);
}

/* The reader alone, then beside the writer, in turn for some rounds, so
 * that both see much the same load from the rest of the machine: the best
 * rate of each is kept, every failure counted. */
static void readers_beside_writer(const char *name, const char *path, const scale_opts *o,
                                  scale_result *res)
{
	group_arg a = { name, path, o };
	child_out r[2];
	for (int round = 0; round < SCALE_RW_ROUNDS; round++) {
		child_out_reset(r, 2);
		if (bu_group(1, 1, rw_child, &a, r, sizeof(r[0]), name))
			merge_reader(&r[0].rd, &res->alone);
		child_out_reset(r, 2);
		if (bu_group(2, 1, rw_child, &a, r, sizeof(r[0]), name)) {
			merge_reader(&r[0].rd, &res->beside);
			best_rate(r[1].ops / r[1].elapsed, &res->writer_per_s);
			add_count(r[1].failed, &res->writer_failed);
		}
		if (isnan(res->alone.sign_per_s) && isnan(res->beside.sign_per_s))
			break; /* the token cannot be used: no use trying again */
	}
	fprintf(stderr,
	        "  %-9s reader alone: %.1f signs/s, %.1f finds/s, %.1f logins/s\n"
	        "  %-9s beside writer: %.1f signs/s, %.1f finds/s, %.1f logins/s, %.0f failed "
	        "logins; writer %.1f ops/s\n",
	        name, res->alone.sign_per_s, res->alone.find_per_s, res->alone.logins_per_s, name,
	        res->beside.sign_per_s, res->beside.find_per_s, res->beside.logins_per_s,
	        res->beside.login_failed, res->writer_per_s);
}

/* ---- driver ----------------------------------------------------------------- */

static void reset(scale_result *r, const scale_opts *o)
{
	static const int counts[SCALE_COUNTS] = { 1, 10, 100, 0 };
	static const scale_reader none = { NAN, NAN, NAN, NAN, NAN, NAN };
	for (int c = 0; c < SCALE_COUNTS; c++) {
		r->counts[c] = counts[c] ? counts[c] : o->max_tokens;
		if (r->counts[c] > o->max_tokens)
			r->counts[c] = o->max_tokens;
		r->create_s[c] = r->list_ms[c] = r->list_fds[c] = NAN;
	}
	r->sessions_per_s = r->fill_s = r->sign_one = r->sign_two = NAN;
	r->raw_one = r->raw_two = r->writer_per_s = r->writer_failed = NAN;
	r->busy_one = r->busy_two = r->raw_busy_one = r->raw_busy_two = r->load_sign = NAN;
	r->alone = r->beside = none;
	for (int i = 0; i < SCALE_FINDS; i++)
		r->find_us[i] = NAN;
}

/* Points the module at a fresh token directory under dir/sub. */
static bool configure(const char *dir, const char *sub, bool careid)
{
	char tokens[512], conf[520];
	snprintf(tokens, sizeof(tokens), "%s/%s", dir, sub);
	if (mkdir(tokens, 0700) != 0) {
		perror("mkdir");
		return false;
	}
	snprintf(conf, sizeof(conf), "%s.conf", tokens);
	return bu_module_conf(conf, tokens, careid);
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
			/* Module and raw OpenSSL one after the other, so that both
			 * see much the same load from the rest of the machine. */
			sign_rounds(name, path, o, r);
			fprintf(stderr,
			        "  %-9s P-256 signs/s: 1 process %.1f, 2 processes %.1f "
			        "(CPUs busy %.2f, %.2f); raw OpenSSL %.1f, %.1f (%.2f, %.2f)\n",
			        name, r->sign_one, r->sign_two, r->busy_one, r->busy_two, r->raw_one,
			        r->raw_two, r->raw_busy_one, r->raw_busy_two);
			readers_beside_writer(name, path, o, r);
		}
	}
	bu_rm_tree(dir);
}

/* ---- report ------------------------------------------------------------------ */

static void cell(double v, int prec)
{
	if (isnan(v))
		printf(" %12s", "-");
	else
		printf(" %12.*f", prec, v);
}

static void ratio(double a, double b)
{
	if (isnan(a) || isnan(b) || b <= 0.0)
		printf(" %15s", "-");
	else
		printf(" %14.*fx", a / b < 0.1 ? 4 : 2, a / b);
}

/* One figure for careid and SoftHSM2, and their ratio. */
static void row(const char *what, double a, double b, int prec)
{
	printf("  %-34s", what);
	cell(a, prec);
	cell(b, prec);
	ratio(a, b);
	printf("\n");
}

/* One signer's figures: 1 process, 2 processes, their ratio, and the
 * CPUs kept busy by 1 and by 2 processes. */
static void scaling_row(const char *what, double one, double two, double busy_one,
                        double busy_two)
{
	printf("  %-34s", what);
	cell(one, 1);
	cell(two, 1);
	ratio(two, one);
	if (isnan(busy_one) || isnan(busy_two) || busy_one <= 0.0 || busy_two <= 0.0) {
		printf(" %12s %12s\n", "-", "-");
		return;
	}
	/* Signs per CPU-second, two processes against one: below 1 when the
	 * processes slow each other (locks, caches, a shared core), whatever
	 * CPU time the rest of the machine left them. */
	printf(" %6.2f, %4.2f %11.2fx\n", busy_one, busy_two,
	       (two / busy_two) / (one / busy_one));
}

bool scale_print(const scale_result *c, const scale_result *s, const scale_opts *o)
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

	printf("A reader beside a writer: one token, %d CKO_DATA objects and a P-256 key pair;\n"
	       "the reader alone, then while another process creates and destroys a token object;\n"
	       "best rates of %d rounds, failures of all of them\n",
	       SCALE_RW_OBJECTS, SCALE_RW_ROUNDS);
	row("signs/s, alone", c->alone.sign_per_s, s->alone.sign_per_s, 1);
	row("signs/s, beside the writer", c->beside.sign_per_s, s->beside.sign_per_s, 1);
	row("  beside / alone", c->beside.sign_per_s / c->alone.sign_per_s,
	    s->beside.sign_per_s / s->alone.sign_per_s, 2);
	row("  CPU busy signing, alone", c->alone.sign_busy, s->alone.sign_busy, 2);
	row("  CPU busy signing, beside", c->beside.sign_busy, s->beside.sign_busy, 2);
	row("finds by CKA_LABEL /s, alone", c->alone.find_per_s, s->alone.find_per_s, 1);
	row("finds by CKA_LABEL /s, beside", c->beside.find_per_s, s->beside.find_per_s, 1);
	row("  beside / alone", c->beside.find_per_s / c->alone.find_per_s,
	    s->beside.find_per_s / s->alone.find_per_s, 2);
	row("C_Logout+C_Login /s, alone", c->alone.logins_per_s, s->alone.logins_per_s, 1);
	row("C_Logout+C_Login /s, beside", c->beside.logins_per_s, s->beside.logins_per_s, 1);
	row("failed C_Login, beside", c->beside.login_failed, s->beside.login_failed, 0);
	row("failed C_Login, alone", c->alone.login_failed, s->alone.login_failed, 0);
	row("other failed reader calls", c->alone.other_failed + c->beside.other_failed,
	    s->alone.other_failed + s->beside.other_failed, 0);
	row("writer create+destroy /s", c->writer_per_s, s->writer_per_s, 1);
	row("writer failed calls", c->writer_failed, s->writer_failed, 0);

	printf("\nP-256 signs/s, 2 processes against 1, and the ceiling of this machine: raw\n"
	       "OpenSSL (EVP, no PKCS#11) measured in the same way next to each module; best of\n"
	       "%d rounds; load average before: %.2f (careid), %.2f (SoftHSM2)\n",
	       SCALE_SIGN_ROUNDS, c->load_sign, s->load_sign);
	printf("  %-34s %12s %12s %15s %12s %12s\n", "", "1 process", "2 processes", "2p/1p",
	       "CPUs busy", "per CPU");
	scaling_row("careid", c->sign_one, c->sign_two, c->busy_one, c->busy_two);
	scaling_row("raw OpenSSL, next to careid", c->raw_one, c->raw_two, c->raw_busy_one,
	            c->raw_busy_two);
	scaling_row("SoftHSM2", s->sign_one, s->sign_two, s->busy_one, s->busy_two);
	scaling_row("raw OpenSSL, next to SoftHSM2", s->raw_one, s->raw_two, s->raw_busy_one,
	            s->raw_busy_two);

	double ceiling = c->raw_two / c->raw_one;
	bool all = true;
	printf("\nScale targets (careid)\n");
	all &= bu_target("P-256, 2 processes >= 1.8x 1 process", c->sign_two / c->sign_one, 1.8,
	                 BU_AT_LEAST_X);
	if (!isnan(ceiling))
		printf("  (raw OpenSSL here: %.2fx, careid %.0f%% of that; %s)\n", ceiling,
		       c->sign_two / c->sign_one / ceiling * 100.0,
		       ceiling >= 1.8 ? "the machine allows 1.8x"
		                      : "the machine itself does not give 1.8x");
	if (!isnan(c->busy_two) && c->busy_two < 1.9)
		printf("  (careid's two processes had %.2f CPUs of 2: other work was running)\n",
		       c->busy_two);
	all &= bu_target("signs beside a writer >= 0.8x alone",
	                 c->beside.sign_per_s / c->alone.sign_per_s, 0.8, BU_AT_LEAST_X);
	all &= bu_target("finds by CKA_LABEL beside a writer >= 0.8x alone",
	                 c->beside.find_per_s / c->alone.find_per_s, 0.8, BU_AT_LEAST_X);
	all &= bu_target("failed C_Login beside a writer", c->beside.login_failed, 0.0,
	                 BU_AT_MOST);
	return all;
}
