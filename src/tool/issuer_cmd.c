/* issuer init: a demo issuer for the registration authority. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "tool/issuer.h"
#include "tool/json.h"
#include "tool/tool.h"

static void issuer_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] issuer init --dir DIR --org NAME [--years N]\n"
	       "Make a demo issuer, the registration authority's certificate authority:\n"
	       "DIR (made 0700 when missing) gets issuer.key, a new P-256 key (0600), and\n"
	       "issuer.pem, its self-signed CA certificate (O=NAME, OU=registration\n"
	       "authority, CN=NAME Care Identity issuer), valid N years (default %d,\n"
	       "%d to %d).  An existing issuer is never overwritten (exit 4).  The three\n"
	       "configuration lines to add to the file named by CAREID_CONF are printed:\n"
	       "issuer_cert, issuer_key and issuer_org (with --json, an object of them).\n"
	       "\n"
	       "Options:\n"
	       "  --dir DIR     the directory of the issuer's files\n"
	       "  --org NAME    the organisation: the O of the issuer and of every card\n"
	       "                certificate, 1 to %d bytes\n"
	       "  --years N     the issuer's validity in calendar years (default %d)\n",
	       TOOL_ISSUER_DEFAULT_YEARS, TOOL_ISSUER_MIN_YEARS, TOOL_ISSUER_MAX_YEARS, CID_ISSUER_ORG_MAX,
	       TOOL_ISSUER_DEFAULT_YEARS);
}

/* The exit status for an issuer status (docs/careid-tool.md). */
int tool_issuer_exit(tool_issuer_status st)
{
	switch (st) {
	case TOOL_ISSUER_OK:
		return EXIT_DONE;
	case TOOL_ISSUER_BAD_UUID:
	case TOOL_ISSUER_PAST_ISSUER:
		return EXIT_REFUSED;
	case TOOL_ISSUER_BAD_ARGUMENT:
		return EXIT_USAGE;
	default:
		return EXIT_OTHER;
	}
}

enum { OPT_DIR = 0x100, OPT_ORG, OPT_YEARS };

static int init(tool_ctx *ctx, const char *dir, const char *org, int years)
{
	tool_issuer_why why;
	tool_issuer_status st;
	char *cert, *key;
	int rc = EXIT_DONE;

	st = tool_issuer_init(dir, org, years, time(NULL), &cert, &key, &why);
	if (st != TOOL_ISSUER_OK) {
		tool_error("issuer init: %s", why.text);
		return tool_issuer_exit(st);
	}
	if (ctx->json) {
		json_t *o = json_object();

		if (o != NULL && (json_object_set_new(o, "issuer_cert", json_string(cert)) != 0 ||
		                  json_object_set_new(o, "issuer_key", json_string(key)) != 0 ||
		                  json_object_set_new(o, "issuer_org", json_string(org)) != 0)) {
			json_decref(o);
			o = NULL;
		}
		rc = tool_json_emit(o);
	} else {
		printf("issuer_cert = %s\nissuer_key = %s\nissuer_org = %s\n", cert, key, org);
		if (fflush(stdout) != 0) {
			tool_error("cannot write the configuration lines");
			rc = EXIT_OTHER;
		}
	}
	free(cert);
	free(key);
	return rc;
}

int cmd_issuer(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "org", required_argument, NULL, OPT_ORG },
		{ "years", required_argument, NULL, OPT_YEARS },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *org = NULL;
	int years = TOOL_ISSUER_DEFAULT_YEARS;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (tool_common_option(ctx, c, optarg))
			continue;
		if (c == 'h') {
			issuer_help();
			return EXIT_DONE;
		} else if (c == OPT_DIR) {
			dir = optarg;
		} else if (c == OPT_ORG) {
			org = optarg;
		} else if (c == OPT_YEARS) {
			char *end;
			long n;

			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || n < TOOL_ISSUER_MIN_YEARS ||
			    n > TOOL_ISSUER_MAX_YEARS) {
				tool_usage_error("issuer", "--years must be a whole number from %d to %d",
				                 TOOL_ISSUER_MIN_YEARS, TOOL_ISSUER_MAX_YEARS);
				return EXIT_USAGE;
			}
			years = (int)n;
		} else {
			tool_usage_error("issuer", "unknown or incomplete option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		tool_usage_error("issuer", optind >= argc ? "issuer needs a command: init" : "unexpected argument '%s'",
		                 argv[argc - 1]);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "init") != 0) {
		tool_usage_error("issuer", "unknown issuer command '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (dir == NULL || org == NULL) {
		tool_usage_error("issuer", "issuer init needs --dir and --org");
		return EXIT_USAGE;
	}
	return init(ctx, dir, org, years);
}
