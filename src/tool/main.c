/* careid-tool: the Care Identity administration tool's command line. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/tool.h"

static const tool_command commands[] = {
	{ "status", "show the token: holder, backend, state, tries left, certificates", cmd_status },
	{ "change-passcode", "change the holder's passcode (P5)", cmd_change_passcode },
	{ "unblock", "sponsor: set a new passcode with the SO passcode, unblocking the token (P3)", cmd_unblock },
	{ "issue", "sponsor, in person: issue a soft token with two certificates and its record (P6, P11-P13)",
	  cmd_issue },
	{ "renew", "renew the two certificates: the holder in the window (P7, P8), or --in-person", cmd_renew },
	{ "repair", "sponsor, in person: new keys, certificates and passcode (P9)", cmd_repair },
	{ "cancel", "sponsor: cancel a lost or stolen token for good (P10)", cmd_cancel },
	{ "unlock-code", "sponsor: issue a one-time unlock code for the holder (P4)", cmd_unlock_code },
	{ "unlock", "holder: set a new passcode with the sponsor's unlock code (P4)", cmd_unlock },
	{ "audit", "show, verify or export a soft token's audit trail (P14)", cmd_audit },
	{ "issuer", "init: make a demo issuer, the CA of the card certificates (P6, P13)", cmd_issuer },
};

void tool_error(const char *fmt, ...)
{
	va_list ap;

	fputs("careid-tool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void tool_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("careid-tool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'careid-tool %s%s--help'.\n", cmd != NULL ? cmd : "", cmd != NULL ? " " : "");
}

int tool_common_option(tool_ctx *ctx, int c, const char *arg)
{
	switch (c) {
	case 'M':
		ctx->module_path = arg;
		return 1;
	case 'T':
		ctx->token = arg;
		return 1;
	case 'J':
		ctx->json = true;
		return 1;
	default:
		return 0;
	}
}

static void usage(void)
{
	printf("Usage: careid-tool [--module PATH] [--token LABEL|pkcs11:URI] [--json] COMMAND [OPTIONS]\n"
	       "Administer Care Identity tokens (soft tokens and cards) through the careid\n"
	       "PKCS#11 module.\n"
	       "\n"
	       "Options:\n"
	       "  --module PATH      the PKCS#11 module to load (default: $CAREID_MODULE, then\n"
	       "                     %s)\n"
	       "  --token TOKEN      the token, by label (the holder's UUID) or pkcs11: URI;\n"
	       "                     default: the only initialised token present\n"
	       "  --json             print one JSON value on stdout\n"
	       "  -h, --help         show this help (COMMAND --help: that command's)\n"
	       "  -V, --version      show the version\n"
	       "\n"
	       "Commands:\n",
	       CAREID_DEFAULT_MODULE);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-16s %s\n", commands[i].name, commands[i].summary);
	printf("\n"
	       "Passcodes are never taken from the command line: they are asked without\n"
	       "echo on the terminal, or read from the first line of --passcode-file,\n"
	       "--new-passcode-file or --so-passcode-file.\n"
	       "\n"
	       "Exit status:\n"
	       "  0  done\n"
	       "  1  refused by a Care Identity rule (the message names the rule)\n"
	       "  2  usage error (including no token, or several, to choose from)\n"
	       "  3  authentication failed (wrong or expired passcode, locked)\n"
	       "  4  anything else\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "module", required_argument, NULL, 'M' },
		{ "token", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	tool_ctx ctx;
	int c, rc;

	memset(&ctx, 0, sizeof(ctx));
	opterr = 0;
	/* "+": the global options end at the command's name. */
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		if (tool_common_option(&ctx, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage();
			return EXIT_DONE;
		case 'V':
			printf("careid-tool %s\n", CAREID_VERSION);
			return EXIT_DONE;
		default:
			tool_usage_error(NULL, "unknown or incomplete option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		tool_usage_error(NULL, "no command given");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		int sub_argc = argc - optind;
		char **sub_argv = argv + optind;

		optind = 0; /* a fresh scan of the command's own options */
		rc = commands[i].run(&ctx, sub_argc, sub_argv);
		tool_unload(&ctx);
		return rc;
	}
	tool_usage_error(NULL, "unknown command '%s'", argv[optind]);
	return EXIT_USAGE;
}
