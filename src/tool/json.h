/* The one JSON value a command prints with --json (jansson). */
#ifndef CAREID_TOOL_JSON_H
#define CAREID_TOOL_JSON_H

#include <jansson.h>

/* Prints v on stdout followed by a newline and releases it; 0 or EXIT_OTHER. */
int tool_json_emit(json_t *v);
/* A string, or JSON null for NULL. */
json_t *tool_json_str(const char *s);

#endif
