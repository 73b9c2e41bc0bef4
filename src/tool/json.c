#include <stdio.h>

#include "tool/json.h"
#include "tool/tool.h"

int tool_json_emit(json_t *v)
{
	int rc;

	if (v == NULL) {
		tool_error("out of memory building the JSON output");
		return EXIT_OTHER;
	}
	/* Keys in the order they were added, so that output reads like the
	 * documentation; one value, then a newline, for line-oriented callers. */
	rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
		tool_error("cannot write the JSON output");
		return EXIT_OTHER;
	}
	return EXIT_DONE;
}

json_t *tool_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}
