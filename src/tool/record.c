/* The token's lifecycle record as the tool reads it: the public
 * CKO_CAREID_LIFECYCLE object, decoded with the module's own policy code.
 * The module checks the issuer's signature at every login; the tool only
 * shows what the record says. */
#include <stdlib.h>
#include <string.h>

#include "careid/careid.h"
#include "tool/tool.h"

int tool_read_record(tool_ctx *ctx, cid_lifecycle *r, bool *found)
{
	CK_OBJECT_CLASS cls = CKO_CAREID_LIFECYCLE;
	CK_ATTRIBUTE by = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ATTRIBUTE value = { CKA_VALUE, NULL, 0 };
	CK_OBJECT_HANDLE h;
	CK_SESSION_HANDLE s;
	CK_ULONG n = 0;
	CK_RV rv;
	int rc = EXIT_DONE;

	*found = false;
	rv = ctx->f->C_OpenSession(ctx->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK) {
		tool_error("cannot open a session on token %s: %s", ctx->label, tool_rv_name(rv));
		return EXIT_OTHER;
	}
	if ((rv = ctx->f->C_FindObjectsInit(s, &by, 1)) == CKR_OK) {
		rv = ctx->f->C_FindObjects(s, &h, 1, &n);
		ctx->f->C_FindObjectsFinal(s);
	}
	if (rv == CKR_OK && n == 1 && (rv = ctx->f->C_GetAttributeValue(s, h, &value, 1)) == CKR_OK) {
		if ((value.pValue = malloc(value.ulValueLen ? value.ulValueLen : 1)) == NULL)
			rv = CKR_HOST_MEMORY;
		else
			rv = ctx->f->C_GetAttributeValue(s, h, &value, 1);
		if (rv == CKR_OK && cid_lifecycle_decode(value.pValue, value.ulValueLen, r) != CKR_OK) {
			tool_error("token %s: its lifecycle record is damaged", ctx->label);
			rc = EXIT_OTHER;
		} else if (rv == CKR_OK) {
			*found = true;
		}
		free(value.pValue);
	}
	if (rv != CKR_OK) {
		tool_error("cannot read the lifecycle record of token %s: %s", ctx->label, tool_rv_name(rv));
		rc = EXIT_OTHER;
	}
	ctx->f->C_CloseSession(s);
	return rc;
}

const char *tool_kind_name(cid_card_kind k)
{
	switch (k) {
	case CID_CARD_TEMPORARY: return "temporary";
	case CID_CARD_CONTRACTOR: return "contractor";
	default: return "standard";
	}
}
