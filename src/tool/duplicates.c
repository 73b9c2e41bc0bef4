/* audit duplicates [DIR...]: one card per person (P13).  Collects the
 * UUID of every token the module shows (soft tokens and the cards in the
 * readers) and of every token file in the directories given, and reports
 * each UUID held by more than one of them: a copied token file, a cloned
 * virtual card, a second card issued by mistake.  A token's UUID is its
 * label (which careid-tool issue sets to the holder's UUID); labels that
 * are not 12 digits are not UUIDs and are left out. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tool/json.h"
#include "tool/tool.h"

typedef struct {
	char uuid[CID_POLICY_UUID_DIGITS + 1];
	char serial[33];
	char *where;
} seen_token;

typedef struct {
	seen_token *v;
	size_t n, cap;
} seen_list;

static int add(seen_list *l, const char *uuid, const char *serial, const char *where)
{
	if (!cid_lifecycle_uuid_valid(uuid))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		seen_token *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	snprintf(l->v[l->n].uuid, sizeof(l->v[l->n].uuid), "%s", uuid);
	snprintf(l->v[l->n].serial, sizeof(l->v[l->n].serial), "%s", serial);
	if ((l->v[l->n].where = strdup(where)) == NULL)
		return -1;
	l->n++;
	return 0;
}

/* Every initialised token the module shows. */
static int from_module(tool_ctx *ctx, seen_list *l)
{
	CK_SLOT_ID slots[256];
	CK_ULONG n = 256;
	CK_RV rv = ctx->f->C_GetSlotList(CK_TRUE, slots, &n);

	if (rv != CKR_OK) {
		tool_error("cannot list the slots: %s", tool_rv_name(rv));
		return EXIT_OTHER;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		CK_SLOT_INFO si;
		char label[33], serial[17], where[96];

		if (ctx->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED) ||
		    ctx->f->C_GetSlotInfo(slots[i], &si) != CKR_OK)
			continue;
		tool_trim(label, ti.label, 32);
		tool_trim(serial, ti.serialNumber, 16);
		snprintf(where, sizeof(where), "slot %lu (%s)", (unsigned long)slots[i],
		         (si.flags & (CKF_HW_SLOT | CKF_REMOVABLE_DEVICE)) ? "card" : "soft token");
		if (add(l, label, serial, where) != 0)
			return EXIT_OTHER;
	}
	return EXIT_DONE;
}

/* A token file's label and serial, read-only; false for anything else. */
static bool read_file(const char *path, char label[33], char serial[33])
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	          sqlite3_prepare_v2(db, "SELECT key, value FROM meta WHERE key IN ('label', 'serial')", -1, &st,
	                             NULL) == SQLITE_OK;

	label[0] = serial[0] = '\0';
	while (ok && sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const void *v = sqlite3_column_blob(st, 1);
		int n = sqlite3_column_bytes(st, 1);
		char *dst = k && strcmp(k, "label") == 0 ? label : serial;

		if (v != NULL && n > 0 && n <= 32) {
			memcpy(dst, v, (size_t)n);
			dst[n] = '\0';
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* The label is stored blank-padded, as PKCS#11 shows it. */
	for (size_t n = strlen(label); n > 0 && label[n - 1] == ' '; n--)
		label[n - 1] = '\0';
	return ok && serial[0] != '\0';
}

static int from_dir(const char *dir, seen_list *l)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL) {
		tool_error("cannot read the directory %s", dir);
		return EXIT_OTHER;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char path[PATH_MAX], label[33], serial[33];

		if (n < 7 || strcmp(e->d_name + n - 6, ".token") != 0 || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (read_file(path, label, serial) && add(l, label, serial, path) != 0) {
			closedir(d);
			return EXIT_OTHER;
		}
	}
	closedir(d);
	return EXIT_DONE;
}

static int by_uuid(const void *a, const void *b)
{
	return strcmp(((const seen_token *)a)->uuid, ((const seen_token *)b)->uuid);
}

static int report(tool_ctx *ctx, seen_list *l)
{
	json_t *list = json_array();
	size_t groups = 0;

	qsort(l->v, l->n, sizeof(*l->v), by_uuid);
	for (size_t i = 0; i < l->n;) {
		size_t j = i;

		while (j < l->n && strcmp(l->v[j].uuid, l->v[i].uuid) == 0)
			j++;
		if (j - i > 1) {
			json_t *o = json_object(), *toks = json_array();

			groups++;
			if (!ctx->json)
				printf("UUID %s is on %zu tokens:\n", l->v[i].uuid, j - i);
			for (size_t k = i; k < j; k++) {
				json_t *t = json_object();

				json_object_set_new(t, "serial", json_string(l->v[k].serial));
				json_object_set_new(t, "where", json_string(l->v[k].where));
				json_array_append_new(toks, t);
				if (!ctx->json)
					printf("  serial %s, %s\n", l->v[k].serial, l->v[k].where);
			}
			json_object_set_new(o, "uuid", json_string(l->v[i].uuid));
			json_object_set_new(o, "tokens", toks);
			json_array_append_new(list, o);
		}
		i = j;
	}
	if (ctx->json) {
		if (tool_json_emit(list) != 0)
			return EXIT_OTHER;
	} else {
		json_decref(list);
		if (groups == 0)
			printf("no UUID is on more than one of the %zu tokens seen\n", l->n);
	}
	if (groups > 0) {
		fprintf(stderr, "careid-tool: P13: %zu UUID%s on more than one token; one card per person\n", groups,
		        groups == 1 ? " is" : "s are");
		return EXIT_REFUSED;
	}
	return EXIT_DONE;
}

int tool_audit_duplicates(tool_ctx *ctx, int ndirs, char **dirs)
{
	seen_list l = { 0 };
	char *tokdir = tool_token_dir(), *real_tokdir = tokdir ? realpath(tokdir, NULL) : NULL;
	int rc = tool_load(ctx);

	if (rc == 0)
		rc = from_module(ctx, &l);
	/* The module's own files are read by the module; reading them again
	 * here would report every token twice, and two SQLite libraries must
	 * not hold one file (audit.c). */
	tool_unload(ctx);
	for (int i = 0; rc == 0 && i < ndirs; i++) {
		char *real = realpath(dirs[i], NULL);

		if (real != NULL && real_tokdir != NULL && strcmp(real, real_tokdir) == 0) {
			free(real);
			continue;
		}
		free(real);
		rc = from_dir(dirs[i], &l);
	}
	if (rc == 0)
		rc = report(ctx, &l);
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].where);
	free(l.v);
	free(tokdir);
	free(real_tokdir);
	return rc;
}
