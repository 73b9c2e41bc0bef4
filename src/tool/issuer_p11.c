/* The issuer's key on a PKCS#11 token (issuer_p11.h). */
#include <ctype.h>
#include <stdarg.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pkcs11.h"
#include "tool/issuer_p11.h"

struct issuer_p11 {
	void *dl;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	bool initialised, session;
};

static tool_issuer_status bad(tool_issuer_why *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static tool_issuer_status bad(tool_issuer_why *why, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL) {
		va_start(ap, fmt);
		vsnprintf(why->text, sizeof(why->text), fmt, ap);
		va_end(ap);
	}
	return TOOL_ISSUER_BAD_ISSUER;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Attribute name of the path part (query false) or the query (query true),
 * percent-decoded into out (*len its length); false when absent or too
 * long. */
static bool attr(const char *uri, bool query, const char *name, char *out, size_t outlen, size_t *len)
{
	const char *q = strchr(uri, '?');
	const char *p = query ? (q != NULL ? q + 1 : NULL) : uri + strlen("pkcs11:");
	const char *stop = query ? NULL : q;
	size_t nl = strlen(name);

	while (p != NULL && *p != '\0' && p != stop) {
		const char *end = p + strcspn(p, query ? "&" : ";?");
		size_t n = 0;

		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			for (const char *c = p + nl + 1; c < end; c++) {
				if (n + 1 >= outlen)
					return false;
				if (*c == '%') {
					if (end - c < 3 || hexval(c[1]) < 0 || hexval(c[2]) < 0)
						return false;
					out[n++] = (char)(hexval(c[1]) * 16 + hexval(c[2]));
					c += 2;
				} else {
					out[n++] = *c;
				}
			}
			out[n] = '\0';
			if (len != NULL)
				*len = n;
			return true;
		}
		p = *end == '\0' || *end == '?' ? NULL : end + 1;
	}
	return false;
}

static void trim_field(char *dst, const CK_UTF8CHAR *src, size_t n)
{
	memcpy(dst, src, n);
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

static bool read_pin(const char *source, char *pin, size_t pinlen)
{
	const char *path = strncmp(source, "file:", 5) == 0 ? source + 5 : source;
	FILE *f;
	bool ok;

	if (*path != '/' || (f = fopen(path, "re")) == NULL)
		return false;
	ok = fgets(pin, (int)pinlen, f) != NULL;
	fclose(f);
	if (ok)
		pin[strcspn(pin, "\r\n")] = '\0';
	return ok;
}

void issuer_p11_close(issuer_p11 *k)
{
	if (k == NULL)
		return;
	if (k->session)
		k->f->C_CloseSession(k->s);
	if (k->initialised)
		k->f->C_Finalize(NULL);
	/* The module stays mapped: some cannot be unloaded safely. */
	free(k);
}

static tool_issuer_status find_slot(issuer_p11 *k, const char *token, const char *serial, CK_SLOT_ID *slot,
                                    CK_TOKEN_INFO *ti, tool_issuer_why *why)
{
	CK_SLOT_ID ids[64];
	CK_ULONG n = 64;
	char label[33], ser[17];
	CK_RV rv = k->f->C_GetSlotList(CK_TRUE, ids, &n);

	if (rv != CKR_OK)
		return bad(why, "issuer_key: C_GetSlotList failed (0x%lx)", (unsigned long)rv);
	for (CK_ULONG i = 0; i < n; i++) {
		if (k->f->C_GetTokenInfo(ids[i], ti) != CKR_OK)
			continue;
		trim_field(label, ti->label, sizeof(ti->label));
		trim_field(ser, ti->serialNumber, sizeof(ti->serialNumber));
		if ((token == NULL || strcmp(token, label) == 0) && (serial == NULL || strcmp(serial, ser) == 0)) {
			*slot = ids[i];
			return TOOL_ISSUER_OK;
		}
	}
	return bad(why, "issuer_key: no token matches the URI's token/serial");
}

tool_issuer_status issuer_p11_open(const char *uri, issuer_p11 **out, tool_issuer_why *why)
{
	char module[512], token[64], serial[32], object[128], id[64], type[16], pinsrc[512], pin[64];
	bool has_token, has_serial, has_object, has_id;
	size_t idlen = 0;
	CK_C_GetFunctionList get_list;
	CK_C_INITIALIZE_ARGS args;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot = 0;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	CK_ATTRIBUTE tmpl[4];
	CK_ULONG nt = 0, found = 0;
	CK_OBJECT_HANDLE keys[2];
	issuer_p11 *k;
	tool_issuer_status st;
	CK_RV rv;

	*out = NULL;
	if (!attr(uri, true, "module-path", module, sizeof(module), NULL) || module[0] != '/')
		return bad(why, "issuer_key: the pkcs11: URI needs module-path=/absolute/path/of/the/module.so");
	if (attr(uri, true, "pin-value", pin, sizeof(pin), NULL))
		return bad(why, "issuer_key: pin-value is refused (a PIN in the configuration); use pin-source=file:PATH");
	has_token = attr(uri, false, "token", token, sizeof(token), NULL);
	has_serial = attr(uri, false, "serial", serial, sizeof(serial), NULL);
	has_object = attr(uri, false, "object", object, sizeof(object), NULL);
	has_id = attr(uri, false, "id", id, sizeof(id), &idlen);
	if (!has_token && !has_serial)
		return bad(why, "issuer_key: the pkcs11: URI needs token= or serial=");
	if (!has_object && !has_id)
		return bad(why, "issuer_key: the pkcs11: URI needs object= or id= of the private key");
	if (attr(uri, false, "type", type, sizeof(type), NULL) && strcmp(type, "private") != 0)
		return bad(why, "issuer_key: the pkcs11: URI must name a private key (type=private)");

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return bad(why, "out of memory");
	if ((k->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (get_list = (CK_C_GetFunctionList)dlsym(k->dl, "C_GetFunctionList")) == NULL ||
	    get_list(&k->f) != CKR_OK || k->f == NULL) {
		free(k);
		return bad(why, "issuer_key: %s is not a loadable PKCS#11 module", module);
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = k->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		free(k);
		return bad(why, "issuer_key: the module %s did not start (0x%lx)", module, (unsigned long)rv);
	}
	/* A module someone else in the process started is theirs to finalise. */
	k->initialised = rv == CKR_OK;
	if ((st = find_slot(k, has_token ? token : NULL, has_serial ? serial : NULL, &slot, &ti, why)) != TOOL_ISSUER_OK)
		goto fail;
	if ((rv = k->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &k->s)) != CKR_OK) {
		st = bad(why, "issuer_key: C_OpenSession failed (0x%lx)", (unsigned long)rv);
		goto fail;
	}
	k->session = true;
	if (ti.flags & CKF_LOGIN_REQUIRED) {
		if (!attr(uri, true, "pin-source", pinsrc, sizeof(pinsrc), NULL) || !read_pin(pinsrc, pin, sizeof(pin))) {
			st = bad(why, "issuer_key: the token needs a PIN: add pin-source=file:/absolute/path to the URI");
			goto fail;
		}
		rv = k->f->C_Login(k->s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
		memset(pin, 0, sizeof(pin));
		if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
			st = bad(why, "issuer_key: login to the issuer's token failed (0x%lx)", (unsigned long)rv);
			goto fail;
		}
	}
	tmpl[nt++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	tmpl[nt++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
	if (has_object)
		tmpl[nt++] = (CK_ATTRIBUTE){ CKA_LABEL, object, strlen(object) };
	if (has_id)
		tmpl[nt++] = (CK_ATTRIBUTE){ CKA_ID, id, idlen };
	if (k->f->C_FindObjectsInit(k->s, tmpl, nt) != CKR_OK) {
		st = bad(why, "issuer_key: C_FindObjectsInit failed");
		goto fail;
	}
	rv = k->f->C_FindObjects(k->s, keys, 2, &found);
	k->f->C_FindObjectsFinal(k->s);
	if (rv != CKR_OK || found != 1) {
		st = bad(why, "issuer_key: %s EC private key matches the URI", found == 0 ? "no" : "more than one");
		goto fail;
	}
	k->key = keys[0];
	*out = k;
	return TOOL_ISSUER_OK;
fail:
	issuer_p11_close(k);
	return st;
}

int issuer_p11_sign(issuer_p11 *k, const uint8_t *digest, size_t dlen, uint8_t *sig, size_t *siglen)
{
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	CK_ULONG n = *siglen;

	if (k->f->C_SignInit(k->s, &m, k->key) != CKR_OK)
		return -1;
	if (k->f->C_Sign(k->s, (CK_BYTE *)digest, dlen, sig, &n) != CKR_OK)
		return -1;
	*siglen = n;
	return 0;
}
