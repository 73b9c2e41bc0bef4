/* careid-tool: a PKCS#11 client of careid-pkcs11.so; it reaches tokens only
 * through the module's function list, never the module's internals. */
#ifndef CAREID_TOOL_H
#define CAREID_TOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "pkcs11.h"
#include "policy/lifecycle.h"

/* Exit status, fixed by the command line's contract (docs/careid-tool.md). */
enum {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1, /* a Care Identity rule refused it */
	EXIT_USAGE = 2,
	EXIT_AUTH = 3, /* wrong or expired passcode, locked */
	EXIT_OTHER = 4,
};

/* The global options, and the module and token they choose. */
typedef struct {
	const char *module_path;
	const char *token;     /* LABEL or pkcs11: URI; NULL: the only token */
	bool json;
	void *dl;
	CK_FUNCTION_LIST *f;
	bool initialised;
	CK_SLOT_ID slot;
	CK_SLOT_INFO slot_info;
	CK_TOKEN_INFO token_info;
	char label[33];        /* token label, blanks trimmed */
	char serial[17];
} tool_ctx;

/* A command: its name, one-line summary and its entry point, which gets
 * its own argv (argv[0] is the command name). */
typedef struct {
	const char *name;
	const char *summary;
	int (*run)(tool_ctx *ctx, int argc, char **argv);
} tool_command;

/* module.c */
int tool_load(tool_ctx *ctx);
void tool_unload(tool_ctx *ctx);
int tool_pick_token(tool_ctx *ctx);
const char *tool_rv_name(CK_RV rv);
void tool_trim(char *dst, const CK_UTF8CHAR *src, size_t n);
const char *tool_backend(const tool_ctx *ctx);
int tool_tries_left(CK_FLAGS flags, bool so);

/* secret.c: passcodes never come from the command line. */
typedef struct {
	char buf[64];
	size_t len;
} tool_secret;
int tool_secret_read(tool_secret *s, const char *file, const char *prompt, const char *opt);
int tool_secret_new(tool_secret *s, const char *file, const char *what, const char *opt);
void tool_secret_wipe(tool_secret *s);

/* The options every command takes as well as the tool (handled by
 * tool_common_option), for a command's getopt_long table. */
#define TOOL_COMMON_OPTIONS                                                           \
	{ "module", required_argument, NULL, 'M' }, { "token", required_argument, NULL, 'T' }, \
	{ "json", no_argument, NULL, 'J' }, { "help", no_argument, NULL, 'h' }

/* Shared option handling of the commands: the global options may also
 * follow the command. */
int tool_common_option(tool_ctx *ctx, int c, const char *arg);
void tool_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Commands (one file per group). */
int cmd_status(tool_ctx *ctx, int argc, char **argv);
int cmd_change_passcode(tool_ctx *ctx, int argc, char **argv);
int cmd_unblock(tool_ctx *ctx, int argc, char **argv);
int cmd_audit(tool_ctx *ctx, int argc, char **argv);
int cmd_unlock_code(tool_ctx *ctx, int argc, char **argv);
/* duplicates.c: audit duplicates (P13). */
int tool_audit_duplicates(tool_ctx *ctx, int ndirs, char **dirs);
int cmd_unlock(tool_ctx *ctx, int argc, char **argv);
int cmd_issuer(tool_ctx *ctx, int argc, char **argv);
int cmd_issue(tool_ctx *ctx, int argc, char **argv);
int cmd_renew(tool_ctx *ctx, int argc, char **argv);
int cmd_repair(tool_ctx *ctx, int argc, char **argv);
int cmd_cancel(tool_ctx *ctx, int argc, char **argv);

/* tokendir.c: where the module keeps soft-token files, and where the host
 * keeps card audit trails (NULL: out of memory or a bad configuration). */
char *tool_token_dir(void);
char *tool_card_audit_dir(void);

/* time text */
void tool_iso8601(long long t, char out[32]);

/* record.c: the token's lifecycle record, when it has one (*found). */
int tool_read_record(tool_ctx *ctx, cid_lifecycle *r, bool *found);
const char *tool_kind_name(cid_card_kind k);

#endif
