/* Card contents cached per card (GUID + serial) for the life of the
 * process, so that reopening a card's slot, or listing its certificates
 * twice, does not read the certificates again.  Snapshots are immutable;
 * a write through this module publishes a new one.  PIV offers no change
 * counter: a card rewritten by another program is noticed through its
 * lifecycle record, which every careid procedure rewrites
 * (card_record.c, card_recheck). */
#include <stdlib.h>
#include <string.h>

#include "card/card_int.h"

/* A snapshot's address may be reused once it is freed; its generation is
 * never, so "is this still the snapshot I loaded" has one answer. */
static atomic_uint_fast64_t next_gen;

/* NULL before the card provider starts the cache (unit tests of the card
 * token alone are single-threaded). */
static cid_mutex *cache_lock;
/* Most recently used first. */
static card_data *cache[CARD_CACHE_MAX];

card_data *card_data_new(void)
{
	card_data *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	atomic_init(&d->refs, 1);
	d->gen = atomic_fetch_add(&next_gen, 1) + 1;
	for (size_t i = 0; i < CARD_NKEYS; i++)
		d->keys[i].ref = card_key_ref(i);
	return d;
}

static void lock(void)
{
	if (cache_lock != NULL)
		cid_mutex_lock(cache_lock);
}

static void unlock(void)
{
	if (cache_lock != NULL)
		cid_mutex_unlock(cache_lock);
}

CK_RV card_cache_start(void)
{
	memset(cache, 0, sizeof(cache));
	cache_lock = NULL;
	return cid_mutex_new(&cache_lock);
}

card_data *card_data_ref(card_data *d)
{
	atomic_fetch_add(&d->refs, 1);
	return d;
}

static void destroy(card_data *d)
{
	for (size_t i = 0; i < CARD_NKEYS; i++)
		card_key_clear(&d->keys[i]);
	free(d->record);
	free(d);
}

void card_data_unref(card_data **pd)
{
	card_data *d = pd != NULL ? *pd : NULL;
	bool last;

	if (d == NULL)
		return;
	*pd = NULL;
	last = atomic_fetch_sub(&d->refs, 1) == 1;
	if (last)
		destroy(d);
}

CK_RV card_data_clone(const card_data *src, card_data **out)
{
	card_data *d = card_data_new();
	CK_RV rv = CKR_OK;

	if (d == NULL)
		return CKR_HOST_MEMORY;
	memcpy(d->ident, src->ident, sizeof(d->ident));
	memcpy(d->guid, src->guid, sizeof(d->guid));
	d->have_guid = src->have_guid;
	d->serial = src->serial;
	d->have_serial = src->have_serial;
	memcpy(d->uuid, src->uuid, sizeof(d->uuid));
	memcpy(d->version, src->version, sizeof(d->version));
	d->have_version = src->have_version;
	for (size_t i = 0; i < CARD_NKEYS && rv == CKR_OK; i++)
		rv = card_key_copy(&d->keys[i], &src->keys[i]);
	if (rv == CKR_OK && src->record != NULL) {
		if ((d->record = malloc(src->record_len)) == NULL)
			rv = CKR_HOST_MEMORY;
		else {
			memcpy(d->record, src->record, src->record_len);
			d->record_len = src->record_len;
		}
	}
	if (rv != CKR_OK) {
		destroy(d);
		return rv;
	}
	*out = d;
	return CKR_OK;
}

card_data *card_cache_get(const char *ident)
{
	card_data *d = NULL;

	lock();
	for (size_t i = 0; i < CARD_CACHE_MAX && cache[i] != NULL; i++) {
		if (strcmp(cache[i]->ident, ident) != 0)
			continue;
		d = cache[i];
		atomic_fetch_add(&d->refs, 1);
		memmove(cache + 1, cache, i * sizeof(cache[0]));
		cache[0] = d;
		break;
	}
	unlock();
	return d;
}

void card_cache_put(card_data *d)
{
	card_data *drop = NULL;
	size_t i;

	lock();
	atomic_fetch_add(&d->refs, 1);
	for (i = 0; i < CARD_CACHE_MAX && cache[i] != NULL; i++)
		if (strcmp(cache[i]->ident, d->ident) == 0)
			break;
	if (i == CARD_CACHE_MAX)
		i = CARD_CACHE_MAX - 1;   /* full: the least recently used goes */
	drop = cache[i];
	memmove(cache + 1, cache, i * sizeof(cache[0]));
	cache[0] = d;
	if (drop != NULL && atomic_fetch_sub(&drop->refs, 1) != 1)
		drop = NULL;
	unlock();
	if (drop != NULL)
		destroy(drop);
}

void card_cache_clear(void)
{
	card_data *all[CARD_CACHE_MAX];
	size_t n = 0;

	lock();
	for (size_t i = 0; i < CARD_CACHE_MAX; i++) {
		if (cache[i] != NULL && atomic_fetch_sub(&cache[i]->refs, 1) == 1)
			all[n++] = cache[i];
		cache[i] = NULL;
	}
	unlock();
	for (size_t i = 0; i < n; i++)
		destroy(all[i]);
	cid_mutex_free(&cache_lock);
}

void card_cache_forget(const char *ident)
{
	card_data *drop = NULL;

	lock();
	for (size_t i = 0; i < CARD_CACHE_MAX && cache[i] != NULL; i++) {
		if (strcmp(cache[i]->ident, ident) != 0)
			continue;
		drop = cache[i];
		memmove(cache + i, cache + i + 1, (CARD_CACHE_MAX - i - 1) * sizeof(cache[0]));
		cache[CARD_CACHE_MAX - 1] = NULL;
		break;
	}
	unlock();
	card_data_unref(&drop);
}
