/* status: what the token says about itself through PKCS#11, without a
 * passcode (public objects only). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "tool/json.h"
#include "tool/tool.h"

typedef struct {
	char id[2 * 64 + 1];
	char *subject;
	long long not_before, not_after;
	long long days_left;
	bool parsed;
} cert_info;

void tool_iso8601(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "@%lld", t);
}

static bool asn1_time(const ASN1_TIME *a, long long *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return false;
	*out = (long long)timegm(&tm);
	return true;
}

static char *name_rfc2253(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s = NULL;
	long n;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(b, &data);
		if (n >= 0 && (s = malloc((size_t)n + 1)) != NULL) {
			memcpy(s, data, (size_t)n);
			s[n] = '\0';
		}
	}
	BIO_free(b);
	return s;
}

/* Reads one attribute into a new buffer; NULL when absent. */
static CK_BYTE *get_attr(tool_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
                         CK_ULONG *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_BYTE *buf;

	if (ctx->f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return NULL;
	buf = malloc(a.ulValueLen + 1);
	if (buf == NULL)
		return NULL;
	a.pValue = buf;
	if (ctx->f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK) {
		free(buf);
		return NULL;
	}
	*len = a.ulValueLen;
	return buf;
}

static void describe(tool_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, time_t now, cert_info *ci)
{
	CK_ULONG idlen = 0, vlen = 0, slen = 0;
	CK_BYTE *id = get_attr(ctx, s, o, CKA_ID, &idlen);
	CK_BYTE *value = get_attr(ctx, s, o, CKA_VALUE, &vlen);
	CK_BYTE *subj = get_attr(ctx, s, o, CKA_SUBJECT, &slen);
	X509 *x = NULL;

	memset(ci, 0, sizeof(*ci));
	for (CK_ULONG i = 0; id != NULL && i < idlen && i < 64; i++)
		snprintf(ci->id + 2 * i, 3, "%02x", id[i]);
	if (subj != NULL && slen > 0) {
		const unsigned char *p = subj;
		X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)slen);

		if (n != NULL)
			ci->subject = name_rfc2253(n);
		X509_NAME_free(n);
	}
	if (value != NULL) {
		const unsigned char *p = value;

		x = d2i_X509(NULL, &p, (long)vlen);
	}
	if (x != NULL) {
		if (ci->subject == NULL)
			ci->subject = name_rfc2253(X509_get_subject_name(x));
		ci->parsed = asn1_time(X509_get0_notBefore(x), &ci->not_before) &&
		             asn1_time(X509_get0_notAfter(x), &ci->not_after);
		if (ci->parsed) {
			long long d = ci->not_after - (long long)now;

			/* Whole days, rounded down: "0" on the last day. */
			ci->days_left = d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
		}
	}
	X509_free(x);
	free(id);
	free(value);
	free(subj);
}

static int list_certs(tool_ctx *ctx, cert_info **out, size_t *count)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE objs[64];
	CK_SESSION_HANDLE s;
	CK_ULONG n = 0;
	time_t now = time(NULL);
	CK_RV rv;

	*out = NULL;
	*count = 0;
	rv = ctx->f->C_OpenSession(ctx->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK) {
		tool_error("cannot open a session on token %s: %s", ctx->label, tool_rv_name(rv));
		return EXIT_OTHER;
	}
	rv = ctx->f->C_FindObjectsInit(s, tmpl, 1);
	if (rv == CKR_OK) {
		rv = ctx->f->C_FindObjects(s, objs, 64, &n);
		ctx->f->C_FindObjectsFinal(s);
	}
	if (rv != CKR_OK) {
		ctx->f->C_CloseSession(s);
		tool_error("cannot list the certificates of token %s: %s", ctx->label, tool_rv_name(rv));
		return EXIT_OTHER;
	}
	*out = calloc(n > 0 ? n : 1, sizeof(**out));
	if (*out == NULL) {
		ctx->f->C_CloseSession(s);
		tool_error("out of memory");
		return EXIT_OTHER;
	}
	for (CK_ULONG i = 0; i < n; i++)
		describe(ctx, s, objs[i], now, &(*out)[i]);
	*count = n;
	ctx->f->C_CloseSession(s);
	return EXIT_DONE;
}

static json_t *json_time(const cert_info *c, long long t)
{
	char buf[32];

	if (!c->parsed)
		return json_null();
	tool_iso8601(t, buf);
	return json_string(buf);
}

static void free_certs(cert_info *certs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(certs[i].subject);
	free(certs);
}

static json_t *json_iso(long long t)
{
	char buf[32];

	tool_iso8601(t, buf);
	return json_string(buf);
}

/* The first that applies: a cancelled token, an ended access, a blocked
 * passcode, ended certificates (by the record, or by every certificate
 * the token shows). */
static const char *state_of(const tool_ctx *ctx, const cid_lifecycle *r, const cert_info *certs, size_t n,
                            long long now)
{
	bool ended = r != NULL && r->certs_end != 0 && now >= r->certs_end;

	if (r != NULL && r->cancelled)
		return "cancelled";
	if (r != NULL && r->access_end != 0 && now >= r->access_end)
		return "access-ended";
	if (ctx->token_info.flags & CKF_USER_PIN_LOCKED)
		return "locked";
	if (r == NULL && n > 0) {
		ended = true;
		for (size_t i = 0; i < n; i++)
			ended = ended && certs[i].parsed && certs[i].not_after <= now;
	}
	return ended ? "expired" : "active";
}

static void status_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] status [--json]\n"
	       "Show the token: its UUID (the token label), backend (soft or card), state,\n"
	       "the tries left for the holder's and the sponsor's\n"
	       "passcodes (derived from the PKCS#11 token flags: 3, 2 when the count is\n"
	       "low, 1 on the final try, 0 when locked), and each certificate's id,\n"
	       "subject, validity and days left by the host's clock.  No passcode needed.\n"
	       "From the token's lifecycle record: its kind (standard, temporary,\n"
	       "contractor), access end, self-renewals used and allowed, and whether the\n"
	       "renewal window is open; null for a plain token without a record.  The\n"
	       "state is cancelled, access-ended, locked, expired or active, the first\n"
	       "that applies.\n");
}

int cmd_status(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	cert_info *certs = NULL;
	size_t ncerts = 0;
	const char *state;
	cid_lifecycle rec;
	bool has_rec = false;
	long long now = (long long)time(NULL);
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (tool_common_option(ctx, c, optarg))
			continue;
		if (c == 'h') {
			status_help();
			return EXIT_DONE;
		}
		tool_usage_error("status", "unknown or incomplete option '%s'", argv[optind - 1]);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		tool_usage_error("status", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if ((rc = tool_load(ctx)) != 0 || (rc = tool_pick_token(ctx)) != 0)
		return rc;
	if ((rc = list_certs(ctx, &certs, &ncerts)) != 0)
		return rc;
	if ((rc = tool_read_record(ctx, &rec, &has_rec)) != 0) {
		free_certs(certs, ncerts);
		return rc;
	}
	state = state_of(ctx, has_rec ? &rec : NULL, certs, ncerts, now);

	if (ctx->json) {
		json_t *o = json_object(), *list = json_array();

		json_object_set_new(o, "uuid", json_string(ctx->label));
		json_object_set_new(o, "backend", json_string(tool_backend(ctx)));
		/* null: a plain token without a lifecycle record. */
		json_object_set_new(o, "kind", has_rec ? json_string(tool_kind_name(rec.kind)) : json_null());
		json_object_set_new(o, "state", json_string(state));
		json_object_set_new(o, "user_tries_left", json_integer(tool_tries_left(ctx->token_info.flags, false)));
		json_object_set_new(o, "so_tries_left", json_integer(tool_tries_left(ctx->token_info.flags, true)));
		json_object_set_new(o, "access_end", has_rec && rec.access_end ? json_iso(rec.access_end) : json_null());
		json_object_set_new(o, "self_renewals_used", has_rec ? json_integer(rec.self_renewals) : json_null());
		json_object_set_new(o, "self_renewals_allowed",
		                    has_rec ? json_integer(CID_POLICY_MAX_SELF_RENEWALS) : json_null());
		json_object_set_new(o, "renewal_window_open",
		                    has_rec ? json_boolean(cid_lifecycle_window_open(&rec, now)) : json_null());
		for (size_t i = 0; i < ncerts; i++) {
			json_t *e = json_object();

			json_object_set_new(e, "id", json_string(certs[i].id));
			json_object_set_new(e, "subject", tool_json_str(certs[i].subject));
			json_object_set_new(e, "not_before", json_time(&certs[i], certs[i].not_before));
			json_object_set_new(e, "not_after", json_time(&certs[i], certs[i].not_after));
			json_object_set_new(e, "days_left",
			                    certs[i].parsed ? json_integer(certs[i].days_left) : json_null());
			json_array_append_new(list, e);
		}
		json_object_set_new(o, "certificates", list);
		rc = tool_json_emit(o);
	} else {
		printf("uuid:            %s\n", ctx->label);
		printf("backend:         %s\n", tool_backend(ctx));
		printf("state:           %s\n", state);
		printf("user tries left: %d (from the token flags)\n", tool_tries_left(ctx->token_info.flags, false));
		printf("SO tries left:   %d (from the token flags)\n", tool_tries_left(ctx->token_info.flags, true));
		if (has_rec) {
			char end[32];

			printf("kind:            %s\n", tool_kind_name(rec.kind));
			if (rec.access_end) {
				tool_iso8601(rec.access_end, end);
				printf("access ends:     %s\n", end);
			}
			printf("self-renewals:   %u of %d used\n", rec.self_renewals, CID_POLICY_MAX_SELF_RENEWALS);
			printf("renewal window:  %s\n", cid_lifecycle_window_open(&rec, now) ? "open" : "closed");
		} else {
			printf("lifecycle:       no record (a plain token)\n");
		}
		printf("certificates:    %zu\n", ncerts);
		for (size_t i = 0; i < ncerts; i++) {
			char nb[32], na[32];

			printf("  id %s: %s\n", certs[i].id, certs[i].subject != NULL ? certs[i].subject : "(no subject)");
			if (certs[i].parsed) {
				tool_iso8601(certs[i].not_before, nb);
				tool_iso8601(certs[i].not_after, na);
				printf("    valid %s to %s, %lld days left\n", nb, na, certs[i].days_left);
			} else {
				printf("    (the certificate could not be parsed)\n");
			}
		}
		rc = fflush(stdout) == 0 ? EXIT_DONE : EXIT_OTHER;
	}
	free_certs(certs, ncerts);
	return rc;
}
