/* register.json: {"<token serial>": {"uuid": "...", "seq": N, "cancelled": bool}, ...}
 * Read and rewritten whole (a temporary file renamed over it) under an
 * exclusive lock on register.lock, so that two agents at two desks of one
 * RA never lose each other's entries. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/config.h"
#include "tool/json.h"
#include "tool/register.h"
#include "tool/tool.h"

typedef struct {
	char *path;    /* register.json */
	int lock;      /* descriptor of register.lock, flock()ed */
	json_t *root;
} reg;

static void reg_close(reg *r)
{
	if (r->lock >= 0)
		close(r->lock);
	json_decref(r->root);
	free(r->path);
	memset(r, 0, sizeof(*r));
	r->lock = -1;
}

/* Opens the register beside issuer_cert.  No issuer configured: *none. */
static int reg_open(reg *r, bool write, bool *none)
{
	cid_config cfg;
	json_error_t err;
	char *dir = NULL, *lockpath = NULL, *copy;
	int rc = EXIT_OTHER;

	memset(r, 0, sizeof(*r));
	r->lock = -1;
	*none = false;
	if (cid_config_load(&cfg) != CKR_OK) {
		tool_error("cannot read the configuration");
		return EXIT_OTHER;
	}
	if (cfg.issuer_cert == NULL) {
		*none = true;
		cid_config_free(&cfg);
		return EXIT_DONE;
	}
	copy = strdup(cfg.issuer_cert);
	cid_config_free(&cfg);
	if (copy == NULL || (dir = strdup(dirname(copy))) == NULL || asprintf(&r->path, "%s/register.json", dir) < 0 ||
	    asprintf(&lockpath, "%s/register.lock", dir) < 0) {
		r->path = NULL;
		tool_error("out of memory");
		goto out;
	}
	r->lock = open(lockpath, (write ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* Never written: nothing to lock against, maybe nothing to read. */
	if (r->lock < 0 && !write && errno == ENOENT) {
		/* read below without the lock */
	} else if (r->lock < 0 || flock(r->lock, write ? LOCK_EX : LOCK_SH) != 0) {
		tool_error("cannot lock the issuer's register %s: %s", lockpath, strerror(errno));
		goto out;
	}
	r->root = json_load_file(r->path, JSON_REJECT_DUPLICATES, &err);
	if (r->root == NULL && access(r->path, F_OK) != 0 && errno == ENOENT)
		r->root = json_object();
	else if (r->root == NULL || !json_is_object(r->root)) {
		tool_error("the issuer's register %s is damaged (%s): it is left as it is", r->path,
		           r->root == NULL ? err.text : "not a JSON object");
		goto out;
	}
	rc = EXIT_DONE;
out:
	free(copy);
	free(dir);
	free(lockpath);
	if (rc != EXIT_DONE)
		reg_close(r);
	return rc;
}

static int reg_save(reg *r)
{
	char *tmp = NULL;
	int rc = EXIT_OTHER;

	if (asprintf(&tmp, "%s.%ld.tmp", r->path, (long)getpid()) < 0) {
		tool_error("out of memory");
		return EXIT_OTHER;
	}
	if (json_dump_file(r->root, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 || rename(tmp, r->path) != 0) {
		tool_error("cannot write the issuer's register %s: %s", r->path, strerror(errno));
		unlink(tmp);
	} else {
		rc = EXIT_DONE;
	}
	free(tmp);
	return rc;
}

/* The register's entry for the token, or NULL; borrowed. */
static json_t *entry(reg *r, const cid_lifecycle *lc, uint64_t *seq, bool *cancelled)
{
	json_t *e = json_object_get(r->root, lc->serial);
	json_t *s = json_object_get(e, "seq");

	if (!json_is_object(e) || !json_is_integer(s))
		return NULL;
	*seq = (uint64_t)json_integer_value(s);
	*cancelled = json_is_true(json_object_get(e, "cancelled"));
	return e;
}

int tool_register_check(const cid_lifecycle *cur, bool self_service)
{
	uint64_t seq = 0;
	bool none, cancelled = false;
	const char *uuid;
	json_t *e;
	reg r;
	int rc = reg_open(&r, false, &none);

	if (rc != 0 || none)
		return rc;
	e = entry(&r, cur, &seq, &cancelled);
	uuid = e != NULL ? json_string_value(json_object_get(e, "uuid")) : NULL;
	if (cancelled && uuid != NULL && strcmp(uuid, cur->uuid) == 0) {
		tool_error("refused by P10: the issuer cancelled token %s of %s (its record %llu); this token holds "
		           "an older record, restored from a copy; a new card needs 'careid-tool issue'",
		           cur->serial, cur->uuid, (unsigned long long)seq);
		rc = EXIT_REFUSED;
	} else if (e != NULL && self_service && cur->seq < seq) {
		tool_error("refused by P8: token %s holds lifecycle record %llu but the issuer signed record %llu for it: "
		           "it was restored from an older copy; renewal in person with the sponsor",
		           cur->serial, (unsigned long long)cur->seq, (unsigned long long)seq);
		rc = EXIT_REFUSED;
	}
	reg_close(&r);
	return rc;
}

int tool_register_raise(cid_lifecycle *lc)
{
	uint64_t seq = 0;
	bool none, cancelled;
	reg r;
	int rc = reg_open(&r, false, &none);

	if (rc == 0 && !none && entry(&r, lc, &seq, &cancelled) != NULL && lc->seq <= seq)
		lc->seq = seq + 1;
	reg_close(&r);
	return rc;
}

int tool_register_note(const cid_lifecycle *lc)
{
	json_t *e;
	bool none;
	reg r;
	int rc = reg_open(&r, true, &none);

	if (rc != 0 || none) {
		reg_close(&r);
		return rc;
	}
	e = json_pack("{s:s, s:I, s:b}", "uuid", lc->uuid, "seq", (json_int_t)lc->seq, "cancelled", lc->cancelled);
	if (e == NULL || json_object_set_new(r.root, lc->serial, e) != 0) {
		tool_error("out of memory");
		rc = EXIT_OTHER;
	} else {
		rc = reg_save(&r);
	}
	reg_close(&r);
	return rc;
}
