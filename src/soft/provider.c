/* The soft-token provider: a directory holding one file per token, plus
 * one free place where C_InitToken creates a new token.
 *
 * A module is a guest in its host's process: loading it, C_Initialize and
 * every listing (C_GetSlotList, C_GetTokenInfo, C_WaitForSlotEvent) create
 * nothing on disk but, in a token directory of the user's own that holds
 * tokens, the status cache (status_cache.c), and that only when a listing
 * read a status the cache did not have.  A missing token directory is an
 * empty one; it is made (0700, with its parents) only when C_InitToken
 * creates the first token. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/private_dir.h"
#include "common/hmap.h"
#include "common/lock.h"
#include "common/mem.h"
#include "soft/soft_int.h"

#define FREE_KEY "new"
#define CREATE_ATTEMPTS 8

/* A file once found to be a token stays one: tokens are created under a
 * temporary name and renamed into place, so new content is a new inode. */
typedef struct probed_file {
	char *name;
	dev_t dev;
	ino_t ino;
	bool token;   /* false: found not to be one, and said so once */
} probed_file;

typedef struct soft_provider {
	cid_provider base;
	char *dir;
	uint32_t kdf_cost;
	/* Files already probed as tokens.  C_WaitForSlotEvent scans ten
	 * times a second; opening every database each time would cost a
	 * SQLite open per token per scan.  Scans are serialised by the
	 * front, but opening a token (under its slot's lock only) reads this
	 * too, to spare a file the scan has just probed a second probe. */
	cid_hmap probed;   /* file_key -> probed_file* */
	cid_mutex *probed_lock;
	/* The directory's mode was checked (once: scans run ten times a second). */
	bool mode_checked;
	/* Statuses of resting tokens kept across processes (status_cache.c). */
	soft_status_cache *cache;
} soft_provider;

/* A token's key is its file name: never a path, never hidden, always ours. */
static bool token_name(const char *name)
{
	size_t n = strlen(name), s = strlen(SOFT_FILE_SUFFIX);

	return n > s && name[0] != '.' && strchr(name, '/') == NULL &&
	       strcmp(name + n - s, SOFT_FILE_SUFFIX) == 0;
}

static char *join(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* Warns when others can reach into the token directory. */
static void check_mode(const char *dir, const struct stat *sb)
{
	cid_private_dir_warn(dir, sb->st_mode, "token directory");
}

/* Whether a file looks like a token, from its SQLite header alone: the
 * magic string, the schema version (offset 60) and careid's application
 * id (offset 68), both big-endian.  No database is opened: a listing of a
 * thousand tokens reads a hundred bytes of each.  The serial and the rest
 * are checked when the token is first used.  PROBE_SHORT: out of
 * descriptors, which says nothing about the file. */
enum { PROBE_NOT = 0, PROBE_TOKEN = 1, PROBE_SHORT = -1 };

static int probe(int dirfd, const char *name, const char *dir)
{
	/* name is a full path when dirfd is AT_FDCWD. */
	const char *sep = name[0] == '/' ? "" : "/";

	if (name[0] == '/')
		dir = "";
	static const char magic[16] = "SQLite format 3";
	uint8_t h[100];
	ssize_t n = -1;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			CID_ERROR("%s%s%s: out of file descriptors (%s)", dir, sep, name, strerror(errno));
			return PROBE_SHORT;
		}
		CID_WARN("%s%s%s: cannot open (%s); skipped", dir, sep, name, strerror(errno));
		return PROBE_NOT;
	}
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n != (ssize_t)sizeof(h) || memcmp(h, magic, sizeof(magic)) != 0) {
		CID_WARN("%s%s%s is not a careid token file; skipped", dir, sep, name);
		return PROBE_NOT;
	}
	uint32_t version = (uint32_t)h[60] << 24 | (uint32_t)h[61] << 16 | (uint32_t)h[62] << 8 | h[63];
	uint32_t app = (uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 | (uint32_t)h[70] << 8 | h[71];
	if (app != SOFT_APPLICATION_ID) {
		CID_WARN("%s%s%s is not a careid token file; skipped", dir, sep, name);
		return PROBE_NOT;
	}
	if (!soft_schema_known(version)) {
		CID_ERROR("%s%s%s has token schema %u, this module reads %d to %d; skipped", dir, sep, name, version,
		          SOFT_SCHEMA_MIN, SOFT_SCHEMA_VERSION);
		return PROBE_NOT;
	}
	return PROBE_TOKEN;
}

static uint64_t file_key(const struct stat *sb)
{
	uint64_t k = (uint64_t)sb->st_ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)sb->st_dev;

	return k == 0 || k == UINT64_MAX ? 1 : k;
}

static const probed_file *known(const soft_provider *p, const char *name, const struct stat *sb)
{
	const probed_file *f = cid_hmap_get(&p->probed, file_key(sb));

	return f != NULL && f->dev == sb->st_dev && f->ino == sb->st_ino && strcmp(f->name, name) == 0 ? f : NULL;
}

static void free_probed(cid_hmap *m)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; cid_hmap_next(m, &i, &k, &v);) {
		free(((probed_file *)v)->name);
		free(v);
	}
	cid_hmap_free(m);
}

/* Forgetting is harmless (the file is probed again), so a failed
 * allocation only costs the next scan. */
static void remember(cid_hmap *m, const char *name, const struct stat *sb, bool token)
{
	probed_file *f = malloc(sizeof(*f)), *old;
	uint64_t key = file_key(sb);

	if (f == NULL || (f->name = strdup(name)) == NULL) {
		free(f);
		return;
	}
	f->dev = sb->st_dev;
	f->ino = sb->st_ino;
	f->token = token;
	old = cid_hmap_get(m, key);
	if (cid_hmap_put(m, key, f) != 0) {
		free(f->name);
		free(f);
		return;
	}
	if (old != NULL) {
		free(old->name);
		free(old);
	}
}

static void forget_probed(soft_provider *p)
{
	free_probed(&p->probed);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static CK_RV soft_scan(cid_provider *prov, cid_place_sink sink, void *ctx)
{
	soft_provider *p = (soft_provider *)prov;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	cid_hmap seen;
	CK_RV rv = CKR_OK;
	DIR *d;

	if (sink == NULL)
		return CKR_ARGUMENTS_BAD;
	cid_hmap_init(&seen);
	soft_status_cache_begin_scan(p->cache);
	d = opendir(p->dir);
	if (d == NULL && errno != ENOENT) {
		int e = errno;

		CID_ERROR("cannot read token directory %s: %s", p->dir, strerror(e));
		soft_status_cache_end_scan(p->cache, false);
		return e == EMFILE || e == ENFILE || e == ENOMEM ? CKR_HOST_MEMORY : CKR_GENERAL_ERROR;
	}
	if (d != NULL && !p->mode_checked) {
		struct stat sb;

		if (fstat(dirfd(d), &sb) == 0)
			check_mode(p->dir, &sb);
		p->mode_checked = true;
	}
	/* No directory yet: no tokens, and the free place to make the first. */
	while (d != NULL && rv == CKR_OK && (de = readdir(d)) != NULL) {
		struct stat sb;

		if (!token_name(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!S_ISREG(sb.st_mode)) {
			/* Said once, not ten times a second. */
			if (known(p, de->d_name, &sb) == NULL)
				CID_WARN("%s/%s is not a regular file; skipped", p->dir, de->d_name);
			remember(&seen, de->d_name, &sb, false);
			continue;
		}
		const probed_file *f = known(p, de->d_name, &sb);
		soft_file_mark mark;
		int token;

		/* A file the status cache read as a token, unchanged since, is
		 * one still: a listing in a new process opens no token file. */
		soft_mark_of(&sb, &mark);
		if (f != NULL)
			token = f->token;
		else if (soft_status_cache_knows(p->cache, de->d_name, &mark))
			token = PROBE_TOKEN;
		else
			token = probe(dirfd(d), de->d_name, p->dir);

		/* A token that could not be looked at is not a file found not
		 * to be one: the scan fails, and changes nothing. */
		if (token == PROBE_SHORT) {
			rv = CKR_HOST_MEMORY;
			break;
		}
		/* Only what this scan saw is kept: deleted tokens go.  A file
		 * found not to be a token is said once, not at every scan. */
		remember(&seen, de->d_name, &sb, token == PROBE_TOKEN);
		if (token) {
			if (n == cap) {
				size_t ncap = cap ? 2 * cap : 8;
				char **nv = realloc(names, ncap * sizeof(*nv));

				if (nv == NULL) {
					rv = CKR_HOST_MEMORY;
					break;
				}
				names = nv;
				cap = ncap;
			}
			names[n] = strdup(de->d_name);
			if (names[n] == NULL)
				rv = CKR_HOST_MEMORY;
			else
				n++;
			soft_status_cache_seen(p->cache, de->d_name);
		}
	}
	if (d != NULL)
		closedir(d);
	soft_status_cache_end_scan(p->cache, rv == CKR_OK);
	if (rv == CKR_OK) {
		cid_mutex_lock(p->probed_lock);
		free_probed(&p->probed);
		p->probed = seen;
		cid_mutex_unlock(p->probed_lock);
	} else {
		free_probed(&seen);
	}
	/* Sorted, so that every scan reports the same places in the same order. */
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; rv == CKR_OK && i < n; i++) {
		cid_place pl = { .key = names[i], .description = SOFT_DESCRIPTION };

		rv = sink(ctx, &pl);
	}
	if (rv == CKR_OK) {
		cid_place pl = { .key = FREE_KEY, .description = SOFT_DESCRIPTION " (new)", .can_create = true };

		rv = sink(ctx, &pl);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rv;
}

static CK_RV soft_open(cid_provider *prov, const char *key, cid_token **out)
{
	soft_provider *p = (soft_provider *)prov;
	struct stat sb;
	char *path;

	if (key == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!token_name(key))
		return CKR_TOKEN_NOT_PRESENT;
	path = join(p->dir, key);
	if (path == NULL)
		return CKR_HOST_MEMORY;
	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		CID_WARN("token file %s is gone", path);
		free(path);
		return CKR_TOKEN_NOT_PRESENT;
	}
	/* Used all the same (it is the holder's), but said: another user who
	 * can copy the file can guess offline. */
	if ((sb.st_mode & 077) != 0)
		CID_WARN("token file %s is readable by other users (mode %03o); 0600 is expected", path,
		         (unsigned)(sb.st_mode & 0777));
	/* The cheap check only, and not twice for the file a scan has just
	 * probed; the rest waits for the first use. */
	cid_mutex_lock(p->probed_lock);
	const probed_file *f = known(p, key, &sb);
	bool probed = f != NULL;
	int verdict = probed && f->token ? PROBE_TOKEN : PROBE_NOT;
	cid_mutex_unlock(p->probed_lock);
	if (!probed)
		verdict = probe(AT_FDCWD, path, p->dir);
	if (verdict != PROBE_TOKEN) {
		free(path);
		return verdict == PROBE_SHORT ? CKR_HOST_MEMORY : CKR_TOKEN_NOT_RECOGNIZED;
	}
	CK_RV rv = soft_token_new(NULL, path, NULL, out);

	/* Without the cache (out of memory) the token reads its file. */
	if (rv == CKR_OK)
		(void)soft_token_use_cache(*out, p->cache, key);
	return rv;
}

static void unlink_db(const char *path)
{
	char *aux = NULL;

	unlink(path);
	if (asprintf(&aux, "%s-wal", path) >= 0) {
		unlink(aux);
		free(aux);
	}
	if (asprintf(&aux, "%s-shm", path) >= 0) {
		unlink(aux);
		free(aux);
	}
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Builds the token under a hidden name, then gives it its real name in
 * one step: a scan in another process never sees a half-made token. */
static CK_RV build(soft_provider *p, const char *serial, const CK_UTF8CHAR *so_pin, CK_ULONG len,
                   const CK_UTF8CHAR label[32], const char *tmp, const char *final)
{
	sqlite3 *db = NULL;
	CK_RV rv;
	int fd;

	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		CID_ERROR("cannot create %s: %s", tmp, strerror(errno));
		return CKR_GENERAL_ERROR;
	}
	(void)fchmod(fd, 0600);
	close(fd);
	rv = soft_db_open(tmp, false, &db);
	if (rv == CKR_OK)
		rv = soft_db_exec(db, "PRAGMA journal_mode=WAL");
	if (rv == CKR_OK)
		rv = soft_token_format(db, serial, p->kdf_cost, so_pin, len, label);
	if (db != NULL && sqlite3_close_v2(db) != SQLITE_OK && rv == CKR_OK)
		rv = CKR_DEVICE_ERROR;
	if (rv == CKR_OK && link(tmp, final) != 0) {
		int e = errno;

		CID_ERROR("cannot name token file %s: %s", final, strerror(e));
		rv = e == EEXIST ? CKR_FUNCTION_REJECTED : CKR_GENERAL_ERROR;
	}
	unlink_db(tmp);
	if (rv == CKR_OK)
		sync_dir(p->dir);
	return rv;
}

static CK_RV soft_create(cid_provider *prov, const char *key, const CK_UTF8CHAR *so_pin, CK_ULONG len,
                         const CK_UTF8CHAR label[32], char **new_key, cid_token **out)
{
	soft_provider *p = (soft_provider *)prov;
	char serial[SOFT_SERIAL_LEN + 1], name[SOFT_SERIAL_LEN + sizeof(SOFT_FILE_SUFFIX)];
	char tmpname[SOFT_SERIAL_LEN + 6];
	char tname[CID_TOKEN_NAME_LEN];
	char *tmp = NULL, *final = NULL;
	CK_RV rv = CKR_FUNCTION_REJECTED;

	if (key == NULL || label == NULL || new_key == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	if (strcmp(key, FREE_KEY) != 0) {
		CID_DEBUG("place %s holds a token already; initialise it instead", key);
		return CKR_ARGUMENTS_BAD;
	}
	/* The SO passcode's format (P1) is the token layer's to check. */
	/* The first token makes the directory; nothing before it does. */
	rv = cid_private_dir(p->dir, "token directory");
	if (rv != CKR_OK)
		return rv;
	p->mode_checked = true;
	for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
		uint8_t r[SOFT_SERIAL_LEN / 2];
		struct stat sb;

		rv = cid_random(r, sizeof(r));
		if (rv != CKR_OK)
			return rv;
		for (size_t i = 0; i < sizeof(r); i++)
			snprintf(serial + 2 * i, 3, "%02x", r[i]);
		snprintf(name, sizeof(name), "%s%s", serial, SOFT_FILE_SUFFIX);
		snprintf(tmpname, sizeof(tmpname), ".%s.new", serial);
		free(tmp);
		free(final);
		tmp = join(p->dir, tmpname);
		final = join(p->dir, name);
		if (tmp == NULL || final == NULL) {
			rv = CKR_HOST_MEMORY;
			break;
		}
		if (lstat(final, &sb) == 0) {
			rv = CKR_FUNCTION_REJECTED;
			continue;
		}
		rv = build(p, serial, so_pin, len, label, tmp, final);
		if (rv != CKR_FUNCTION_REJECTED)
			break;
	}
	free(tmp);
	free(final);
	if (rv == CKR_OK)
		rv = soft_open(prov, name, out);
	if (rv == CKR_OK) {
		*new_key = strdup(name);
		if (*new_key == NULL) {
			(*out)->ops->release(*out);
			*out = NULL;
			rv = CKR_HOST_MEMORY;
		}
	}
	if (rv == CKR_OK)
		CID_INFO("created %s in %s", cid_token_name(tname, label, 32, serial, SOFT_SERIAL_LEN), p->dir);
	else
		CID_ERROR("creating %s in %s failed (0x%lx)", cid_token_name(tname, label, 32, NULL, 0), p->dir, rv);
	return rv;
}

static void soft_provider_release(cid_provider *prov)
{
	soft_provider *p = (soft_provider *)prov;

	if (p == NULL)
		return;
	forget_probed(p);
	soft_status_cache_save(p->cache);
	soft_status_cache_unref(p->cache);
	cid_mutex_free(&p->probed_lock);
	free(p->dir);
	free(p);
}

static const struct cid_provider_ops soft_provider_ops = {
	.name = "soft",
	.scan = soft_scan,
	.open = soft_open,
	.create = soft_create,
	.release = soft_provider_release,
};

CK_RV cid_soft_provider_new(const char *dir, uint32_t kdf_cost, cid_provider **out)
{
	soft_provider *p;

	if (dir == NULL || *dir == '\0' || out == NULL)
		return CKR_ARGUMENTS_BAD;
	if (kdf_cost < CID_KDF_COST_MIN || kdf_cost > CID_KDF_COST_MAX) {
		CID_ERROR("kdf_cost %u outside %d..%d", kdf_cost, CID_KDF_COST_MIN, CID_KDF_COST_MAX);
		return CKR_ARGUMENTS_BAD;
	}
	soft_db_setup();
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return CKR_HOST_MEMORY;
	p->dir = strdup(dir);
	if (p->dir == NULL || cid_mutex_new(&p->probed_lock) != CKR_OK ||
	    soft_status_cache_new(p->dir, &p->cache) != CKR_OK) {
		cid_mutex_free(&p->probed_lock);
		free(p->dir);
		free(p);
		return CKR_HOST_MEMORY;
	}
	p->base.ops = &soft_provider_ops;
	p->kdf_cost = kdf_cost;
	*out = &p->base;
	return CKR_OK;
}
