#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "policy/policy.h"

/* Read without a lock: a torn read of an int is impossible on the
 * platforms we support and the worst case is one line more or less. */
static cid_log_level current = CID_LOG_WARN;
static FILE *sink;

static cid_log_level parse_level(const char *s, cid_log_level dflt)
{
	static const struct { const char *name; cid_log_level level; } names[] = {
		{ "none", CID_LOG_NONE }, { "error", CID_LOG_ERROR }, { "warn", CID_LOG_WARN },
		{ "info", CID_LOG_INFO }, { "debug", CID_LOG_DEBUG },
	};

	if (s == NULL || *s == '\0')
		return dflt;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].level;
	return dflt;
}

void cid_log_setup(void)
{
	const char *path = getenv("CAREID_LOG_FILE");

	current = parse_level(getenv("CAREID_LOG"), CID_LOG_WARN);
	if (sink != NULL && sink != stderr) {
		fclose(sink);
		sink = NULL;
	}
	if (path != NULL && *path != '\0') {
		sink = fopen(path, "ae");
		if (sink == NULL)
			fprintf(stderr, "careid: cannot open log file %s, logging to stderr\n", path);
	}
}

void cid_log_set_level(const char *name)
{
	/* The environment, when set, wins over the configuration file. */
	if (getenv("CAREID_LOG") == NULL)
		current = parse_level(name, current);
}

bool cid_log_enabled(cid_log_level level)
{
	return level != CID_LOG_NONE && level <= current;
}

void cid_log(cid_log_level level, const char *where, const char *fmt, ...)
{
	static const char *const tag[] = { "", "error", "warn", "info", "debug" };
	char line[1024];
	va_list ap;
	int n;

	if (!cid_log_enabled(level))
		return;
	/* The function name helps whoever reads a debug trace and nobody else. */
	if (current >= CID_LOG_DEBUG && where != NULL)
		n = snprintf(line, sizeof(line), "careid[%ld] %s: %s: ", (long)getpid(), tag[level], where);
	else
		n = snprintf(line, sizeof(line), "careid[%ld] %s: ", (long)getpid(), tag[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One fputs per line keeps lines whole when several threads log. */
	fprintf(sink != NULL ? sink : stderr, "%s\n", line);
	fflush(sink != NULL ? sink : stderr);
}

/* Copies n bytes of a label or serial into out (cap bytes with the NUL),
 * trailing blanks and NULs dropped, unprintable bytes and '"' as '?'. */
static void name_text(char *out, size_t cap, const void *src, size_t n)
{
	const unsigned char *b = src;
	size_t k = 0;

	while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\0'))
		n--;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		out[k++] = b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' ? (char)b[i] : '?';
	out[k] = '\0';
}

const char *cid_token_name(char out[CID_TOKEN_NAME_LEN], const void *label, size_t label_len,
                           const void *serial, size_t serial_len)
{
	char l[33], s[33];

	name_text(l, sizeof(l), label, label != NULL ? label_len : 0);
	name_text(s, sizeof(s), serial, serial != NULL ? serial_len : 0);
	if (s[0] == '\0')
		snprintf(out, CID_TOKEN_NAME_LEN, "token \"%s\"", l);
	else if (l[0] == '\0')
		snprintf(out, CID_TOKEN_NAME_LEN, "token [serial %s]", s);
	else
		snprintf(out, CID_TOKEN_NAME_LEN, "token \"%s\" [serial %s]", l, s);
	return out;
}

static const char *passcode_word(cid_passcode_role role)
{
	return role == CID_PASSCODE_SO ? "SO passcode" : "passcode";
}

/* What a blocked passcode means and who can lift it. */
static const char *blocked_remedy(cid_passcode_role role, const char *so_remedy)
{
	if (role == CID_PASSCODE_SO)
		return so_remedy != NULL ? so_remedy : "it cannot be unblocked";
	return "the sponsor can unblock it";
}

void cid_log_passcode_wrong(const char *where, const char *token, cid_passcode_role role, long left,
                            const char *so_remedy)
{
	const char *what = passcode_word(role);

	if (left < 0)
		cid_log(CID_LOG_WARN, where, "%s: wrong %s", token, what);
	else if (left == 0)
		cid_log(CID_LOG_WARN, where, "%s: wrong %s, no tries left: the %s is blocked; %s", token, what,
		        what, blocked_remedy(role, so_remedy));
	else
		cid_log(CID_LOG_WARN, where, "%s: wrong %s, %ld %s left", token, what, left,
		        left == 1 ? "try" : "tries");
}

void cid_log_passcode_blocked(const char *where, const char *token, cid_passcode_role role,
                              const char *so_remedy)
{
	const char *what = passcode_word(role);

	cid_log(CID_LOG_WARN, where, "%s: %s not checked: no tries left, the %s is blocked; %s", token, what,
	        what, blocked_remedy(role, so_remedy));
}

/* Why a passcode is not 6 to 8 digits, in words that reveal no character. */
static void format_fault(char *why, size_t n, const unsigned char *pin, unsigned long len)
{
	bool digits = pin != NULL;

	for (unsigned long i = 0; digits && i < len; i++)
		digits = pin[i] >= '0' && pin[i] <= '9';
	if (pin == NULL || len == 0)
		snprintf(why, n, "none was given");
	else if (len < CID_POLICY_PIN_MIN_LEN || len > CID_POLICY_PIN_MAX_LEN)
		snprintf(why, n, "this one has %lu character%s", len, len == 1 ? "" : "s");
	else if (!digits)
		snprintf(why, n, "this one has a character that is not a digit");
	else
		snprintf(why, n, "this one is 6 to 8 digits");
}

void cid_log_passcode_malformed(const char *where, const char *token, cid_passcode_role role,
                                const unsigned char *pin, unsigned long len)
{
	char why[64];

	format_fault(why, sizeof(why), pin, len);
	cid_log(CID_LOG_WARN, where, "%s: %s not checked, no try spent: passcodes are %d to %d digits and %s",
	        token, passcode_word(role), CID_POLICY_PIN_MIN_LEN, CID_POLICY_PIN_MAX_LEN, why);
}

void cid_log_new_passcode_refused(const char *where, const char *token, cid_passcode_role role,
                                  const unsigned char *pin, unsigned long len, bool same_as_old)
{
	char why[64];

	if (same_as_old) {
		cid_log(CID_LOG_WARN, where, "%s: new %s refused: it is the same as the current one", token,
		        passcode_word(role));
		return;
	}
	format_fault(why, sizeof(why), pin, len);
	cid_log(CID_LOG_WARN, where, "%s: new %s refused: passcodes are %d to %d digits and %s", token,
	        passcode_word(role), CID_POLICY_PIN_MIN_LEN, CID_POLICY_PIN_MAX_LEN, why);
}
