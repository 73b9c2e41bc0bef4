#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/host_trail.h"
#include "common/log.h"
#include "common/private_dir.h"

#define SERIAL_MAX 32
#define EVENT_MAX 64
/* Longer than any line append writes: seq, time, event, detail, hash. */
#define LINE_MAX_LEN (20 + 1 + 21 + 1 + EVENT_MAX + 1 + CID_AUDIT_DETAIL_MAX + 1 + 2 * CID_AUDIT_HASH_LEN + 2)
#define TAIL_READ 4096

typedef struct {
	uint64_t seq;
	int64_t at;
	char event[EVENT_MAX + 1];
	char detail[CID_AUDIT_DETAIL_MAX + 1];
	uint8_t hash[CID_AUDIT_HASH_LEN];
} line_rec;

bool cid_host_trail_serial_ok(const char *serial)
{
	size_t n = serial != NULL ? strlen(serial) : 0;

	if (n == 0 || n > SERIAL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = serial[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return false;
	}
	return true;
}

static char *path_of(const char *dir, const char *serial, const char *suffix)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s%s", dir, serial, suffix) < 0)
		return NULL;
	return p;
}

static CK_RV check_args(const char *dir, const char *serial)
{
	if (dir == NULL || dir[0] != '/') {
		CID_ERROR("the card audit directory must be an absolute path");
		return CKR_ARGUMENTS_BAD;
	}
	if (!cid_host_trail_serial_ok(serial)) {
		CID_ERROR("a card whose serial is not 1 to %d letters and digits has no host audit trail", SERIAL_MAX);
		return CKR_ARGUMENTS_BAD;
	}
	return CKR_OK;
}

/* Copies s into out (size cap + 1), control characters and tabs as '?',
 * cut at cap bytes without splitting a UTF-8 sequence. */
static void clean(const char *s, char *out, size_t cap)
{
	size_t n = strlen(s);

	if (n > cap) {
		n = cap;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool parse_hash(const char *s, size_t len, uint8_t out[CID_AUDIT_HASH_LEN])
{
	if (len != 2 * CID_AUDIT_HASH_LEN)
		return false;
	for (size_t i = 0; i < CID_AUDIT_HASH_LEN; i++) {
		int hi = unhex(s[2 * i]), lo = unhex(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static void put_hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A decimal integer filling [s, s+len): no sign unless neg_ok, no blank. */
static bool parse_int(const char *s, size_t len, bool neg_ok, int64_t *out)
{
	char buf[24], *end;
	long long v;

	if (len == 0 || len >= sizeof(buf) || (s[0] == '-' && !neg_ok) || s[0] == '+' || s[0] == ' ')
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* One line without its LF: exactly five fields. */
static bool parse_line(const char *s, size_t len, line_rec *r)
{
	const char *f[5];
	size_t fl[5], n = 0;
	const char *p = s, *end = s + len;
	int64_t seq;

	while (n < 5) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));

		f[n] = p;
		fl[n] = (size_t)((tab != NULL ? tab : end) - p);
		n++;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	if (n != 5 || f[4] + fl[4] != end || fl[2] == 0 || fl[2] > EVENT_MAX || fl[3] > CID_AUDIT_DETAIL_MAX)
		return false;
	if (!parse_int(f[0], fl[0], false, &seq) || seq <= 0 || !parse_int(f[1], fl[1], true, &r->at))
		return false;
	r->seq = (uint64_t)seq;
	memcpy(r->event, f[2], fl[2]);
	r->event[fl[2]] = '\0';
	memcpy(r->detail, f[3], fl[3]);
	r->detail[fl[3]] = '\0';
	return parse_hash(f[4], fl[4], r->hash);
}

static void to_record(const line_rec *l, cid_audit_record *r)
{
	r->seq = l->seq;
	r->time = l->at;
	r->event = l->event;
	r->detail = l->detail;
	memcpy(r->hash, l->hash, CID_AUDIT_HASH_LEN);
}

static int lock_fd(int fd, int how)
{
	int rc;

	while ((rc = flock(fd, how)) != 0 && errno == EINTR)
		;
	return rc;
}

/* The head file: *has false when there is none; CKR_DATA_INVALID when it
 * is not a head at all. */
static CK_RV read_head(const char *path, bool *has, uint64_t *seq, uint8_t hash[CID_AUDIT_HASH_LEN])
{
	char buf[128];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *sp, *nl;
	int64_t s;

	*has = false;
	if (fd < 0) {
		if (errno == ENOENT)
			return CKR_OK;
		CID_ERROR("cannot read %s: %s", path, strerror(errno));
		return CKR_DEVICE_ERROR;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		CID_ERROR("cannot read %s: %s", path, strerror(errno));
		return CKR_DEVICE_ERROR;
	}
	buf[n] = '\0';
	sp = strchr(buf, ' ');
	nl = strchr(buf, '\n');
	if (sp == NULL || nl == NULL || nl < sp || nl[1] != '\0' || !parse_int(buf, (size_t)(sp - buf), false, &s) ||
	    !parse_hash(sp + 1, (size_t)(nl - sp - 1), hash)) {
		CID_ERROR("%s is damaged", path);
		return CKR_DATA_INVALID;
	}
	*seq = (uint64_t)s;
	*has = true;
	return CKR_OK;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Replaces the head in one rename, so that a reader sees the old head or
 * the new one, never half of either. */
static CK_RV write_head(const char *dir, const char *path, uint64_t seq, const uint8_t hash[CID_AUDIT_HASH_LEN])
{
	char hex[2 * CID_AUDIT_HASH_LEN + 1], line[64 + sizeof(hex)];
	char *tmp = NULL;
	int fd, dfd, n;
	bool ok;

	put_hex(hash, CID_AUDIT_HASH_LEN, hex);
	n = snprintf(line, sizeof(line), "%" PRIu64 " %s\n", seq, hex);
	if (asprintf(&tmp, "%s.%ld.tmp", path, (long)getpid()) < 0)
		return CKR_HOST_MEMORY;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	ok = fd >= 0 && write_all(fd, line, (size_t)n) && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	ok = ok && rename(tmp, path) == 0;
	if (!ok) {
		CID_ERROR("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return CKR_DEVICE_ERROR;
	}
	free(tmp);
	/* The rename itself must survive a crash too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return CKR_OK;
}

/* The last whole line of the trail and where an unterminated tail begins
 * (the file's size when there is none).  *found false: no whole line. */
static CK_RV read_tail(int fd, const char *path, bool *found, line_rec *last, off_t *torn_at)
{
	char buf[TAIL_READ + 1];
	struct stat sb;
	off_t from;
	ssize_t n;
	char *end, *start;

	*found = false;
	if (fstat(fd, &sb) != 0)
		return CKR_DEVICE_ERROR;
	*torn_at = sb.st_size;
	if (sb.st_size == 0)
		return CKR_OK;
	from = sb.st_size > TAIL_READ ? sb.st_size - TAIL_READ : 0;
	n = pread(fd, buf, (size_t)(sb.st_size - from), from);
	if (n != sb.st_size - from) {
		CID_ERROR("cannot read %s: %s", path, n < 0 ? strerror(errno) : "short read");
		return CKR_DEVICE_ERROR;
	}
	buf[n] = '\0';
	end = memrchr(buf, '\n', (size_t)n);
	if (end == NULL) {
		if (from == 0) {
			*torn_at = 0;
			return CKR_OK;
		}
		CID_ERROR("%s ends in a line too long to be a record", path);
		return CKR_DEVICE_ERROR;
	}
	*torn_at = from + (end - buf) + 1;
	*end = '\0';
	start = memrchr(buf, '\n', (size_t)(end - buf));
	start = start != NULL ? start + 1 : buf;
	if (start == buf && from != 0) {
		CID_ERROR("%s ends in a line too long to be a record", path);
		return CKR_DEVICE_ERROR;
	}
	if (!parse_line(start, (size_t)(end - start), last)) {
		CID_ERROR("the last record of %s cannot be read", path);
		return CKR_DEVICE_ERROR;
	}
	*found = true;
	return CKR_OK;
}

/* Where the next record chains from, after the last line and the head.
 * A last line one past the head is an append whose head move was lost,
 * accepted when it chains from the head. */
static CK_RV next_link(cid_audit_sha256 h, const char *serial, const char *path, bool found, const line_rec *last,
                       bool has_head, uint64_t head_seq, const uint8_t head[CID_AUDIT_HASH_LEN], uint64_t *seq,
                       uint8_t prev[CID_AUDIT_HASH_LEN])
{
	uint8_t base[CID_AUDIT_HASH_LEN], want[CID_AUDIT_HASH_LEN];
	uint64_t hs = has_head ? head_seq : 0;
	CK_RV rv;

	if (!found && hs == 0) {
		*seq = 1;
		return cid_audit_seed(h, serial, prev);
	}
	if (found && last->seq == hs && memcmp(last->hash, head, CID_AUDIT_HASH_LEN) == 0) {
		*seq = hs + 1;
		memcpy(prev, head, CID_AUDIT_HASH_LEN);
		return CKR_OK;
	}
	if (found && last->seq == hs + 1) {
		if (hs == 0)
			rv = cid_audit_seed(h, serial, base);
		else {
			memcpy(base, head, CID_AUDIT_HASH_LEN);
			rv = CKR_OK;
		}
		if (rv == CKR_OK)
			rv = cid_audit_record_hash(h, base, last->seq, last->at, last->event, last->detail, want);
		if (rv != CKR_OK)
			return rv;
		if (memcmp(want, last->hash, CID_AUDIT_HASH_LEN) == 0) {
			*seq = last->seq + 1;
			memcpy(prev, want, CID_AUDIT_HASH_LEN);
			return CKR_OK;
		}
	}
	CID_ERROR("%s does not end at its head: nothing more is added to it until it is checked "
	          "(careid-tool audit verify)", path);
	return CKR_DEVICE_ERROR;
}

CK_RV cid_host_trail_append(const char *dir, const char *serial, cid_audit_sha256 h, int64_t at,
                            const char *event, const char *detail)
{
	char ev[EVENT_MAX + 1], de[CID_AUDIT_DETAIL_MAX + 1], hex[2 * CID_AUDIT_HASH_LEN + 1];
	char line[LINE_MAX_LEN + 1];
	uint8_t head[CID_AUDIT_HASH_LEN], prev[CID_AUDIT_HASH_LEN], hash[CID_AUDIT_HASH_LEN];
	char *tpath = NULL, *hpath = NULL;
	bool has_head = false, found = false;
	uint64_t head_seq = 0, seq = 0;
	line_rec last;
	off_t torn_at = 0;
	struct stat sb;
	int fd = -1, n;
	CK_RV rv;

	if (h == NULL || event == NULL || event[0] == '\0' || detail == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((rv = check_args(dir, serial)) != CKR_OK)
		return rv;
	clean(event, ev, EVENT_MAX);
	clean(detail, de, CID_AUDIT_DETAIL_MAX);
	if ((rv = cid_private_dir(dir, "card audit directory")) != CKR_OK)
		return CKR_DEVICE_ERROR;
	tpath = path_of(dir, serial, ".trail");
	hpath = path_of(dir, serial, ".head");
	if (tpath == NULL || hpath == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	fd = open(tpath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fstat(fd, &sb) != 0 || lock_fd(fd, LOCK_EX) != 0) {
		CID_ERROR("cannot append to %s: %s", tpath, strerror(errno));
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		CID_ERROR("cannot append to %s: not a regular file", tpath);
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	rv = read_head(hpath, &has_head, &head_seq, head);
	if (rv == CKR_DATA_INVALID)
		rv = CKR_DEVICE_ERROR;
	if (rv == CKR_OK)
		rv = read_tail(fd, tpath, &found, &last, &torn_at);
	if (rv == CKR_OK)
		rv = next_link(h, serial, tpath, found, &last, has_head, head_seq, head, &seq, prev);
	if (rv == CKR_OK)
		rv = cid_audit_record_hash(h, prev, seq, at, ev, de, hash);
	if (rv != CKR_OK)
		goto out;
	if (torn_at != sb.st_size) {
		CID_WARN("%s ended in an unfinished record; it is dropped", tpath);
		if (ftruncate(fd, torn_at) != 0) {
			CID_ERROR("cannot repair %s: %s", tpath, strerror(errno));
			rv = CKR_DEVICE_ERROR;
			goto out;
		}
	}
	put_hex(hash, CID_AUDIT_HASH_LEN, hex);
	n = snprintf(line, sizeof(line), "%" PRIu64 "\t%" PRId64 "\t%s\t%s\t%s\n", seq, at, ev, de, hex);
	if (n < 0 || (size_t)n >= sizeof(line) || !write_all(fd, line, (size_t)n) || fdatasync(fd) != 0) {
		CID_ERROR("cannot append to %s: %s", tpath, strerror(errno));
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	rv = write_head(dir, hpath, seq, hash);
	if (rv == CKR_OK)
		CID_DEBUG("card %s: audit %s %s", serial, ev, de);
out:
	if (fd >= 0)
		close(fd);
	free(tpath);
	free(hpath);
	return rv;
}

/* Reads every whole line under a shared lock, the head with them. */
typedef CK_RV (*line_fn)(void *ctx, const line_rec *r, unsigned lineno, bool readable);

static CK_RV read_all(const char *dir, const char *serial, line_fn fn, void *ctx, CK_RV *head_rv, bool *has_head,
                      uint64_t *head_seq, uint8_t head[CID_AUDIT_HASH_LEN])
{
	char *tpath = path_of(dir, serial, ".trail"), *hpath = path_of(dir, serial, ".head");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	FILE *f = NULL;
	int fd = -1;
	CK_RV rv = CKR_OK;

	*has_head = false;
	if (tpath == NULL || hpath == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	fd = open(tpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno != ENOENT) {
		CID_ERROR("cannot read %s: %s", tpath, strerror(errno));
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	if (fd >= 0 && (lock_fd(fd, LOCK_SH) != 0 || (f = fdopen(fd, "r")) == NULL)) {
		CID_ERROR("cannot read %s: %s", tpath, strerror(errno));
		close(fd);
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	*head_rv = read_head(hpath, has_head, head_seq, head);
	if (*head_rv == CKR_DEVICE_ERROR)
		rv = CKR_DEVICE_ERROR;
	while (rv == CKR_OK && f != NULL && (len = getline(&buf, &cap, f)) > 0) {
		line_rec r;
		bool ok;

		lineno++;
		if (buf[len - 1] != '\n')
			break; /* unfinished: never part of the trail */
		ok = (size_t)len - 1 <= LINE_MAX_LEN && parse_line(buf, (size_t)len - 1, &r);
		rv = fn(ctx, ok ? &r : NULL, lineno, ok);
	}
	if (rv == CKR_OK && f != NULL && ferror(f)) {
		CID_ERROR("cannot read %s: %s", tpath, strerror(errno));
		rv = CKR_DEVICE_ERROR;
	}
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	free(tpath);
	free(hpath);
	return rv;
}

typedef struct {
	const char *dir, *serial;
	cid_audit_sink sink;
	void *ctx;
} each_ctx;

static CK_RV each_line(void *ctx, const line_rec *l, unsigned lineno, bool readable)
{
	each_ctx *c = ctx;
	cid_audit_record r;

	if (!readable) {
		CID_ERROR("%s/%s.trail: line %u cannot be read", c->dir, c->serial, lineno);
		return CKR_DEVICE_ERROR;
	}
	to_record(l, &r);
	return c->sink(c->ctx, &r);
}

CK_RV cid_host_trail_foreach(const char *dir, const char *serial, cid_audit_sink sink, void *ctx)
{
	each_ctx c = { dir, serial, sink, ctx };
	uint8_t head[CID_AUDIT_HASH_LEN];
	uint64_t head_seq = 0;
	bool has_head;
	CK_RV rv, head_rv;

	if (sink == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((rv = check_args(dir, serial)) != CKR_OK)
		return rv;
	return read_all(dir, serial, each_line, &c, &head_rv, &has_head, &head_seq, head);
}

static CK_RV walk_line(void *ctx, const line_rec *l, unsigned lineno, bool readable)
{
	cid_audit_walk *w = ctx;
	cid_audit_record r;

	(void)lineno;
	if (!readable) {
		if (w->chk->first_bad == 0) {
			w->chk->first_bad = w->next;
			snprintf(w->chk->reason, sizeof(w->chk->reason), "record %llu cannot be read",
			         (unsigned long long)w->next);
		}
		return CKR_SIGNATURE_INVALID;
	}
	to_record(l, &r);
	return cid_audit_walk_step(w, &r);
}

CK_RV cid_host_trail_verify(const char *dir, const char *serial, cid_audit_sha256 h, cid_audit_check *check)
{
	uint8_t head[CID_AUDIT_HASH_LEN];
	uint64_t head_seq = 0;
	bool has_head = false;
	cid_audit_walk w;
	CK_RV rv, head_rv = CKR_OK;

	if (h == NULL || check == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(check, 0, sizeof(*check));
	if ((rv = check_args(dir, serial)) != CKR_OK)
		return rv;
	if ((rv = cid_audit_walk_start(&w, h, serial, check)) != CKR_OK)
		return rv;
	rv = read_all(dir, serial, walk_line, &w, &head_rv, &has_head, &head_seq, head);
	if (rv == CKR_OK && head_rv == CKR_DATA_INVALID) {
		check->first_bad = w.next;
		snprintf(check->reason, sizeof(check->reason), "the head the host keeps was altered");
		rv = CKR_SIGNATURE_INVALID;
	}
	if (rv == CKR_OK)
		rv = cid_audit_walk_end(&w, has_head, head_seq, head, true);
	if (rv == CKR_SIGNATURE_INVALID)
		CID_WARN("%s/%s.trail: %s", dir, serial, check->reason);
	return rv;
}
