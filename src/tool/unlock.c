/* unlock-code issue (the sponsor) and unlock (the holder): P4, through the
 * module's vendor interface (careid.h).  The code is 16 base32 characters
 * (80 random bits) shown in groups of four; it works once, for 15
 * minutes, and only to set a new passcode. */
#include <ctype.h>
#include <dlfcn.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "careid/careid.h"
#include "tool/json.h"
#include "tool/tool.h"

#define CODE_CHARS 16

static CK_CAREID_FUNCTION_LIST *vendor(tool_ctx *ctx)
{
	CK_C_GetInterface get = (CK_C_GetInterface)dlsym(ctx->dl, "C_GetInterface");
	CK_INTERFACE *i = NULL;

	if (get == NULL || get((CK_UTF8CHAR_PTR)CAREID_INTERFACE_NAME, NULL, &i, 0) != CKR_OK || i == NULL) {
		tool_error("the module offers no unlock codes (no \"%s\" interface)", CAREID_INTERFACE_NAME);
		return NULL;
	}
	return i->pFunctionList;
}

static int result(tool_ctx *ctx, CK_RV rv, bool issuing)
{
	switch (rv) {
	case CKR_OK:
		return EXIT_DONE;
	case CKR_PIN_INCORRECT:
		tool_error(issuing ? "wrong SO passcode" : "wrong unlock code (the code has 3 tries)");
		return EXIT_AUTH;
	case CKR_PIN_LOCKED:
		tool_error(issuing ? "the SO passcode is locked"
		                   : "the unlock code's last try is used: the sponsor issues a new one (P4)");
		return EXIT_AUTH;
	case CKR_PIN_EXPIRED:
		tool_error("P4: no valid unlock code: it has expired (15 minutes), was used, or none was issued; "
		           "allowed with a new code from the sponsor");
		return EXIT_AUTH;
	case CKR_FUNCTION_REJECTED:
		tool_error("P4: refused for token %s: it is cancelled or past its access end, or its certificates "
		           "have ended (that needs repair in person, P9)", ctx->label);
		return EXIT_REFUSED;
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		tool_error("P1: a passcode is 6 to 8 digits; allowed with one that is");
		return EXIT_REFUSED;
	case CKR_FUNCTION_NOT_SUPPORTED:
		tool_error("token %s takes no unlock codes (a card needs the RA service, docs/lifecycle.md)", ctx->label);
		return EXIT_OTHER;
	default:
		tool_error("token %s: %s", ctx->label, tool_rv_name(rv));
		return EXIT_OTHER;
	}
}

static int parse(tool_ctx *ctx, const char *cmd, int argc, char **argv, const char **a, const char *a_name,
                 const char **b, const char *b_name, void (*help)(void))
{
	const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ a_name, required_argument, NULL, 0x100 },
		{ b_name ? b_name : a_name, required_argument, NULL, 0x101 },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (tool_common_option(ctx, c, optarg))
			continue;
		if (c == 'h') {
			help();
			return -1;
		}
		if (c == 0x100)
			*a = optarg;
		else if (c == 0x101 && b != NULL)
			*b = optarg;
		else {
			tool_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		tool_usage_error(cmd, "unexpected argument '%s' (codes and passcodes are read from files)", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

static void issue_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] unlock-code issue [--so-passcode-file F]\n"
	       "Sponsor: issue a one-time unlock code for the token (P4).  With the SO\n"
	       "passcode (first line of the file, or asked without echo), the token\n"
	       "takes a new random code that, for 15 minutes, lets its holder set a new\n"
	       "passcode once ('careid-tool unlock').  Prints the code and when it\n"
	       "expires; with --json {\"code\", \"expires\"}.  Give the code to the holder\n"
	       "only.  Refused (exit 1) when the token is cancelled, past its access end\n"
	       "or its certificates have ended.\n");
}

static void unlock_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] unlock [--code-file F] [--new-passcode-file F]\n"
	       "Holder: set a new passcode with the sponsor's unlock code (P4), which\n"
	       "unblocks the token.  The code (dashes and spaces ignored) and the new\n"
	       "passcode (6 to 8 digits) are read from the files' first lines, or asked\n"
	       "without echo.  A wrong code costs one of its 3 tries (exit 3).\n");
}

static int open_rw(tool_ctx *ctx, CK_SESSION_HANDLE *s)
{
	CK_RV rv = ctx->f->C_OpenSession(ctx->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s);

	if (rv != CKR_OK) {
		tool_error("cannot open a session on token %s: %s", ctx->label, tool_rv_name(rv));
		return EXIT_OTHER;
	}
	return EXIT_DONE;
}

static int new_code(char code[CODE_CHARS + 1])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char rnd[CODE_CHARS];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		tool_error("no random numbers for the code");
		return EXIT_OTHER;
	}
	for (size_t i = 0; i < CODE_CHARS; i++)
		code[i] = b32[rnd[i] & 31];
	code[CODE_CHARS] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return EXIT_DONE;
}

static int issue(tool_ctx *ctx, int argc, char **argv)
{
	const char *so = NULL;
	CK_CAREID_FUNCTION_LIST *v;
	tool_secret sop;
	CK_SESSION_HANDLE s;
	char code[CODE_CHARS + 1], shown[32], when[32];
	int rc;

	rc = parse(ctx, "unlock-code issue", argc, argv, &so, "so-passcode-file", NULL, NULL, issue_help);
	if (rc != 0)
		return rc < 0 ? EXIT_DONE : rc;
	if ((rc = tool_load(ctx)) != 0 || (rc = tool_pick_token(ctx)) != 0)
		return rc;
	if ((v = vendor(ctx)) == NULL)
		return EXIT_OTHER;
	if ((rc = new_code(code)) != 0)
		return rc;
	rc = tool_secret_read(&sop, so, "SO passcode: ", "--so-passcode-file");
	if (rc == 0)
		rc = open_rw(ctx, &s);
	if (rc == 0) {
		CK_RV rv = ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)sop.buf, sop.len);

		rc = result(ctx, rv, true);
		if (rc == 0) {
			rc = result(ctx, v->C_CareidIssueUnlockCode(s, (CK_UTF8CHAR *)code, CODE_CHARS), true);
			ctx->f->C_Logout(s);
		}
		ctx->f->C_CloseSession(s);
	}
	tool_secret_wipe(&sop);
	if (rc == 0) {
		/* The module dated it by the same clock. */
		tool_iso8601((long long)time(NULL) + CID_POLICY_UNLOCK_CODE_SECONDS, when);
		snprintf(shown, sizeof(shown), "%.4s-%.4s-%.4s-%.4s", code, code + 4, code + 8, code + 12);
		if (ctx->json) {
			json_t *o = json_object();

			json_object_set_new(o, "code", json_string(shown));
			json_object_set_new(o, "expires", json_string(when));
			rc = tool_json_emit(o);
		} else {
			printf("unlock code for token %s: %s (once, until %s)\n", ctx->label, shown, when);
		}
		OPENSSL_cleanse(shown, sizeof(shown));
	}
	OPENSSL_cleanse(code, sizeof(code));
	return rc;
}

int cmd_unlock_code(tool_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "issue") == 0)
		return issue(ctx, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		issue_help();
		return EXIT_DONE;
	}
	tool_usage_error("unlock-code", "expected 'issue'");
	return EXIT_USAGE;
}

/* Keeps the code's letters and digits, upper-cased: "abcd-efgh ..." as
 * typed from a note. */
static void normalise(tool_secret *c)
{
	size_t k = 0;

	for (size_t i = 0; i < c->len; i++)
		if (isalnum((unsigned char)c->buf[i]))
			c->buf[k++] = (char)toupper((unsigned char)c->buf[i]);
	memset(c->buf + k, 0, c->len - k);
	c->len = k;
}

int cmd_unlock(tool_ctx *ctx, int argc, char **argv)
{
	const char *codefile = NULL, *newpass = NULL;
	CK_CAREID_FUNCTION_LIST *v;
	tool_secret code, new_;
	CK_SESSION_HANDLE s;
	int rc;

	rc = parse(ctx, "unlock", argc, argv, &codefile, "code-file", &newpass, "new-passcode-file", unlock_help);
	if (rc != 0)
		return rc < 0 ? EXIT_DONE : rc;
	if ((rc = tool_load(ctx)) != 0 || (rc = tool_pick_token(ctx)) != 0)
		return rc;
	if ((v = vendor(ctx)) == NULL)
		return EXIT_OTHER;
	memset(&new_, 0, sizeof(new_));
	rc = tool_secret_read(&code, codefile, "Unlock code: ", "--code-file");
	if (rc == 0) {
		normalise(&code);
		rc = tool_secret_new(&new_, newpass, "passcode", "--new-passcode-file");
	}
	if (rc == 0)
		rc = open_rw(ctx, &s);
	if (rc == 0) {
		rc = result(ctx, v->C_CareidUnlock(s, (CK_UTF8CHAR *)code.buf, code.len, (CK_UTF8CHAR *)new_.buf, new_.len),
		            false);
		ctx->f->C_CloseSession(s);
		if (rc == 0 && ctx->json)
			printf("{\"unlocked\": true}\n");
		else if (rc == 0)
			printf("token %s unlocked: the new passcode is set\n", ctx->label);
	}
	tool_secret_wipe(&code);
	tool_secret_wipe(&new_);
	return rc;
}
