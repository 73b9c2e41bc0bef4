#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/log.h"

static char *default_token_dir(void)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *path = NULL;

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

/* name in the directory that holds dir: what a token directory's
 * owner keeps beside it ("/" itself has nothing beside it but itself). */
static char *beside(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *path = NULL;

	while (n > 0 && dir[n - 1] == '/')
		n--;
	while (n > 0 && dir[n - 1] != '/')
		n--;
	while (n > 0 && dir[n - 1] == '/')
		n--;
	if (asprintf(&path, "%.*s/%s", (int)n, dir, name) < 0)
		return NULL;
	return path;
}

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

static int parse_bool(const char *v, bool *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* Well-formed UTF-8 (RFC 3629): no overlong form, no surrogate, nothing
 * past U+10FFFF.  A certificate's name must be. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
		           : c >= 0xF0 && c <= 0xF4 ? 4 : 0;

		if (len == 0 || n - i < len)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) ||
		    (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
			return false;
		i += len;
	}
	return true;
}

bool cid_config_org_ok(const char *org)
{
	size_t n = strlen(org);

	if (n == 0 || n > CID_ISSUER_ORG_MAX || isspace((unsigned char)org[0]) ||
	    isspace((unsigned char)org[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (iscntrl((unsigned char)org[i]) || org[i] == '#')
			return false;
	return utf8_ok((const unsigned char *)org, n);
}

static int set_string(char **slot, const char *v)
{
	char *d = strdup(v);

	if (d == NULL)
		return -1;
	free(*slot);
	*slot = d;
	return 0;
}

/* Returns 0, or -1 with the reason logged. */
static int apply(cid_config *cfg, const char *file, unsigned line, const char *k, const char *v)
{
	if (strcmp(k, "token_dir") == 0) {
		char *d = strdup(v);

		if (d == NULL || *v != '/') {
			free(d);
			CID_ERROR("%s:%u: token_dir must be an absolute path", file, line);
			return -1;
		}
		free(cfg->token_dir);
		cfg->token_dir = d;
	} else if (strcmp(k, "soft_tokens") == 0) {
		if (parse_bool(v, &cfg->soft_tokens) != 0) {
			CID_ERROR("%s:%u: soft_tokens must be yes or no", file, line);
			return -1;
		}
	} else if (strcmp(k, "card_readers") == 0) {
		if (parse_bool(v, &cfg->card_readers) != 0) {
			CID_ERROR("%s:%u: card_readers must be yes or no", file, line);
			return -1;
		}
	} else if (strcmp(k, "kdf_cost") == 0) {
		char *end;
		unsigned long c;

		errno = 0;
		c = strtoul(v, &end, 10);
		if (errno != 0 || *end != '\0' || c < CID_KDF_COST_MIN || c > CID_KDF_COST_MAX) {
			CID_ERROR("%s:%u: kdf_cost must be %d..%d", file, line, CID_KDF_COST_MIN,
			          CID_KDF_COST_MAX);
			return -1;
		}
		cfg->kdf_cost = (uint32_t)c;
	} else if (strcmp(k, "issuer_cert") == 0) {
		if (*v != '/' || set_string(&cfg->issuer_cert, v) != 0) {
			CID_ERROR("%s:%u: issuer_cert must be an absolute path", file, line);
			return -1;
		}
	} else if (strcmp(k, "issuer_key") == 0) {
		/* The scheme is matched without case, as RFC 3986 has it. */
		if ((*v != '/' && strncasecmp(v, "pkcs11:", 7) != 0) || set_string(&cfg->issuer_key, v) != 0) {
			CID_ERROR("%s:%u: issuer_key must be an absolute path or a pkcs11: URI", file, line);
			return -1;
		}
	} else if (strcmp(k, "issuer_org") == 0) {
		if (!cid_config_org_ok(v) || set_string(&cfg->issuer_org, v) != 0) {
			CID_ERROR("%s:%u: issuer_org must be 1 to %d bytes of UTF-8 without control characters or '#'",
			          file, line, CID_ISSUER_ORG_MAX);
			return -1;
		}
	} else if (strcmp(k, "card_admin_file") == 0) {
		if (*v != '/' || set_string(&cfg->card_admin_file, v) != 0) {
			CID_ERROR("%s:%u: card_admin_file must be an absolute path", file, line);
			return -1;
		}
	} else if (strcmp(k, "card_audit_dir") == 0) {
		if (*v != '/' || set_string(&cfg->card_audit_dir, v) != 0) {
			CID_ERROR("%s:%u: card_audit_dir must be an absolute path", file, line);
			return -1;
		}
	} else if (strcmp(k, "log_level") == 0) {
		cid_log_set_level(v);
	} else {
		CID_WARN("%s:%u: unknown key '%s' ignored", file, line, k);
	}
	return 0;
}

static CK_RV read_file(cid_config *cfg, const char *file)
{
	FILE *f = fopen(file, "re");
	char buf[1024];
	unsigned line = 0;
	int bad = 0;

	if (f == NULL) {
		CID_ERROR("cannot read configuration %s: %s", file, strerror(errno));
		return CKR_GENERAL_ERROR;
	}
	while (!bad && fgets(buf, sizeof(buf), f) != NULL) {
		char *s, *eq;

		line++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			CID_ERROR("%s:%u: line too long", file, line);
			bad = 1;
			break;
		}
		if ((s = strchr(buf, '#')) != NULL)
			*s = '\0';
		s = trim(buf);
		if (*s == '\0')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			CID_ERROR("%s:%u: expected key = value", file, line);
			bad = 1;
			break;
		}
		*eq = '\0';
		bad = apply(cfg, file, line, trim(s), trim(eq + 1)) != 0;
	}
	fclose(f);
	return bad ? CKR_GENERAL_ERROR : CKR_OK;
}

CK_RV cid_config_load(cid_config *cfg)
{
	const char *file = getenv("CAREID_CONF");
	CK_RV rv;

	cfg->soft_tokens = true;
	cfg->card_readers = true;
	cfg->kdf_cost = CID_KDF_COST_DEFAULT;
	cfg->token_dir = NULL;
	cfg->issuer_cert = NULL;
	cfg->issuer_key = NULL;
	cfg->issuer_org = NULL;
	cfg->card_admin_file = NULL;
	cfg->card_audit_dir = NULL;
	if (file != NULL && *file != '\0') {
		rv = read_file(cfg, file);
		if (rv != CKR_OK) {
			cid_config_free(cfg);
			return rv;
		}
	}
	if (cfg->token_dir == NULL && (cfg->token_dir = default_token_dir()) == NULL)
		return CKR_HOST_MEMORY;
	if (cfg->card_audit_dir == NULL && (cfg->card_audit_dir = beside(cfg->token_dir, "card-audit")) == NULL) {
		cid_config_free(cfg);
		return CKR_HOST_MEMORY;
	}
	return CKR_OK;
}

void cid_config_free(cid_config *cfg)
{
	free(cfg->token_dir);
	cfg->token_dir = NULL;
	free(cfg->issuer_cert);
	cfg->issuer_cert = NULL;
	free(cfg->issuer_key);
	cfg->issuer_key = NULL;
	free(cfg->issuer_org);
	cfg->issuer_org = NULL;
	free(cfg->card_admin_file);
	cfg->card_admin_file = NULL;
	free(cfg->card_audit_dir);
	cfg->card_audit_dir = NULL;
}
