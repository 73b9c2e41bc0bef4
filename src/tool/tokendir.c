/* Where the module keeps soft-token files: the same lookup the module
 * makes (README "Where tokens live"), read here because the tool is a
 * client and does not link the module's configuration code. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/tool.h"

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static char *from_conf(const char *file)
{
	char line[1024], *found = NULL;
	FILE *f = fopen(file, "re");

	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq;

		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(trim(line), "token_dir") != 0)
			continue;
		s = trim(eq + 1);
		/* The last setting wins, as in the module. */
		if (*s == '/') {
			free(found);
			found = strdup(s);
		}
	}
	fclose(f);
	return found;
}

char *tool_token_dir(void)
{
	const char *conf = getenv("CAREID_CONF");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *path = NULL;

	if (conf != NULL && *conf != '\0' && (path = from_conf(conf)) != NULL)
		return path;
	if (xdg != NULL && *xdg == '/') {
		if (asprintf(&path, "%s/careid/tokens", xdg) < 0)
			return NULL;
	} else if (home != NULL && *home != '\0') {
		if (asprintf(&path, "%s/.local/share/careid/tokens", home) < 0)
			return NULL;
	} else {
		path = strdup("/var/lib/careid/tokens");
	}
	return path;
}
