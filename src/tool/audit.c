/* audit show | verify | export: a soft token's audit trail (P14).
 *
 * PKCS#11 has no way to read it, so the tool reads the token file itself,
 * read-only, after finalising the module: two SQLite libraries in one
 * process must not hold the same file, because closing one's descriptor
 * would drop the other's POSIX locks.  The chain is recomputed here as
 * src/soft/audit.c builds it (docs/storage-encryption.md, "Audit trail"). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "tool/json.h"
#include "tool/tool.h"

#define HASH_LEN 32
#define SOFT_APPLICATION_ID 1128875092 /* PRAGMA application_id of a token file */

typedef struct {
	sqlite3 *db;
	char serial[64];
	int64_t head_seq;
	bool head_found;
	uint8_t head[HASH_LEN];
	bool head_ok;
} trail;

static void be(uint8_t *b, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static bool sha256(const void *const *parts, const size_t *lens, size_t n, uint8_t out[HASH_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int len = 0;
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(c, parts[i], lens[i]) == 1;
	ok = ok && EVP_DigestFinal_ex(c, out, &len) == 1 && len == HASH_LEN;
	EVP_MD_CTX_free(c);
	return ok;
}

/* The tag's terminating NUL is hashed too, as the module does. */
static bool chain_start(const char *serial, uint8_t out[HASH_LEN])
{
	static const char tag[] = "careid/audit/v1";
	const void *p[] = { tag, serial };
	size_t l[] = { sizeof(tag), strlen(serial) };

	return sha256(p, l, 2, out);
}

static bool record_hash(const uint8_t prev[HASH_LEN], uint64_t seq, int64_t at, const char *event,
                        const char *detail, uint8_t out[HASH_LEN])
{
	uint8_t s8[8], t8[8], el[4], dl[4];
	size_t elen = strlen(event), dlen = strlen(detail);

	be(s8, seq, 8);
	be(t8, (uint64_t)at, 8);
	be(el, elen, 4);
	be(dl, dlen, 4);
	const void *p[] = { prev, s8, t8, el, event, dl, detail };
	size_t l[] = { HASH_LEN, 8, 8, 4, elen, 4, dlen };

	return sha256(p, l, 7, out);
}

static int meta(trail *t, const char *key, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(t->db, "SELECT value FROM meta WHERE key = ?1", -1, st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(*st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(*st);
	return rc;
}

static int trail_open(trail *t, const char *dir, const char *serial)
{
	sqlite3_stmt *st = NULL;
	char *path = NULL;
	int rc;

	memset(t, 0, sizeof(*t));
	if (asprintf(&path, "%s/%s.token", dir, serial) < 0) {
		tool_error("out of memory");
		return EXIT_OTHER;
	}
	rc = sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(t->db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(t->db, "PRAGMA application_id", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) != SOFT_APPLICATION_ID)
		rc = SQLITE_NOTADB;
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_OK) {
		tool_error("cannot read the token file %s: %s", path,
		           rc == SQLITE_NOTADB ? "not a careid token file" : sqlite3_errstr(rc));
		free(path);
		return EXIT_OTHER;
	}
	if (meta(t, "serial", &st) == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 0);
		const void *b = sqlite3_column_blob(st, 0);

		if (b != NULL && n > 0 && (size_t)n < sizeof(t->serial))
			memcpy(t->serial, b, (size_t)n);
	}
	sqlite3_finalize(st);
	if (strcmp(t->serial, serial) != 0) {
		tool_error("%s does not hold token %s", path, serial);
		free(path);
		return EXIT_OTHER;
	}
	free(path);
	if (meta(t, "audit_head_seq", &st) == SQLITE_ROW) {
		t->head_found = true;
		t->head_seq = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (meta(t, "audit_head_hash", &st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == HASH_LEN) {
		memcpy(t->head, sqlite3_column_blob(st, 0), HASH_LEN);
		t->head_ok = true;
	}
	sqlite3_finalize(st);
	return EXIT_DONE;
}

static void trail_close(trail *t)
{
	if (t->db != NULL) {
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(t->db);
	}
	t->db = NULL;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s != NULL ? s : "";
}

static int rows(trail *t, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(t->db, "SELECT seq, at, event, detail, hash FROM audit ORDER BY seq", -1, st,
	                            NULL);

	if (rc != SQLITE_OK) {
		tool_error("cannot read the audit trail: %s", sqlite3_errmsg(t->db));
		return EXIT_OTHER;
	}
	return EXIT_DONE;
}

static int show(tool_ctx *ctx, trail *t, bool export)
{
	json_t *list = (ctx->json || export) ? json_array() : NULL;
	sqlite3_stmt *st = NULL;
	int rc = rows(t, &st);

	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char at[32];

		rc = 0;
		tool_iso8601(sqlite3_column_int64(st, 1), at);
		if (list != NULL) {
			json_t *e = json_object();

			json_object_set_new(e, "seq", json_integer(sqlite3_column_int64(st, 0)));
			json_object_set_new(e, "at", json_string(at));
			json_object_set_new(e, "event", json_string(col_text(st, 2)));
			json_object_set_new(e, "detail", json_string(col_text(st, 3)));
			if (export) {
				char hex[2 * HASH_LEN + 1] = "";
				const uint8_t *h = sqlite3_column_blob(st, 4);
				int n = sqlite3_column_bytes(st, 4);

				for (int i = 0; h != NULL && i < n && i < HASH_LEN; i++)
					snprintf(hex + 2 * i, 3, "%02x", h[i]);
				json_object_set_new(e, "hash", json_string(hex));
			}
			json_array_append_new(list, e);
		} else {
			printf("%6lld  %s  %-14s %s\n", (long long)sqlite3_column_int64(st, 0), at, col_text(st, 2),
			       col_text(st, 3));
		}
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != 0 && rc != EXIT_OTHER) {
		tool_error("cannot read the audit trail: %s", sqlite3_errmsg(t->db));
		rc = EXIT_OTHER;
	}
	sqlite3_finalize(st);
	if (list != NULL) {
		if (rc == 0)
			return tool_json_emit(list);
		json_decref(list);
	}
	return rc;
}

static int verify(tool_ctx *ctx, trail *t)
{
	uint8_t prev[HASH_LEN], want[HASH_LEN];
	char reason[200] = "";
	sqlite3_stmt *st = NULL;
	uint64_t expect = 1, first_bad = 0;
	int rc = rows(t, &st);

	if (rc == 0 && !chain_start(t->serial, prev)) {
		tool_error("SHA-256 failed");
		rc = EXIT_OTHER;
	}
	while (rc == 0 && first_bad == 0 && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		const void *h = sqlite3_column_blob(st, 4);

		if (seq != expect) {
			first_bad = expect;
			snprintf(reason, sizeof(reason), "record %llu is missing (the next record is %llu)",
			         (unsigned long long)expect, (unsigned long long)seq);
			break;
		}
		if (!record_hash(prev, seq, sqlite3_column_int64(st, 1), col_text(st, 2), col_text(st, 3), want)) {
			tool_error("SHA-256 failed");
			rc = EXIT_OTHER;
			break;
		}
		if (h == NULL || sqlite3_column_bytes(st, 4) != HASH_LEN || memcmp(h, want, HASH_LEN) != 0) {
			first_bad = expect;
			snprintf(reason, sizeof(reason), "record %llu (%s) was altered, or a record before it reordered",
			         (unsigned long long)expect, col_text(st, 2));
			break;
		}
		memcpy(prev, want, HASH_LEN);
		expect++;
	}
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	/* The head in meta catches a trail cut short at its end. */
	if (first_bad == 0) {
		uint64_t last = expect - 1, head = t->head_found ? (uint64_t)t->head_seq : 0;

		if (head != last) {
			first_bad = last + 1;
			snprintf(reason, sizeof(reason),
			         "the trail ends at record %llu but the token's head is record %llu: record %llu was removed",
			         (unsigned long long)last, (unsigned long long)head, (unsigned long long)last + 1);
		} else if (last > 0 && (!t->head_ok || memcmp(t->head, prev, HASH_LEN) != 0)) {
			first_bad = last;
			snprintf(reason, sizeof(reason), "record %llu does not match the token's head hash",
			         (unsigned long long)last);
		}
	}
	if (ctx->json) {
		json_t *o = json_object();

		json_object_set_new(o, "serial", json_string(t->serial));
		json_object_set_new(o, "records", json_integer((json_int_t)(expect - 1)));
		json_object_set_new(o, "intact", json_boolean(first_bad == 0));
		json_object_set_new(o, "first_bad", first_bad ? json_integer((json_int_t)first_bad) : json_null());
		json_object_set_new(o, "reason", first_bad ? json_string(reason) : json_null());
		rc = tool_json_emit(o);
		if (rc != 0)
			return rc;
	}
	if (first_bad != 0) {
		tool_error("audit trail of token %s altered: %s (P14)", t->serial, reason);
		return EXIT_REFUSED;
	}
	if (!ctx->json)
		printf("audit trail of token %s intact: %llu records, chained to the token's head\n", t->serial,
		       (unsigned long long)(expect - 1));
	return EXIT_DONE;
}

static void audit_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] audit show|verify|export [--json]\n"
	       "       careid-tool [GLOBAL OPTIONS] audit duplicates [DIR...] [--json]\n"
	       "The audit trail of a soft token (P14), read from its token file.\n"
	       "  show    the records: seq, time (UTC), event, detail\n"
	       "          (--json: a list of {seq, at, event, detail})\n"
	       "  verify  recompute the hash chain and the head the token keeps; exit 1\n"
	       "          naming the first record edited, removed or reordered\n"
	       "          (--json: {serial, records, intact, first_bad, reason})\n"
	       "  export  the records as JSON with each record's chain hash\n"
	       "  duplicates  the UUIDs (token labels) held by more than one token among\n"
	       "          the module's tokens, the cards in the readers and the token\n"
	       "          files in each DIR; exit 1 when there is one (P13)\n"
	       "          (--json: a list of {uuid, tokens: [{serial, where}]})\n"
	       "A card's audit trail is kept by the host; not built yet (exit 4).\n");
}

int cmd_audit(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	char serial[sizeof(ctx->serial)];
	const char *sub;
	char *dir;
	trail t;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (tool_common_option(ctx, c, optarg))
			continue;
		if (c == 'h') {
			audit_help();
			return EXIT_DONE;
		}
		tool_usage_error("audit", "unknown or incomplete option '%s'", argv[optind - 1]);
		return EXIT_USAGE;
	}
	if (optind < argc && strcmp(argv[optind], "duplicates") == 0)
		return tool_audit_duplicates(ctx, argc - optind - 1, argv + optind + 1);
	if (optind != argc - 1) {
		tool_usage_error("audit", optind >= argc ? "audit needs show, verify, export or duplicates"
		                                         : "unexpected argument '%s'", argv[argc - 1]);
		return EXIT_USAGE;
	}
	sub = argv[optind];
	if (strcmp(sub, "show") != 0 && strcmp(sub, "verify") != 0 && strcmp(sub, "export") != 0) {
		tool_usage_error("audit", "unknown audit command '%s'", sub);
		return EXIT_USAGE;
	}
	if ((rc = tool_load(ctx)) != 0 || (rc = tool_pick_token(ctx)) != 0)
		return rc;
	if (strcmp(tool_backend(ctx), "card") == 0) {
		tool_error("the host keeps card audit trails: not built yet");
		return EXIT_OTHER;
	}
	memcpy(serial, ctx->serial, sizeof(serial));
	tool_unload(ctx);
	dir = tool_token_dir();
	if (dir == NULL) {
		tool_error("out of memory");
		return EXIT_OTHER;
	}
	rc = trail_open(&t, dir, serial);
	free(dir);
	if (rc == 0)
		rc = strcmp(sub, "verify") == 0 ? verify(ctx, &t) : show(ctx, &t, strcmp(sub, "export") == 0);
	trail_close(&t);
	return rc;
}
