/* change-passcode (the holder, P5) and unblock (the sponsor, P3). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tool/tool.h"

/* The rule a passcode being set broke, worded for the person at the desk. */
static const char *set_rule(const tool_secret *old, const tool_secret *new_)
{
	bool digits = new_->len >= 6 && new_->len <= 8;

	for (size_t i = 0; digits && i < new_->len; i++)
		digits = new_->buf[i] >= '0' && new_->buf[i] <= '9';
	if (!digits)
		return "P1: a passcode is 6 to 8 digits; allowed with one that is";
	if (old != NULL && old->len == new_->len && memcmp(old->buf, new_->buf, new_->len) == 0)
		return "P5: the new passcode must differ from the current one; allowed with a different one";
	return "P1/P5: the token refused the new passcode's format";
}

static void tries_note(tool_ctx *ctx, bool so)
{
	CK_TOKEN_INFO ti;

	if (ctx->f->C_GetTokenInfo(ctx->slot, &ti) == CKR_OK)
		fprintf(stderr, "careid-tool: %d tries left (from the token flags)\n", tool_tries_left(ti.flags, so));
}

/* Maps the result of a passcode call to the exit status, with the reason. */
static int passcode_result(tool_ctx *ctx, CK_RV rv, bool so, const tool_secret *old, const tool_secret *new_)
{
	switch (rv) {
	case CKR_OK:
		return EXIT_DONE;
	case CKR_PIN_INCORRECT:
		tool_error("wrong %s passcode", so ? "SO" : "current");
		tries_note(ctx, so);
		return EXIT_AUTH;
	case CKR_PIN_LOCKED:
		tool_error("the %s passcode is locked (P2)%s", so ? "SO" : "holder's",
		           so ? "" : ": the sponsor unblocks it with 'careid-tool unblock' (P3)");
		return EXIT_AUTH;
	case CKR_PIN_EXPIRED:
		tool_error("the passcode has expired");
		return EXIT_AUTH;
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		tool_error("new passcode refused: %s", set_rule(old, new_));
		return EXIT_REFUSED;
	default:
		tool_error("token %s: %s", ctx->label, tool_rv_name(rv));
		return EXIT_OTHER;
	}
}

enum { OPT_PASS = 0x100, OPT_NEW, OPT_SO };

static int parse(tool_ctx *ctx, const char *cmd, int argc, char **argv, const char **pass,
                 const char **newpass, const char **so, void (*help)(void))
{
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "passcode-file", required_argument, NULL, OPT_PASS },
		{ "new-passcode-file", required_argument, NULL, OPT_NEW },
		{ "so-passcode-file", required_argument, NULL, OPT_SO },
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
		if (c == OPT_PASS && pass != NULL) {
			*pass = optarg;
		} else if (c == OPT_NEW) {
			*newpass = optarg;
		} else if (c == OPT_SO && so != NULL) {
			*so = optarg;
		} else {
			tool_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		tool_usage_error(cmd, "unexpected argument '%s' (passcodes are read from files or the terminal)",
		                 argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
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

static void change_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] change-passcode [--passcode-file F] [--new-passcode-file F]\n"
	       "Change the holder's passcode (P5).  The current passcode is read from the\n"
	       "first line of --passcode-file, or asked without echo; the new one from\n"
	       "--new-passcode-file, or asked twice.  The new passcode is 6 to 8 digits (P1)\n"
	       "and differs from the current one (P5).  A wrong current passcode costs a try.\n");
}

int cmd_change_passcode(tool_ctx *ctx, int argc, char **argv)
{
	const char *pass = NULL, *newpass = NULL;
	tool_secret old, new_;
	CK_SESSION_HANDLE s;
	int rc;

	rc = parse(ctx, "change-passcode", argc, argv, &pass, &newpass, NULL, change_help);
	if (rc != 0)
		return rc < 0 ? EXIT_DONE : rc;
	if ((rc = tool_load(ctx)) != 0 || (rc = tool_pick_token(ctx)) != 0)
		return rc;
	memset(&new_, 0, sizeof(new_));
	rc = tool_secret_read(&old, pass, "Current passcode: ", "--passcode-file");
	if (rc == 0)
		rc = tool_secret_new(&new_, newpass, "passcode", "--new-passcode-file");
	if (rc == 0)
		rc = open_rw(ctx, &s);
	if (rc == 0) {
		CK_RV rv = ctx->f->C_SetPIN(s, (CK_UTF8CHAR *)old.buf, old.len, (CK_UTF8CHAR *)new_.buf, new_.len);

		rc = passcode_result(ctx, rv, false, &old, &new_);
		ctx->f->C_CloseSession(s);
		if (rc == 0 && !ctx->json)
			printf("passcode of token %s changed\n", ctx->label);
		else if (rc == 0)
			printf("{\"changed\": true}\n");
	}
	tool_secret_wipe(&old);
	tool_secret_wipe(&new_);
	return rc;
}

static void unblock_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] unblock [--so-passcode-file F] [--new-passcode-file F]\n"
	       "Sponsor: log in with the SO passcode (a soft token's SO passcode; a card's\n"
	       "PUK) and set a new passcode for the holder, which unblocks a locked token\n"
	       "(P3).  Both are read from the files' first lines, or asked without echo.\n");
}

int cmd_unblock(tool_ctx *ctx, int argc, char **argv)
{
	const char *so = NULL, *newpass = NULL;
	tool_secret sop, new_;
	CK_SESSION_HANDLE s;
	int rc;

	rc = parse(ctx, "unblock", argc, argv, NULL, &newpass, &so, unblock_help);
	if (rc != 0)
		return rc < 0 ? EXIT_DONE : rc;
	if ((rc = tool_load(ctx)) != 0 || (rc = tool_pick_token(ctx)) != 0)
		return rc;
	memset(&new_, 0, sizeof(new_));
	rc = tool_secret_read(&sop, so, "SO passcode: ", "--so-passcode-file");
	if (rc == 0)
		rc = tool_secret_new(&new_, newpass, "passcode for the holder", "--new-passcode-file");
	if (rc == 0)
		rc = open_rw(ctx, &s);
	if (rc == 0) {
		CK_RV rv = ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)sop.buf, sop.len);

		rc = passcode_result(ctx, rv, true, NULL, &new_);
		if (rc == 0) {
			rv = ctx->f->C_InitPIN(s, (CK_UTF8CHAR *)new_.buf, new_.len);
			rc = passcode_result(ctx, rv, false, NULL, &new_);
			ctx->f->C_Logout(s);
		}
		ctx->f->C_CloseSession(s);
		if (rc == 0 && !ctx->json)
			printf("token %s unblocked: the holder's new passcode is set\n", ctx->label);
		else if (rc == 0)
			printf("{\"unblocked\": true}\n");
	}
	tool_secret_wipe(&sop);
	tool_secret_wipe(&new_);
	return rc;
}
