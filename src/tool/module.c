/* Loading the module and choosing the token, as any PKCS#11 client does. */
#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/tool.h"

const char *tool_rv_name(CK_RV rv)
{
	static char other[32];

	switch (rv) {
#define RV(x) case x: return #x;
	RV(CKR_OK) RV(CKR_HOST_MEMORY) RV(CKR_SLOT_ID_INVALID) RV(CKR_GENERAL_ERROR)
	RV(CKR_FUNCTION_FAILED) RV(CKR_ARGUMENTS_BAD) RV(CKR_DEVICE_ERROR) RV(CKR_DEVICE_MEMORY)
	RV(CKR_DEVICE_REMOVED) RV(CKR_FUNCTION_NOT_SUPPORTED) RV(CKR_PIN_INCORRECT)
	RV(CKR_PIN_INVALID) RV(CKR_PIN_LEN_RANGE) RV(CKR_PIN_EXPIRED) RV(CKR_PIN_LOCKED)
	RV(CKR_SESSION_HANDLE_INVALID) RV(CKR_SESSION_READ_ONLY) RV(CKR_TOKEN_NOT_PRESENT)
	RV(CKR_TOKEN_NOT_RECOGNIZED) RV(CKR_TOKEN_WRITE_PROTECTED) RV(CKR_USER_ALREADY_LOGGED_IN)
	RV(CKR_USER_NOT_LOGGED_IN) RV(CKR_USER_PIN_NOT_INITIALIZED) RV(CKR_USER_TYPE_INVALID)
	RV(CKR_CRYPTOKI_NOT_INITIALIZED) RV(CKR_CRYPTOKI_ALREADY_INITIALIZED)
	RV(CKR_OPERATION_NOT_INITIALIZED) RV(CKR_ATTRIBUTE_TYPE_INVALID)
#undef RV
	default:
		snprintf(other, sizeof(other), "CKR 0x%lx", (unsigned long)rv);
		return other;
	}
}

void tool_trim(char *dst, const CK_UTF8CHAR *src, size_t n)
{
	memcpy(dst, src, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

int tool_load(tool_ctx *ctx)
{
	CK_C_GetInterface get_interface;
	CK_C_GetFunctionList get_list;
	CK_INTERFACE *iface = NULL;
	CK_C_INITIALIZE_ARGS args;
	const char *path = ctx->module_path;
	CK_RV rv;

	if (path == NULL || *path == '\0')
		path = getenv("CAREID_MODULE");
	if (path == NULL || *path == '\0')
		path = CAREID_DEFAULT_MODULE;
	ctx->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (ctx->dl == NULL) {
		tool_error("cannot load the module %s: %s", path, dlerror());
		return EXIT_OTHER;
	}
	/* The 3.x interface first; its list begins with the 2.x one. */
	get_interface = (CK_C_GetInterface)dlsym(ctx->dl, "C_GetInterface");
	if (get_interface != NULL &&
	    get_interface((CK_UTF8CHAR *)"PKCS 11", NULL, &iface, 0) == CKR_OK && iface != NULL)
		ctx->f = (CK_FUNCTION_LIST *)iface->pFunctionList;
	if (ctx->f == NULL) {
		get_list = (CK_C_GetFunctionList)dlsym(ctx->dl, "C_GetFunctionList");
		if (get_list == NULL || get_list(&ctx->f) != CKR_OK || ctx->f == NULL) {
			tool_error("%s is not a PKCS#11 module", path);
			return EXIT_OTHER;
		}
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = ctx->f->C_Initialize(&args);
	if (rv != CKR_OK) {
		tool_error("the module %s did not start: %s", path, tool_rv_name(rv));
		return EXIT_OTHER;
	}
	ctx->initialised = true;
	return EXIT_DONE;
}

void tool_unload(tool_ctx *ctx)
{
	if (ctx->initialised)
		ctx->f->C_Finalize(NULL);
	ctx->initialised = false;
	/* The module stays mapped: it is built with -z nodelete anyway, and a
	 * client should not assume it can be unloaded. */
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Value of attribute NAME in the path part of a pkcs11: URI (RFC 7512),
 * percent-decoded into out; false when absent. */
static bool uri_attr(const char *uri, const char *name, char *out, size_t outlen)
{
	const char *p = uri + strlen("pkcs11:");
	size_t nl = strlen(name);

	while (*p != '\0' && *p != '?') {
		const char *end = p + strcspn(p, ";?");

		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t n = 0;

			for (const char *q = p + nl + 1; q < end && n + 1 < outlen; q++) {
				if (*q == '%' && q + 2 < end + 1 && hexval(q[1]) >= 0 && hexval(q[2]) >= 0) {
					out[n++] = (char)(hexval(q[1]) * 16 + hexval(q[2]));
					q += 2;
				} else {
					out[n++] = *q;
				}
			}
			out[n] = '\0';
			return true;
		}
		p = *end == ';' ? end + 1 : end;
	}
	return false;
}

static bool matches(const char *want, const CK_TOKEN_INFO *ti)
{
	char label[33], serial[17], model[17], manuf[33], v[80];

	tool_trim(label, ti->label, 32);
	tool_trim(serial, ti->serialNumber, 16);
	tool_trim(model, ti->model, 16);
	tool_trim(manuf, ti->manufacturerID, 32);
	if (strncmp(want, "pkcs11:", 7) != 0)
		return strcmp(want, label) == 0;
	if (uri_attr(want, "token", v, sizeof(v)) && strcmp(v, label) != 0)
		return false;
	if (uri_attr(want, "serial", v, sizeof(v)) && strcmp(v, serial) != 0)
		return false;
	if (uri_attr(want, "model", v, sizeof(v)) && strcmp(v, model) != 0)
		return false;
	if (uri_attr(want, "manufacturer", v, sizeof(v)) && strcmp(v, manuf) != 0)
		return false;
	return true;
}

int tool_pick_token(tool_ctx *ctx)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, found = 0;
	CK_RV rv;

	rv = ctx->f->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv == CKR_OK && n > 0) {
		slots = calloc(n, sizeof(*slots));
		if (slots == NULL) {
			tool_error("out of memory");
			return EXIT_OTHER;
		}
		rv = ctx->f->C_GetSlotList(CK_TRUE, slots, &n);
	}
	if (rv != CKR_OK) {
		free(slots);
		tool_error("cannot list the slots: %s", tool_rv_name(rv));
		return EXIT_OTHER;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;

		/* An uninitialised token (the soft token's free slot, a blank
		 * card) is nobody's token yet. */
		if (ctx->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		if (ctx->token != NULL && !matches(ctx->token, &ti))
			continue;
		if (++found == 1) {
			ctx->slot = slots[i];
			ctx->token_info = ti;
		}
	}
	free(slots);
	if (found == 0) {
		if (ctx->token != NULL)
			tool_error("no initialised token matches %s", ctx->token);
		else
			tool_error("no initialised token is present");
		return EXIT_USAGE;
	}
	if (found > 1) {
		tool_error("%lu tokens %s: choose one with --token LABEL or --token pkcs11:URI",
		           (unsigned long)found, ctx->token != NULL ? "match" : "are present");
		return EXIT_USAGE;
	}
	rv = ctx->f->C_GetSlotInfo(ctx->slot, &ctx->slot_info);
	if (rv != CKR_OK) {
		tool_error("cannot read the slot: %s", tool_rv_name(rv));
		return EXIT_OTHER;
	}
	tool_trim(ctx->label, ctx->token_info.label, 32);
	tool_trim(ctx->serial, ctx->token_info.serialNumber, 16);
	return EXIT_DONE;
}

const char *tool_backend(const tool_ctx *ctx)
{
	/* A reader is a hardware slot with a removable device; a soft token's
	 * slot is neither. */
	return (ctx->slot_info.flags & (CKF_HW_SLOT | CKF_REMOVABLE_DEVICE)) ? "card" : "soft";
}

int tool_tries_left(CK_FLAGS flags, bool so)
{
	CK_FLAGS locked = so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED;
	CK_FLAGS final = so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY;
	CK_FLAGS low = so ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW;

	if (flags & locked)
		return 0;
	if (flags & final)
		return 1;
	if (flags & low)
		return 2;
	return 3;
}
