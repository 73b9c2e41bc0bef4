/* audit show | verify | export: a token's audit trail (P14).
 *
 * A soft token carries its trail in its file, which PKCS#11 cannot reach:
 * the tool reads the file itself, read-only, after finalising the module,
 * because two SQLite libraries in one process must not hold the same file
 * (closing one's descriptor would drop the other's POSIX locks).  A card's
 * trail is kept by the host, in card_audit_dir (common/host_trail.h).
 * Both are checked by the one chain of common/audit_chain.h. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "common/audit_chain.h"
#include "common/host_trail.h"
#include "tool/json.h"
#include "tool/tool.h"

#define SOFT_APPLICATION_ID 1128875092 /* PRAGMA application_id of a token file */

typedef struct {
	bool card;
	char serial[64];
	char *dir;             /* a card's: where the host keeps its trail */
	sqlite3 *db;           /* a soft token's file */
	int64_t head_seq;
	bool head_found;
	uint8_t head[CID_AUDIT_HASH_LEN];
	bool head_ok;
} trail;

/* The tool's own SHA-256: it is a program, not a guest in one. */
static CK_RV sha256(const cid_piece *pieces, size_t n, uint8_t out[CID_AUDIT_HASH_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int len = 0;
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = pieces[i].len == 0 || EVP_DigestUpdate(c, pieces[i].p, pieces[i].len) == 1;
	ok = ok && EVP_DigestFinal_ex(c, out, &len) == 1 && len == CID_AUDIT_HASH_LEN;
	EVP_MD_CTX_free(c);
	return ok ? CKR_OK : CKR_FUNCTION_FAILED;
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

static int soft_open(trail *t, const char *dir, const char *serial)
{
	sqlite3_stmt *st = NULL;
	char *path = NULL;
	int rc;

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
	if (meta(t, "audit_head_hash", &st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CID_AUDIT_HASH_LEN) {
		memcpy(t->head, sqlite3_column_blob(st, 0), CID_AUDIT_HASH_LEN);
		t->head_ok = true;
	}
	sqlite3_finalize(st);
	return EXIT_DONE;
}

static int trail_open(tool_ctx *ctx, trail *t)
{
	char *dir;
	int rc;

	memset(t, 0, sizeof(*t));
	t->card = strcmp(tool_backend(ctx), "card") == 0;
	snprintf(t->serial, sizeof(t->serial), "%s", ctx->serial);
	tool_unload(ctx);
	dir = t->card ? tool_card_audit_dir() : tool_token_dir();
	if (dir == NULL) {
		tool_error("cannot read the configuration");
		return EXIT_OTHER;
	}
	if (t->card) {
		if (!cid_host_trail_serial_ok(t->serial)) {
			free(dir);
			tool_error("card %s has no serial a host audit trail can be named for", t->serial);
			return EXIT_OTHER;
		}
		t->dir = dir;
		return EXIT_DONE;
	}
	rc = soft_open(t, dir, t->serial);
	free(dir);
	return rc;
}

static void trail_close(trail *t)
{
	if (t->db != NULL) {
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(t->db);
	}
	t->db = NULL;
	free(t->dir);
	t->dir = NULL;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s != NULL ? s : "";
}

/* Every record in order, whoever keeps the trail.  A sink's refusal is
 * passed back; a trail that cannot be read is CKR_DEVICE_ERROR, told. */
static CK_RV for_each(trail *t, cid_audit_sink sink, void *sctx)
{
	sqlite3_stmt *st = NULL;
	CK_RV rv = CKR_OK;
	int rc;

	if (t->card) {
		rv = cid_host_trail_foreach(t->dir, t->serial, sink, sctx);
		if (rv == CKR_DEVICE_ERROR)
			tool_error("cannot read the audit trail the host keeps for card %s in %s", t->serial, t->dir);
		return rv;
	}
	rc = sqlite3_prepare_v2(t->db, "SELECT seq, at, event, detail, hash FROM audit ORDER BY seq", -1, &st, NULL);
	while (rc == SQLITE_OK && rv == CKR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cid_audit_record r;
		const void *h = sqlite3_column_blob(st, 4);

		rc = SQLITE_OK;
		r.seq = (uint64_t)sqlite3_column_int64(st, 0);
		r.time = sqlite3_column_int64(st, 1);
		r.event = col_text(st, 2);
		r.detail = col_text(st, 3);
		memset(r.hash, 0, sizeof(r.hash));
		if (h != NULL && sqlite3_column_bytes(st, 4) == CID_AUDIT_HASH_LEN)
			memcpy(r.hash, h, CID_AUDIT_HASH_LEN);
		rv = sink(sctx, &r);
	}
	if (rv == CKR_OK && rc != SQLITE_DONE && rc != SQLITE_OK) {
		tool_error("cannot read the audit trail: %s", sqlite3_errmsg(t->db));
		rv = CKR_DEVICE_ERROR;
	}
	sqlite3_finalize(st);
	return rv;
}

typedef struct {
	json_t *list;
	bool hashes;
} show_ctx;

static CK_RV show_one(void *vctx, const cid_audit_record *r)
{
	show_ctx *c = vctx;
	char at[32];

	tool_iso8601(r->time, at);
	if (c->list == NULL) {
		printf("%6llu  %s  %-14s %s\n", (unsigned long long)r->seq, at, r->event, r->detail);
		return CKR_OK;
	}
	json_t *e = json_object();

	json_object_set_new(e, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(e, "at", json_string(at));
	json_object_set_new(e, "event", tool_json_str(r->event));
	json_object_set_new(e, "detail", tool_json_str(r->detail));
	if (c->hashes) {
		char hex[2 * CID_AUDIT_HASH_LEN + 1];

		for (int i = 0; i < CID_AUDIT_HASH_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", r->hash[i]);
		json_object_set_new(e, "hash", json_string(hex));
	}
	json_array_append_new(c->list, e);
	return CKR_OK;
}

static int show(tool_ctx *ctx, trail *t, bool export)
{
	show_ctx c = { (ctx->json || export) ? json_array() : NULL, export };
	CK_RV rv = for_each(t, show_one, &c);

	if (c.list == NULL)
		return rv == CKR_OK ? EXIT_DONE : EXIT_OTHER;
	if (rv == CKR_OK)
		return tool_json_emit(c.list);
	json_decref(c.list);
	return EXIT_OTHER;
}

static CK_RV walk_one(void *vctx, const cid_audit_record *r)
{
	return cid_audit_walk_step(vctx, r);
}

static int verify(tool_ctx *ctx, trail *t)
{
	cid_audit_check chk;
	cid_audit_walk w;
	CK_RV rv;
	int rc;

	if (t->card) {
		rv = cid_host_trail_verify(t->dir, t->serial, sha256, &chk);
	} else {
		rv = cid_audit_walk_start(&w, sha256, t->serial, &chk);
		if (rv == CKR_OK)
			rv = for_each(t, walk_one, &w);
		if (rv == CKR_OK) {
			static const uint8_t none[CID_AUDIT_HASH_LEN];

			rv = cid_audit_walk_end(&w, t->head_found && t->head_seq > 0, (uint64_t)t->head_seq,
			                        t->head_ok ? t->head : none, false);
		}
	}
	if (rv != CKR_OK && rv != CKR_SIGNATURE_INVALID) {
		tool_error("cannot check the audit trail of %s %s", t->card ? "card" : "token", t->serial);
		return EXIT_OTHER;
	}
	if (ctx->json) {
		json_t *o = json_object();

		json_object_set_new(o, "serial", json_string(t->serial));
		json_object_set_new(o, "kept_by", json_string(t->card ? "host" : "token"));
		json_object_set_new(o, "records", json_integer((json_int_t)chk.records));
		json_object_set_new(o, "intact", json_boolean(chk.first_bad == 0));
		json_object_set_new(o, "first_bad", chk.first_bad ? json_integer((json_int_t)chk.first_bad) : json_null());
		json_object_set_new(o, "reason", chk.first_bad ? json_string(chk.reason) : json_null());
		if ((rc = tool_json_emit(o)) != 0)
			return rc;
	}
	if (chk.first_bad != 0) {
		tool_error("audit trail of %s %s altered: %s (P14)", t->card ? "card" : "token", t->serial, chk.reason);
		return EXIT_REFUSED;
	}
	if (ctx->json)
		return EXIT_DONE;
	if (t->card)
		printf("audit trail of card %s kept by this host intact: %llu records, chained to its head (%s)\n",
		       t->serial, (unsigned long long)chk.records, t->dir);
	else
		printf("audit trail of token %s intact: %llu records, chained to the token's head\n", t->serial,
		       (unsigned long long)chk.records);
	return EXIT_DONE;
}

static void audit_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] audit show|verify|export [--json]\n"
	       "       careid-tool [GLOBAL OPTIONS] audit duplicates [DIR...] [--json]\n"
	       "The audit trail of a token (P14): a soft token's, read from its token\n"
	       "file; a card's, kept by this host in card_audit_dir (careid.conf(5)).\n"
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
	       "A card's trail holds what was done with the card on this host, by\n"
	       "this user: other hosts keep their own.\n");
}

int cmd_audit(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *sub;
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
	rc = trail_open(ctx, &t);
	if (rc == 0)
		rc = strcmp(sub, "verify") == 0 ? verify(ctx, &t) : show(ctx, &t, strcmp(sub, "export") == 0);
	trail_close(&t);
	return rc;
}
