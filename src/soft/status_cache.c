/* The statuses of resting tokens, kept in one file beside them so that a
 * listing in a new process need not open a thousand databases.
 *
 * An entry is only ever a shortcut: it holds the status as read through
 * SQLite together with how the token file and its log stat'ed before that
 * read (token.c takes the marks, then reads, and keeps the pair only when
 * both files were last written long before).  It is used only while both
 * files still stat exactly so; every commit writes the log, so any write
 * since, by any process, sends the token back through SQLite.  A file
 * that is damaged, foreign (another owner, other permissions, another
 * directory, another format) or unreadable is ignored, said once.
 *
 * The file is written only by a process that read statuses through SQLite
 * and learnt something new: at its next scan or when the provider is
 * released (C_Finalize), never at C_Initialize, never when nothing
 * changed, always as a new file renamed into place.  It is not synced: a
 * crash may leave it short or empty, which its check sum reveals. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hmap.h"
#include "common/lock.h"
#include "common/log.h"
#include "soft/soft_int.h"

#define MAGIC "CIDSTAT"            /* 8 bytes with its NUL */
#define FORMAT 1
#define HEADER_LEN (8 + 4 * 4 + 8 * 2)
#define MARK_LEN (8 * 5 + 4 * 2)
#define META_LEN (1 + 32 + SOFT_SERIAL_LEN + 8 * 4)
#define MAX_FILE (64u << 20)
#define MAX_NAME 4096
#define SUM_LEN 8

typedef struct entry {
	char *name;
	soft_file_mark db, wal;
	soft_status_meta m;
	unsigned scan;             /* the last scan that reported the token */
	struct entry *next;        /* same hash */
} entry;

struct soft_status_cache {
	atomic_uint refs;
	char *dir, *path;
	cid_mutex *lock;
	cid_hmap entries;          /* name_hash -> entry* (chained) */
	bool dirty;                /* learnt something the file does not hold */
	bool read_once, have_file; /* file: the cache file as last read or written */
	soft_file_mark file;
	bool said_unwritable;
	unsigned scan, done_scan;  /* scan in progress, last one completed */
};

void soft_mark_of(const struct stat *sb, soft_file_mark *m)
{
	memset(m, 0, sizeof(*m));
	m->dev = sb->st_dev;
	m->ino = sb->st_ino;
	m->size = sb->st_size;
	m->mtime = sb->st_mtim;
	m->ctime = sb->st_ctim;
}

bool soft_mark_same(const soft_file_mark *a, const soft_file_mark *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static uint64_t name_hash(const char *name)
{
	uint64_t h = 14695981039346656037ull;

	for (const char *c = name; *c != '\0'; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	return h == 0 || h == UINT64_MAX ? 1 : h;
}

static entry *find(const soft_status_cache *c, const char *name)
{
	for (entry *e = cid_hmap_get(&c->entries, name_hash(name)); e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static void free_entries(cid_hmap *m)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; cid_hmap_next(m, &i, &k, &v);) {
		for (entry *e = v, *n; e != NULL; e = n) {
			n = e->next;
			free(e->name);
			free(e);
		}
	}
	cid_hmap_free(m);
}

/* NULL when out of memory: the entry is then simply not kept. */
static entry *add(cid_hmap *m, const char *name, size_t len)
{
	entry *e = calloc(1, sizeof(*e));
	uint64_t h;

	if (e == NULL || (e->name = malloc(len + 1)) == NULL) {
		free(e);
		return NULL;
	}
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	h = name_hash(e->name);
	e->next = cid_hmap_get(m, h);
	if (cid_hmap_put(m, h, e) != 0) {
		free(e->name);
		free(e);
		return NULL;
	}
	return e;
}

CK_RV soft_status_cache_new(const char *dir, soft_status_cache **out)
{
	soft_status_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return CKR_HOST_MEMORY;
	c->dir = strdup(dir);
	if (c->dir == NULL || asprintf(&c->path, "%s/%s", dir, SOFT_STATUS_CACHE_NAME) < 0 ||
	    cid_mutex_new(&c->lock) != CKR_OK) {
		free(c->dir);
		free(c);
		return CKR_HOST_MEMORY;
	}
	atomic_init(&c->refs, 1);
	cid_hmap_init(&c->entries);
	*out = c;
	return CKR_OK;
}

soft_status_cache *soft_status_cache_ref(soft_status_cache *c)
{
	if (c != NULL)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

void soft_status_cache_unref(soft_status_cache *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	free_entries(&c->entries);
	cid_mutex_free(&c->lock);
	free(c->path);
	free(c->dir);
	free(c);
}

/* ---- the file: little-endian fields, a check sum of the rest at its end ---- */

typedef struct buf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
} buf;

static void put(buf *b, const void *v, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? 2 * b->cap : 4096;
		uint8_t *np;

		while (ncap < b->len + n)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void put_u(buf *b, uint64_t v, size_t n)
{
	uint8_t x[8];

	for (size_t i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	put(b, x, n);
}

static void put_mark(buf *b, const soft_file_mark *m)
{
	put_u(b, (uint64_t)m->dev, 8);
	put_u(b, (uint64_t)m->ino, 8);
	put_u(b, (uint64_t)m->size, 8);
	put_u(b, (uint64_t)m->mtime.tv_sec, 8);
	put_u(b, (uint64_t)m->mtime.tv_nsec, 4);
	put_u(b, (uint64_t)m->ctime.tv_sec, 8);
	put_u(b, (uint64_t)m->ctime.tv_nsec, 4);
}

typedef struct rd {
	const uint8_t *p;
	size_t len, at;
} rd;

static bool get(rd *r, void *v, size_t n)
{
	if (r->len - r->at < n)
		return false;
	memcpy(v, r->p + r->at, n);
	r->at += n;
	return true;
}

static bool get_u(rd *r, uint64_t *v, size_t n)
{
	uint8_t x[8];

	if (!get(r, x, n))
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v |= (uint64_t)x[i] << (8 * i);
	return true;
}

static bool get_mark(rd *r, soft_file_mark *m)
{
	uint64_t dev, ino, size, ms, mns, cs, cns;

	if (!get_u(r, &dev, 8) || !get_u(r, &ino, 8) || !get_u(r, &size, 8) || !get_u(r, &ms, 8) ||
	    !get_u(r, &mns, 4) || !get_u(r, &cs, 8) || !get_u(r, &cns, 4))
		return false;
	memset(m, 0, sizeof(*m));
	m->dev = (dev_t)dev;
	m->ino = (ino_t)ino;
	m->size = (off_t)size;
	m->mtime.tv_sec = (time_t)ms;
	m->mtime.tv_nsec = (long)mns;
	m->ctime.tv_sec = (time_t)cs;
	m->ctime.tv_nsec = (long)cns;
	return mns < 1000000000u && cns < 1000000000u;
}

static void put_header(buf *b, const struct stat *dir, uint32_t count)
{
	put(b, MAGIC, 8);
	put_u(b, FORMAT, 4);
	put_u(b, SOFT_SCHEMA_MIN, 4);
	put_u(b, SOFT_SCHEMA_VERSION, 4);
	put_u(b, count, 4);
	put_u(b, (uint64_t)dir->st_dev, 8);
	put_u(b, (uint64_t)dir->st_ino, 8);
}

/* A check for damage (a short write, a flipped byte), not for forgery: the
 * file is the owner's own, and only ever a shortcut to what the tokens
 * say.  64-bit words mixed in turn; SHA-256 would bring the crypto
 * library's start-up into every listing. */
static void digest(const uint8_t *p, size_t len, uint8_t out[SUM_LEN])
{
	uint64_t h = 0x6a09e667f3bcc908ull ^ (uint64_t)len;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;

		for (size_t j = 0; j < 8 && i + j < len; j++)
			w |= (uint64_t)p[i + j] << (8 * j);
		h ^= w;
		h *= 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	for (int i = 0; i < SUM_LEN; i++)
		out[i] = (uint8_t)(h >> (8 * i));
}

/* Parses a whole file into m; NULL, or why it is not taken. */
static const char *parse(const uint8_t *p, size_t len, const struct stat *dir, cid_hmap *m)
{
	uint8_t want[SUM_LEN];
	rd r = { p, len, 0 };
	char magic[8];
	uint64_t format = 0, smin = 0, smax = 0, count = 0, ddev = 0, dino = 0;

	if (len < HEADER_LEN + SUM_LEN)
		return "too short";
	if (!get(&r, magic, 8) || memcmp(magic, MAGIC, 8) != 0)
		return "not a status cache";
	digest(p, len - SUM_LEN, want);
	if (memcmp(want, p + len - SUM_LEN, SUM_LEN) != 0)
		return "damaged";
	r.len = len - SUM_LEN;
	(void)get_u(&r, &format, 4);
	(void)get_u(&r, &smin, 4);
	(void)get_u(&r, &smax, 4);
	(void)get_u(&r, &count, 4);
	(void)get_u(&r, &ddev, 8);
	(void)get_u(&r, &dino, 8);
	if (format != FORMAT || smin != SOFT_SCHEMA_MIN || smax != SOFT_SCHEMA_VERSION)
		return "written by another version";
	if (ddev != (uint64_t)dir->st_dev || dino != (uint64_t)dir->st_ino)
		return "made for another directory";
	for (uint64_t i = 0; i < count; i++) {
		uint64_t nlen, llen, ut, st, in, ch;
		soft_file_mark db, wal;
		soft_status_meta meta;
		const char *name;
		entry *e;

		memset(&meta, 0, sizeof(meta));
		if (!get_u(&r, &nlen, 2) || nlen == 0 || nlen > MAX_NAME || r.len - r.at < nlen)
			return "damaged";
		name = (const char *)p + r.at;
		r.at += nlen;
		if (memchr(name, '\0', nlen) != NULL || memchr(name, '/', nlen) != NULL)
			return "damaged";
		if (!get_mark(&r, &db) || !get_mark(&r, &wal) || !get_u(&r, &llen, 1) || llen > 32 ||
		    !get(&r, meta.label, 32) || !get(&r, meta.serial, SOFT_SERIAL_LEN) || !get_u(&r, &ut, 8) ||
		    !get_u(&r, &st, 8) || !get_u(&r, &in, 8) || !get_u(&r, &ch, 8))
			return "damaged";
		char serial[SOFT_SERIAL_LEN];

		memcpy(serial, meta.serial, sizeof(serial));
		if (!soft_serial_take(serial, sizeof(serial), meta.serial))
			return "damaged";
		meta.label_len = (size_t)llen;
		meta.have_serial = meta.have_user_tries = meta.have_so_tries = true;
		meta.user_tries = (int64_t)ut;
		meta.so_tries = (int64_t)st;
		meta.init = (int64_t)in;
		meta.change = (int64_t)ch;
		e = add(m, name, (size_t)nlen);
		if (e != NULL) {
			e->db = db;
			e->wal = wal;
			e->m = meta;
		}
	}
	return r.at == r.len ? NULL : "damaged";
}

static bool read_all(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* With c->lock held.  Takes the file when it changed since last looked
 * at; a file found unusable is said once and its entries are dropped. */
static void load(soft_status_cache *c)
{
	struct stat sb, dir;
	soft_file_mark now;
	const char *why = NULL;
	uint8_t *p = NULL;
	cid_hmap m;
	int fd;

	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE)
			CID_ERROR("%s: out of file descriptors (%s); tokens are read one by one", c->path,
			          strerror(errno));
		else if (errno != ENOENT)
			why = strerror(errno);
		/* Gone (or never made): what this process holds stays usable,
		 * every entry being checked against the files anyway. */
		if (why != NULL && (!c->read_once || c->have_file))
			CID_WARN("%s: status cache ignored (%s)", c->path, why);
		c->have_file = false;
		c->read_once = true;
		return;
	}
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return;
	}
	soft_mark_of(&sb, &now);
	if (c->read_once && c->have_file && soft_mark_same(&now, &c->file)) {
		close(fd);
		return;
	}
	if (!S_ISREG(sb.st_mode))
		why = "not a regular file";
	else if (sb.st_uid != geteuid())
		why = "owned by another user";
	else if ((sb.st_mode & 077) != 0)
		why = "accessible to other users";
	else if (sb.st_size > (off_t)MAX_FILE)
		why = "too large";
	else if (stat(c->dir, &dir) != 0)
		why = "token directory not found";
	cid_hmap_init(&m);
	if (why == NULL) {
		p = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1);
		if (p == NULL) {
			/* Looked at again at the next scan. */
			CID_ERROR("%s: out of memory; tokens are read one by one", c->path);
			close(fd);
			return;
		}
		if (!read_all(fd, p, (size_t)sb.st_size))
			why = "unreadable";
		else
			why = parse(p, (size_t)sb.st_size, &dir, &m);
	}
	close(fd);
	free(p);
	c->read_once = c->have_file = true;
	c->file = now;
	if (why != NULL) {
		/* Replaced by the next process that learns a status. */
		CID_WARN("%s: status cache ignored (%s)", c->path, why);
		free_entries(&m);
		return;
	}
	/* What this process learnt and has not written yet wins. */
	if (c->dirty) {
		uint64_t k;
		void *v;

		for (size_t i = 0; cid_hmap_next(&c->entries, &i, &k, &v);)
			for (entry *e = v; e != NULL; e = e->next) {
				entry *o = NULL;

				for (o = cid_hmap_get(&m, k); o != NULL && strcmp(o->name, e->name) != 0; o = o->next)
					;
				if (o == NULL)
					o = add(&m, e->name, strlen(e->name));
				if (o != NULL) {
					o->db = e->db;
					o->wal = e->wal;
					o->m = e->m;
				}
			}
	}
	free_entries(&c->entries);
	c->entries = m;
}

/* With c->lock held. */
static void save(soft_status_cache *c)
{
	uint8_t sum[SUM_LEN];
	buf b = { 0 };
	struct stat dir, sb;
	char *tmp = NULL;
	int err = 0;
	uint32_t count = 0;
	uint64_t k;
	void *v;
	int fd = -1;
	bool ok = false;

	if (!c->dirty)
		return;
	/* Nothing of ours goes into a directory that is not ours (root
	 * listing a user's tokens, say): its owner could not trust it. */
	if (stat(c->dir, &dir) != 0 || !S_ISDIR(dir.st_mode) || dir.st_uid != geteuid()) {
		c->dirty = false;
		return;
	}
	put_header(&b, &dir, 0);
	for (size_t i = 0; cid_hmap_next(&c->entries, &i, &k, &v);)
		for (entry *e = v; e != NULL; e = e->next) {
			size_t nlen = strlen(e->name);

			/* Tokens the last scan did not report are gone. */
			if (c->done_scan != 0 && e->scan != c->done_scan)
				continue;
			if (nlen == 0 || nlen > MAX_NAME)
				continue;
			put_u(&b, nlen, 2);
			put(&b, e->name, nlen);
			put_mark(&b, &e->db);
			put_mark(&b, &e->wal);
			put_u(&b, e->m.label_len, 1);
			put(&b, e->m.label, 32);
			put(&b, e->m.serial, SOFT_SERIAL_LEN);
			put_u(&b, (uint64_t)e->m.user_tries, 8);
			put_u(&b, (uint64_t)e->m.so_tries, 8);
			put_u(&b, (uint64_t)e->m.init, 8);
			put_u(&b, (uint64_t)e->m.change, 8);
			count++;
		}
	if (!b.failed) {
		for (int i = 0; i < 4; i++)
			b.p[8 + 12 + i] = (uint8_t)(count >> (8 * i));
	}
	if (b.failed) {
		CID_ERROR("%s: out of memory; status cache not written", c->path);
		free(b.p);
		return;
	}
	digest(b.p, b.len, sum);
	put(&b, sum, sizeof(sum));
	errno = 0;
	if (!b.failed && asprintf(&tmp, "%s/%s.XXXXXX", c->dir, SOFT_STATUS_CACHE_NAME) >= 0 &&
	    (fd = mkostemp(tmp, O_CLOEXEC)) >= 0) {
		size_t done = 0;

		ok = fchmod(fd, 0600) == 0;
		while (ok && done < b.len) {
			ssize_t n = write(fd, b.p + done, b.len - done);

			if (n < 0 && errno == EINTR)
				continue;
			ok = n > 0;
			if (ok)
				done += (size_t)n;
		}
		err = ok ? 0 : errno;
		if (close(fd) != 0 && ok) {
			ok = false;
			err = errno;
		}
		if (ok && rename(tmp, c->path) != 0) {
			ok = false;
			err = errno;
		}
		if (!ok)
			unlink(tmp);
	} else {
		err = b.failed ? ENOMEM : errno;
	}
	if (ok) {
		c->dirty = false;
		/* As it is now (rename moves its ctime): not read back. */
		c->read_once = true;
		c->have_file = stat(c->path, &sb) == 0;
		if (c->have_file)
			soft_mark_of(&sb, &c->file);
	} else {
		/* A read-only token directory, say: listings read every token. */
		if (!c->said_unwritable)
			CID_INFO("%s: status cache not written (%s)", c->path, strerror(err));
		c->said_unwritable = true;
		c->dirty = false;
	}
	free(tmp);
	free(b.p);
}

void soft_status_cache_begin_scan(soft_status_cache *c)
{
	if (c == NULL)
		return;
	cid_mutex_lock(c->lock);
	save(c);
	load(c);
	c->scan = c->done_scan + 1 == 0 ? 1 : c->done_scan + 1;
	cid_mutex_unlock(c->lock);
}

void soft_status_cache_seen(soft_status_cache *c, const char *name)
{
	entry *e;

	if (c == NULL)
		return;
	cid_mutex_lock(c->lock);
	e = find(c, name);
	if (e != NULL)
		e->scan = c->scan;
	cid_mutex_unlock(c->lock);
}

void soft_status_cache_end_scan(soft_status_cache *c, bool ok)
{
	if (c == NULL)
		return;
	cid_mutex_lock(c->lock);
	if (ok)
		c->done_scan = c->scan;
	cid_mutex_unlock(c->lock);
}

bool soft_status_cache_knows(soft_status_cache *c, const char *name, const soft_file_mark *db)
{
	bool yes;

	if (c == NULL)
		return false;
	cid_mutex_lock(c->lock);
	const entry *e = find(c, name);
	yes = e != NULL && soft_mark_same(&e->db, db);
	cid_mutex_unlock(c->lock);
	return yes;
}

bool soft_status_cache_get(soft_status_cache *c, const char *name, const soft_file_mark *db,
                           const soft_file_mark *wal, soft_status_meta *out)
{
	bool yes;

	if (c == NULL)
		return false;
	cid_mutex_lock(c->lock);
	const entry *e = find(c, name);
	yes = e != NULL && soft_mark_same(&e->db, db) && soft_mark_same(&e->wal, wal);
	if (yes)
		*out = e->m;
	cid_mutex_unlock(c->lock);
	return yes;
}

void soft_status_cache_put(soft_status_cache *c, const char *name, const soft_file_mark *db,
                           const soft_file_mark *wal, const soft_status_meta *m)
{
	entry *e;

	if (c == NULL || !m->have_serial || strchr(name, '/') != NULL)
		return;
	cid_mutex_lock(c->lock);
	e = find(c, name);
	if (e == NULL)
		e = add(&c->entries, name, strlen(name));
	if (e != NULL && !(soft_mark_same(&e->db, db) && soft_mark_same(&e->wal, wal) &&
	                   memcmp(&e->m, m, sizeof(*m)) == 0)) {
		e->db = *db;
		e->wal = *wal;
		e->m = *m;
		c->dirty = true;
	}
	if (e != NULL)
		e->scan = c->scan;
	cid_mutex_unlock(c->lock);
}

void soft_status_cache_save(soft_status_cache *c)
{
	if (c == NULL)
		return;
	cid_mutex_lock(c->lock);
	save(c);
	cid_mutex_unlock(c->lock);
}
