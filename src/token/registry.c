#include <stdlib.h>

#include "card/card.h"
#include "common/log.h"
#include "soft/soft.h"
#include "token/registry.h"

CK_RV cid_providers_open(const cid_config *cfg, cid_provider ***list, size_t *count)
{
	cid_provider **v = calloc(2, sizeof(*v));
	size_t n = 0;
	CK_RV rv;

	if (v == NULL)
		return CKR_HOST_MEMORY;
	/* Card readers first: they get the lowest slot ids, so a client that
	 * takes the first slot with a token (pkcs11-tool without --slot) uses
	 * the card rather than the free soft-token slot.  Nothing happens
	 * until the first scan, and a machine without pcscd just has no
	 * readers; a failure here leaves the soft tokens usable. */
	if (cfg->card_readers) {
		rv = cid_card_provider_new(cfg->card_audit_dir, &v[n]);
		if (rv == CKR_OK)
			n++;
		else
			CID_ERROR("card readers unavailable (0x%lx)", rv);
	}
	if (cfg->soft_tokens) {
		rv = cid_soft_provider_new(cfg->token_dir, cfg->kdf_cost, &v[n]);
		if (rv != CKR_OK) {
			CID_ERROR("soft tokens unavailable in %s (0x%lx)", cfg->token_dir, rv);
			cid_providers_close(v, n, 0);
			return rv;
		}
		n++;
	}
	*list = v;
	*count = n;
	return CKR_OK;
}

void cid_providers_close(cid_provider **list, size_t count, int abandon)
{
	if (list == NULL)
		return;
	/* Abandoned (a forked child): the providers are the parent's and stay
	 * reachable through the caller's copy of this list, so the list stays
	 * too. */
	if (abandon)
		return;
	for (size_t i = 0; i < count; i++)
		list[i]->ops->release(list[i]);
	free(list);
}
