#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

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
	n = snprintf(line, sizeof(line), "careid[%ld] %s: %s: ", (long)getpid(), tag[level], where);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One fputs per line keeps lines whole when several threads log. */
	fprintf(sink != NULL ? sink : stderr, "%s\n", line);
	fflush(sink != NULL ? sink : stderr);
}
