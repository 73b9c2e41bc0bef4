/* issue: the sponsor issues a soft token in person (P6, P11-P13).
 *
 * In the free soft-token slot: C_InitToken with the sponsor's SO passcode
 * and the holder's UUID as label; the holder's passcode; two P-256 key
 * pairs generated on the token (CKA_ID 01 authentication, 02 signature);
 * the two two-year certificates the issuer makes for them; and the
 * lifecycle record, signed by the issuer.  Every rule that can refuse is
 * asked before the token is touched, so a refused issue leaves nothing
 * behind. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "careid/careid.h"
#include "tool/cardadmin.h"
#include "tool/issuer.h"
#include "tool/keywork.h"
#include "tool/json.h"
#include "tool/tool.h"

typedef struct {
	const char *uuid, *kind, *until, *so_file, *new_file;
	unsigned hours;
} issue_args;

static void issue_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] issue --uuid UUID [--kind standard|temporary|contractor]\n"
	       "                  [--hours N] [--until YYYY-MM-DD] [--so-passcode-file F] [--new-passcode-file F]\n"
	       "Sponsor, in person: issue a new soft token in the free slot to the holder\n"
	       "with that 12-digit UUID (P13): the token (labelled with the UUID) with the\n"
	       "sponsor's SO passcode, the holder's passcode (typed at the desk, or\n"
	       "--new-passcode-file), two P-256 key pairs made on the token, their two\n"
	       "two-year certificates from the configured issuer (P6), and the token's\n"
	       "lifecycle record signed by the issuer.  A temporary card needs --hours\n"
	       "(at most 72, P11); a contractor's ends at the end of --until, or three\n"
	       "months after issue (P12).  Needs issuer_cert, issuer_key and issuer_org\n"
	       "in the configuration (careid.conf(5)).\n");
}

static int parse(tool_ctx *ctx, int argc, char **argv, issue_args *a)
{
	enum { O_UUID = 0x100, O_KIND, O_HOURS, O_UNTIL, O_SO, O_NEW };
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "uuid", required_argument, NULL, O_UUID },
		{ "kind", required_argument, NULL, O_KIND },
		{ "hours", required_argument, NULL, O_HOURS },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "so-passcode-file", required_argument, NULL, O_SO },
		{ "new-passcode-file", required_argument, NULL, O_NEW },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long h;
	int c;

	memset(a, 0, sizeof(*a));
	a->kind = "standard";
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (tool_common_option(ctx, c, optarg))
			continue;
		switch (c) {
		case 'h': issue_help(); return -1;
		case O_UUID: a->uuid = optarg; break;
		case O_KIND: a->kind = optarg; break;
		case O_UNTIL: a->until = optarg; break;
		case O_SO: a->so_file = optarg; break;
		case O_NEW: a->new_file = optarg; break;
		case O_HOURS:
			h = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || h <= 0 || h > 100000) {
				tool_usage_error("issue", "--hours takes a whole number of hours");
				return EXIT_USAGE;
			}
			a->hours = (unsigned)h;
			break;
		default:
			tool_usage_error("issue", "unknown or incomplete option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		tool_usage_error("issue", "unexpected argument '%s' (passcodes are read from files)", argv[optind]);
		return EXIT_USAGE;
	}
	if (a->uuid == NULL) {
		tool_usage_error("issue", "--uuid is needed");
		return EXIT_USAGE;
	}
	return 0;
}

static bool kind_of(const char *s, cid_card_kind *k)
{
	if (strcmp(s, "standard") == 0)
		*k = CID_CARD_STANDARD;
	else if (strcmp(s, "temporary") == 0)
		*k = CID_CARD_TEMPORARY;
	else if (strcmp(s, "contractor") == 0)
		*k = CID_CARD_CONTRACTOR;
	else
		return false;
	return true;
}

/* YYYY-MM-DD as noon UTC of that day (the record ends access at the end of
 * the day), or -1. */
static int64_t parse_date(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_hour = 12;
	return (int64_t)timegm(&tm);
}

/* The rules first, on a record with a stand-in serial: nothing is made
 * when they refuse (exit 1, or 2 for a malformed request). */
static int check_rules(const issue_args *a, cid_card_kind kind, int64_t until, int64_t now)
{
	cid_lifecycle r = { 0 };
	cid_verdict v = cid_lifecycle_issue(&r, kind, a->uuid, "0", "", now, now + 1, a->hours, until);

	if (v.rv == CKR_OK)
		return EXIT_DONE;
	tool_error("issue refused%s%s: %s", v.rule ? " by " : "", v.rule ? v.rule : "", v.why);
	return v.rv == CKR_FUNCTION_REJECTED ? EXIT_REFUSED : EXIT_USAGE;
}

static int find_free_slot(tool_ctx *ctx)
{
	CK_SLOT_ID slots[256];
	CK_ULONG n = 256;

	if (ctx->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
		tool_error("cannot list the slots");
		return EXIT_OTHER;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		CK_SLOT_INFO si;

		if (ctx->f->C_GetSlotInfo(slots[i], &si) == CKR_OK && !(si.flags & CKF_HW_SLOT) &&
		    ctx->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			ctx->slot = slots[i];
			ctx->slot_info = si;
			return EXIT_DONE;
		}
	}
	tool_error("no free soft-token slot (soft_tokens = no, or token_dir unusable)");
	return EXIT_OTHER;
}

static int report(tool_ctx *ctx, const cid_lifecycle *r, const tool_issued c[2])
{
	char end[32], na[32];

	tool_iso8601((long long)c[0].not_after, na);
	if (r->access_end)
		tool_iso8601(r->access_end, end);
	if (ctx->json) {
		json_t *o = json_object(), *certs = json_array();

		json_object_set_new(o, "uuid", json_string(r->uuid));
		json_object_set_new(o, "serial", json_string(r->serial));
		json_object_set_new(o, "kind", json_string(tool_kind_name(r->kind)));
		json_object_set_new(o, "access_end", r->access_end ? json_string(end) : json_null());
		for (int i = 0; i < 2; i++) {
			json_t *e = json_object();
			char nb[32], a[32];

			tool_iso8601((long long)c[i].not_before, nb);
			tool_iso8601((long long)c[i].not_after, a);
			json_object_set_new(e, "id", json_string(i == 0 ? "01" : "02"));
			json_object_set_new(e, "not_before", json_string(nb));
			json_object_set_new(e, "not_after", json_string(a));
			json_array_append_new(certs, e);
		}
		json_object_set_new(o, "certificates", certs);
		return tool_json_emit(o);
	}
	printf("issued token %s (serial %s), %s card, certificates until %s%s%s\n", r->uuid, r->serial,
	       tool_kind_name(r->kind), na, r->access_end ? ", access until " : "", r->access_end ? end : "");
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_OTHER;
}

/* The token side, once the rules and the issuer have said yes. */
static int make_token(tool_ctx *ctx, const issue_args *a, cid_card_kind kind, int64_t until,
                      const tool_issuer *iss, const tool_secret *so, const tool_secret *pin)
{
	CK_UTF8CHAR label[32];
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	tool_issued certs[2] = { 0 };
	cid_lifecycle r = { 0 };
	const char *by = getenv("USER");
	time_t now = time(NULL);
	int rc;

	memset(label, ' ', sizeof(label));
	memcpy(label, a->uuid, strlen(a->uuid));
	snprintf(ctx->label, sizeof(ctx->label), "%s", a->uuid);
	rc = tool_ck(ctx, "C_InitToken", ctx->f->C_InitToken(ctx->slot, (CK_UTF8CHAR *)so->buf, so->len, label));
	if (rc == 0)
		rc = tool_ck(ctx, "reading the token", ctx->f->C_GetTokenInfo(ctx->slot, &ti));
	/* The record goes first, while the sponsor is logged in: with an
	 * issuer configured the holder's login needs it.  The certificates
	 * end exactly where the issuing library will end them. */
	if (rc == 0) {
		char serial[17];
		cid_verdict v;

		tool_trim(serial, ti.serialNumber, 16);
		v = cid_lifecycle_issue(&r, kind, a->uuid, serial, by ? by : "", (int64_t)now,
		                        (int64_t)tool_issuer_add_years(now, CID_POLICY_CERT_VALIDITY_YEARS), a->hours,
		                        until);
		if (v.rv != CKR_OK) {
			tool_error("the lifecycle record was refused: %s", v.why);
			rc = EXIT_OTHER;
		}
	}
	if (rc == 0)
		rc = tool_ck(ctx, "C_OpenSession",
		        ctx->f->C_OpenSession(ctx->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	if (rc == 0)
		rc = tool_ck(ctx, "the SO login", ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)so->buf, so->len));
	if (rc == 0)
		rc = tool_ck(ctx, "setting the holder's passcode", ctx->f->C_InitPIN(s, (CK_UTF8CHAR *)pin->buf, pin->len));
	if (rc == 0)
		rc = tool_write_record(ctx, s, iss, &r);
	if (rc == 0)
		rc = tool_ck(ctx, "C_Logout", ctx->f->C_Logout(s));
	if (rc == 0)
		rc = tool_ck(ctx, "the holder's login", ctx->f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin->buf, pin->len));
	if (rc == 0)
		rc = tool_new_pair(ctx, s, iss, a->uuid, 0x01, 0x02, now, certs);
	if (rc == 0 && (int64_t)certs[0].not_after != r.certs_end) {
		tool_error("the certificates end at another time than the record says");
		rc = EXIT_OTHER;
	}
	if (rc == 0)
		(void)ctx->f->C_Logout(s);
	if (s != CK_INVALID_HANDLE)
		ctx->f->C_CloseSession(s);
	if (rc == 0)
		rc = report(ctx, &r, certs);
	else
		tool_error("the token in slot %lu is left initialised but incomplete: issue it again (C_InitToken "
		           "with the same SO passcode starts over)", (unsigned long)ctx->slot);
	tool_issued_free(&certs[0]);
	tool_issued_free(&certs[1]);
	return rc;
}

/* A card in a reader (--token): the card's management key and PUK from
 * card_admin_file; the keys are generated over 9A and 9C, which replaces
 * whatever the card held. */
static int make_card(tool_ctx *ctx, const issue_args *a, cid_card_kind kind, int64_t until, const tool_issuer *iss,
                     const tool_secret *pin)
{
	tool_card_secrets sec;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	tool_issued certs[2] = { 0 };
	cid_lifecycle r = { 0 };
	cid_verdict v;
	const char *by = getenv("USER");
	char reason[256];
	time_t now = time(NULL);
	int rc;

	if (strcmp(tool_backend(ctx), "card") != 0) {
		tool_usage_error("issue", "--token names a soft token: soft tokens are issued in the free slot");
		return EXIT_USAGE;
	}
	if (tool_card_admin(ctx->serial, &sec, reason, sizeof(reason)) != 0) {
		tool_error("%s", reason);
		return EXIT_OTHER;
	}
	v = cid_lifecycle_issue(&r, kind, a->uuid, ctx->serial, by ? by : "", (int64_t)now,
	                        (int64_t)tool_issuer_add_years(now, CID_POLICY_CERT_VALIDITY_YEARS), a->hours, until);
	rc = v.rv == CKR_OK ? EXIT_DONE : EXIT_OTHER;
	if (rc == 0)
		rc = tool_ck(ctx, "C_OpenSession",
		             ctx->f->C_OpenSession(ctx->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	if (rc == 0)
		rc = tool_ck(ctx, "the management key",
		             ctx->f->C_Login(s, CKU_CAREID_CARD_ADMIN, sec.mgmt, (CK_ULONG)sec.mgmt_len));
	if (rc == 0)
		rc = tool_ck(ctx, "the PUK", ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)sec.puk, strlen(sec.puk)));
	if (rc == 0)
		rc = tool_ck(ctx, "setting the holder's PIN", ctx->f->C_InitPIN(s, (CK_UTF8CHAR *)pin->buf, pin->len));
	if (rc == 0)
		rc = tool_write_record(ctx, s, iss, &r);
	if (rc == 0)
		rc = tool_ck(ctx, "C_Logout", ctx->f->C_Logout(s));
	if (rc == 0)
		rc = tool_ck(ctx, "the holder's login", ctx->f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin->buf, pin->len));
	if (rc == 0)
		rc = tool_ck(ctx, "the management key",
		             ctx->f->C_Login(s, CKU_CAREID_CARD_ADMIN, sec.mgmt, (CK_ULONG)sec.mgmt_len));
	tool_card_secrets_wipe(&sec);
	if (rc == 0)
		rc = tool_new_pair(ctx, s, iss, a->uuid, 0x01, 0x02, now, certs);
	if (s != CK_INVALID_HANDLE) {
		(void)ctx->f->C_Logout(s);
		ctx->f->C_CloseSession(s);
	}
	if (rc == 0)
		rc = report(ctx, &r, certs);
	tool_issued_free(&certs[0]);
	tool_issued_free(&certs[1]);
	return rc;
}

int cmd_issue(tool_ctx *ctx, int argc, char **argv)
{
	issue_args a;
	cid_card_kind kind;
	int64_t until = 0, now = (int64_t)time(NULL);
	tool_issuer *iss = NULL;
	tool_issuer_why why;
	tool_issuer_status st;
	tool_secret so, pin;
	int rc = parse(ctx, argc, argv, &a);

	if (rc != 0)
		return rc < 0 ? EXIT_DONE : rc;
	if (!kind_of(a.kind, &kind)) {
		tool_usage_error("issue", "--kind is standard, temporary or contractor");
		return EXIT_USAGE;
	}
	if (a.until && (until = parse_date(a.until)) < 0) {
		tool_usage_error("issue", "--until takes a date, YYYY-MM-DD");
		return EXIT_USAGE;
	}
	if ((rc = check_rules(&a, kind, until, now)) != 0)
		return rc;
	if ((st = tool_issuer_load_config(&iss, &why)) != TOOL_ISSUER_OK) {
		tool_error("%s", why.text);
		return tool_issuer_exit(st);
	}
	if ((rc = tool_load(ctx)) != 0 ||
	    (rc = ctx->token != NULL ? tool_pick_token(ctx) : find_free_slot(ctx)) != 0) {
		tool_issuer_free(iss);
		return rc;
	}
	memset(&pin, 0, sizeof(pin));
	memset(&so, 0, sizeof(so));
	/* A card's PUK comes from card_admin_file; a soft token's SO passcode
	 * is the sponsor's to type. */
	if (ctx->token == NULL)
		rc = tool_secret_read(&so, a.so_file, "SO passcode for the new token: ", "--so-passcode-file");
	if (rc == 0)
		rc = tool_secret_new(&pin, a.new_file, "passcode for the holder", "--new-passcode-file");
	if (rc == 0)
		rc = ctx->token != NULL ? make_card(ctx, &a, kind, until, iss, &pin)
		                        : make_token(ctx, &a, kind, until, iss, &so, &pin);
	tool_secret_wipe(&so);
	tool_secret_wipe(&pin);
	tool_issuer_free(iss);
	return rc;
}
