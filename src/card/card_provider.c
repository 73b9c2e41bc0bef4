/* PC/SC readers as token places.  A reader is a place whether or not it
 * holds a card; its epoch changes whenever a card comes or goes, so the
 * front can end the sessions of a card that was pulled (P15) even when
 * another card was put in before it looked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/card.h"
#include "card/card_int.h"
#include "card/pcsc.h"
#include "common/lock.h"
#include "common/log.h"

#define DESCRIPTION_MAX 64

typedef struct known_reader {
	char *name;
	bool present;
	uint32_t events;
	uint64_t epoch;
} known_reader;

typedef struct card_provider {
	cid_provider base;
	cid_mutex *lock;
	cid_pcsc *pcsc;
	known_reader *known;
	size_t nknown;
	uint64_t counter;    /* source of epochs: every change takes a new value */
	char *trail_dir;     /* the host's card audit trails, given to each card */
} card_provider;

static const known_reader *find(const card_provider *p, const char *name)
{
	for (size_t i = 0; i < p->nknown; i++)
		if (strcmp(p->known[i].name, name) == 0)
			return &p->known[i];
	return NULL;
}

static void forget(known_reader *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static CK_RV cp_scan(cid_provider *base, cid_place_sink sink, void *ctx)
{
	card_provider *p = (card_provider *)base;
	cid_pcsc_reader *r = NULL;
	known_reader *now = NULL;
	size_t n = 0;
	CK_RV rv;

	cid_mutex_lock(p->lock);
	rv = cid_pcsc_snapshot(p->pcsc, &r, &n);
	if (rv == CKR_OK && n > 0 && (now = calloc(n, sizeof(*now))) == NULL)
		rv = CKR_HOST_MEMORY;
	for (size_t i = 0; rv == CKR_OK && i < n; i++) {
		const known_reader *k = find(p, r[i].name);

		now[i].name = r[i].name;
		r[i].name = NULL;
		now[i].present = r[i].present;
		now[i].events = r[i].events;
		if (k != NULL && k->present == r[i].present && k->events == r[i].events)
			now[i].epoch = k->epoch;
		else
			now[i].epoch = ++p->counter;
	}
	cid_pcsc_readers_free(&r, n);
	if (rv != CKR_OK) {
		forget(now, n);
		cid_mutex_unlock(p->lock);
		return rv;
	}
	forget(p->known, p->nknown);
	p->known = now;
	p->nknown = n;
	/* Reported under the lock: the sink only copies. */
	for (size_t i = 0; rv == CKR_OK && i < n; i++) {
		char desc[DESCRIPTION_MAX + 1];
		cid_place pl = { .key = now[i].name, .description = desc, .removable = true, .hardware = true,
			         .can_create = false, .absent = !now[i].present, .epoch = now[i].epoch };

		snprintf(desc, sizeof(desc), "%s", now[i].name);
		rv = sink(ctx, &pl);
	}
	cid_mutex_unlock(p->lock);
	return rv;
}

static CK_RV cp_open(cid_provider *base, const char *key, cid_token **out)
{
	card_provider *p = (card_provider *)base;
	cid_card_io *io = NULL;
	CK_RV rv;

	if (key == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = cid_pcsc_connect(key, &io);
	if (rv != CKR_OK)
		return rv == CKR_DEVICE_REMOVED ? CKR_TOKEN_NOT_PRESENT : rv;
	rv = cid_card_token_open(io, out);
	if (rv == CKR_TOKEN_NOT_RECOGNIZED)
		CID_INFO("the card in %s is not a PIV card", key);
	if (rv == CKR_OK && (rv = cid_card_token_keep_trail(*out, p->trail_dir)) != CKR_OK) {
		(*out)->ops->release(*out);
		*out = NULL;
	}
	return rv;
}

static void cp_release(cid_provider *base)
{
	card_provider *p = (card_provider *)base;

	if (p == NULL)
		return;
	cid_pcsc_free(&p->pcsc);
	forget(p->known, p->nknown);
	/* C_Finalize gives everything back, card contents included. */
	cid_card_cache_clear();
	cid_mutex_free(&p->lock);
	free(p->trail_dir);
	free(p);
}

/* A card keeps RSA and P-256/P-384 keys (PIV has no Edwards curves) and
 * runs their private-key operations itself: those mechanisms are the
 * card's (CKF_HW), while digests and public-key operations run on the
 * host. */
static bool cp_mechanism(cid_provider *p, const cid_mech_desc *d, CK_MECHANISM_INFO *info)
{
	(void)p;
	if (d->key_type == CKK_EC_EDWARDS)
		return false;
	if (d->flags & (CKF_SIGN | CKF_DECRYPT | CKF_DERIVE | CKF_GENERATE_KEY_PAIR))
		info->flags |= CKF_HW;
	return true;
}

static const struct cid_provider_ops card_provider_ops = {
	.name = "pcsc",
	.scan = cp_scan,
	.open = cp_open,
	.create = NULL,   /* cards are issued elsewhere: no place creates one */
	.mechanism = cp_mechanism,
	.release = cp_release,
};

CK_RV cid_card_provider_new(const char *trail_dir, cid_provider **out)
{
	card_provider *p = calloc(1, sizeof(*p));
	CK_RV rv;

	if (p == NULL)
		return CKR_HOST_MEMORY;
	if (trail_dir != NULL && (p->trail_dir = strdup(trail_dir)) == NULL) {
		free(p);
		return CKR_HOST_MEMORY;
	}
	if ((rv = cid_pcsc_new(&p->pcsc)) != CKR_OK) {
		free(p->trail_dir);
		free(p);
		return rv;
	}
	if ((rv = cid_mutex_new(&p->lock)) != CKR_OK || (rv = card_cache_start()) != CKR_OK) {
		cid_mutex_free(&p->lock);
		cid_pcsc_free(&p->pcsc);
		free(p->trail_dir);
		free(p);
		return rv;
	}
	p->base.ops = &card_provider_ops;
	*out = &p->base;
	return CKR_OK;
}
