/* The slot table: scans, removal, and the slot entry points.
 *
 * Providers report places (a soft-token file, the free soft place, a card
 * reader); each place gets a slot (see new_slot_id for its number).
 * A place keeps its id for the life of the module and slots are never
 * removed: a place that stops being reported keeps its slot, which then
 * reports no token.  Presence is compared scan to scan per slot, which is
 * all C_WaitForSlotEvent needs, whichever provider reports the change. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hmap.h"
#include "common/log.h"
#include "p11/internal.h"
#include "p11/objindex.h"

typedef struct slot_entry {
	cid_slot s;          /* first, so a cid_slot* is also a slot_entry* */
	bool present;        /* a token (or the free place) as of the last scan */
	uint64_t place_epoch; /* the provider's count of token changes in the place */
	bool event;          /* presence changed; not yet returned by a wait */
	/* Scratch for the scan in progress. */
	bool seen, seen_present;
	uint64_t seen_epoch;
	struct slot_entry *same_hash; /* next slot whose place hashes alike */
} slot_entry;

/* Everything below is guarded by cid_m.slots_lock. */
static bool scanned_once;            /* the first scan raises no events */
/* A scan reports every place and C_GetTokenInfo names every slot: with a
 * thousand tokens, looking either up by walking the table made a listing
 * quadratic.  Both are hashed; the table grows by doubling. */
static size_t slots_cap;
static cid_hmap by_id;               /* slot id + 1 -> slot_entry* */
static cid_hmap by_place;            /* place_hash -> slot_entry* (chained) */
static bool slot_lookup_degraded;
/* A forked child's copy of the maps: the parent's memory, kept reachable
 * (published through a volatile pointer, or the copy is optimised away). */
static cid_hmap abandoned_maps[2];
static cid_hmap *volatile abandoned_maps_kept;
static struct {
	bool valid;
	CK_SLOT_ID *ids;
	size_t n;
} snapshot[2];                       /* [tokenPresent]: see C_GetSlotList */

/* Threads inside C_WaitForSlotEvent; C_Finalize waits for them to leave. */
static atomic_uint waiters;

#define WAIT_POLL_MS 100

static slot_entry *entry_of(cid_slot *s)
{
	return (slot_entry *)s;
}

void cid_pad(void *dst, size_t n, const char *src)
{
	size_t len = src ? strlen(src) : 0;

	memset(dst, ' ', n);
	if (len > 0)
		memcpy(dst, src, len < n ? len : n);
}

/* ---- table ------------------------------------------------------------ */

static CK_RV rescan_some(cid_provider *only);

static CK_RV rescan(void)
{
	return rescan_some(NULL);
}

CK_RV cid_slot_get(CK_SLOT_ID id, cid_slot **out)
{
	CK_RV rv = CKR_SLOT_ID_INVALID;
	bool scanned;

	/* A caller that kept slot ids from before C_Finalize may use them
	 * without listing slots first: build the table on first use. */
	cid_mutex_lock(cid_m.slots_lock);
	scanned = scanned_once;
	cid_mutex_unlock(cid_m.slots_lock);
	if (!scanned && rescan() != CKR_OK)
		return CKR_HOST_MEMORY;

	cid_mutex_lock(cid_m.slots_lock);
	slot_entry *e = id < UINT64_MAX - 1 ? cid_hmap_get(&by_id, (uint64_t)id + 1) : NULL;
	if (e != NULL) {
		*out = &e->s;
		rv = CKR_OK;
	}
	cid_mutex_unlock(cid_m.slots_lock);
	/* A removal a call without a session met (C_GetTokenInfo, say) is
	 * acted on here, before the slot is used again: its sessions end and
	 * the token is forgotten, so nothing opened next inherits the news. */
	if (rv == CKR_OK)
		cid_slot_forget_lost(*out);
	return rv;
}

/* Presence and can_create change under slots_lock (scans, C_InitToken). */
static bool slot_flag(cid_slot *s, bool free_place)
{
	bool v;

	cid_mutex_lock(cid_m.slots_lock);
	v = free_place ? s->can_create : entry_of(s)->present;
	cid_mutex_unlock(cid_m.slots_lock);
	return v;
}

bool cid_slot_present(cid_slot *s)
{
	return slot_flag(s, false);
}

bool cid_slot_is_free_place(cid_slot *s)
{
	return slot_flag(s, true);
}

static uint64_t place_hash(const cid_provider *prov, const char *key)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)(uintptr_t)prov;

	for (const char *c = key; *c != '\0'; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	return h == 0 || h == UINT64_MAX ? 1 : h;
}

static slot_entry *find_place(const cid_provider *prov, const char *key)
{
	for (slot_entry *e = cid_hmap_get(&by_place, place_hash(prov, key)); e != NULL; e = e->same_hash)
		if (e->s.prov == prov && strcmp(e->s.key, key) == 0)
			return e;
	/* A slot whose new key could not be hashed (cid_slot_moved_to). */
	for (size_t i = 0; slot_lookup_degraded && i < cid_m.nslots; i++)
		if (cid_m.slots[i]->prov == prov && strcmp(cid_m.slots[i]->key, key) == 0)
			return entry_of(cid_m.slots[i]);
	return NULL;
}

static void unchain_place(slot_entry *e)
{
	uint64_t ph = place_hash(e->s.prov, e->s.key);
	slot_entry *head = cid_hmap_get(&by_place, ph);

	if (head == e) {
		if (e->same_hash != NULL)
			(void)cid_hmap_put(&by_place, ph, e->same_hash);
		else
			cid_hmap_del(&by_place, ph);
	} else {
		for (slot_entry *p = head; p != NULL; p = p->same_hash)
			if (p->same_hash == e) {
				p->same_hash = e->same_hash;
				break;
			}
	}
	e->same_hash = NULL;
}

/* false (the slot then found by a walk instead) when out of memory. */
static bool chain_place(slot_entry *e)
{
	uint64_t ph = place_hash(e->s.prov, e->s.key);

	e->same_hash = cid_hmap_get(&by_place, ph);
	if (cid_hmap_put(&by_place, ph, e) != 0) {
		e->same_hash = NULL;
		return false;
	}
	return true;
}

void cid_slot_moved_to(cid_slot *slot, char *new_key)
{
	cid_mutex_lock(cid_m.slots_lock);
	unchain_place(entry_of(slot));
	free(slot->key);
	slot->key = new_key;
	if (!chain_place(entry_of(slot)))
		slot_lookup_degraded = true;
	slot->can_create = false;
	entry_of(slot)->present = true;
	cid_mutex_unlock(cid_m.slots_lock);
}

CK_RV cid_slot_token(cid_slot *slot, cid_tok **out)
{
	CK_RV rv;

	if (slot->tok == NULL) {
		if (!cid_slot_present(slot) || cid_slot_is_free_place(slot))
			return CKR_TOKEN_NOT_PRESENT;
		/* slot->key changes only with slot->lock held, which we hold. */
		rv = cid_tok_open(slot->prov, slot->key, &slot->lost, &slot->tok);
		if (rv != CKR_OK) {
			slot->tok = NULL;
			return rv;
		}
	}
	*out = slot->tok;
	return CKR_OK;
}

/* Slot ids.  Readers are numbered from 0 in the order they appear, so
 * that the first reader is slot 0, as people expect of readers.  Every
 * other place has a key that is the same in every load of the module (a
 * soft token's file name; the free soft place's fixed name), and its id is
 * derived from that key: a script's `--slot N` finds the same soft token
 * the next day, after other tokens were added, and the free slot keeps its
 * number too.  A token made in the free slot stays in that slot until
 * C_Finalize; from the next load on it has the id of its own file name, as
 * SoftHSM2's tokens are "reassigned" once.  Derived ids stay below 2^31
 * (some clients hold slot ids in an int) and above every reader number; a
 * collision, rare among 1.8 thousand million values, takes the next free
 * id. */
#define DERIVED_ID_BASE 0x10000000UL
#define DERIVED_ID_SPAN 0x70000000UL

static bool id_taken(CK_SLOT_ID id)
{
	return cid_hmap_get(&by_id, (uint64_t)id + 1) != NULL;
}

static CK_SLOT_ID new_slot_id(const cid_place *place)
{
	uint32_t h = 2166136261u; /* FNV-1a: stable across builds and hosts */
	CK_SLOT_ID id, n = 0;

	if (place->hardware) {
		for (size_t i = 0; i < cid_m.nslots; i++)
			n += cid_m.slots[i]->hardware;
		return n;
	}
	for (const char *c = place->key; *c != '\0'; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	id = DERIVED_ID_BASE + h % DERIVED_ID_SPAN;
	while (id_taken(id))
		id = DERIVED_ID_BASE + (id - DERIVED_ID_BASE + 1) % DERIVED_ID_SPAN;
	return id;
}

/* Room for one more slot in cid_m.slots. */
static bool reserve_slot(void)
{
	if (cid_m.nslots == slots_cap) {
		size_t ncap = slots_cap ? 2 * slots_cap : 16;
		cid_slot **grown = realloc(cid_m.slots, ncap * sizeof(*grown));

		if (grown == NULL)
			return false;
		cid_m.slots = grown;
		slots_cap = ncap;
	}
	return true;
}

static CK_RV append_slot(cid_provider *prov, const cid_place *place)
{
	slot_entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return CKR_HOST_MEMORY;
	e->s.key = strdup(place->key);
	if (e->s.key == NULL || !reserve_slot() || cid_mutex_new(&e->s.lock) != CKR_OK) {
		free(e->s.key);
		free(e);
		return CKR_HOST_MEMORY;
	}
	e->s.id = new_slot_id(place);
	e->s.prov = prov;
	if (cid_hmap_put(&by_id, (uint64_t)e->s.id + 1, e) != 0 || !chain_place(e)) {
		cid_hmap_del(&by_id, (uint64_t)e->s.id + 1);
		cid_mutex_free(&e->s.lock);
		free(e->s.key);
		free(e);
		return CKR_HOST_MEMORY;
	}
	cid_pad(e->s.description, sizeof(e->s.description), place->description);
	e->s.removable = place->removable;
	e->s.hardware = place->hardware;
	e->s.can_create = place->can_create;
	cid_hmap_init(&e->s.objects);
	cid_ix_init(&e->s.index);
	e->present = e->seen = e->seen_present = !place->absent;
	e->place_epoch = place->epoch;
	/* A token appearing later is an insertion; the free place is not. */
	e->event = scanned_once && e->present && !place->can_create;
	cid_m.slots[cid_m.nslots++] = &e->s;
	return CKR_OK;
}

typedef struct scan_ctx {
	cid_provider *prov;
} scan_ctx;

static CK_RV on_place(void *ctx, const cid_place *place)
{
	scan_ctx *sc = ctx;
	slot_entry *e = find_place(sc->prov, place->key);

	if (e != NULL) {
		e->seen = true;
		e->seen_present = !place->absent;
		e->seen_epoch = place->epoch;
		return CKR_OK;
	}
	return append_slot(sc->prov, place);
}

/* One provider's scan, with slots_lock held.  A failed scan changes
 * nothing: a transient error must not look like a removal. */
static void scan_provider(cid_provider *prov, cid_slot **gone, size_t *ngone)
{
	scan_ctx sc = { prov };
	size_t before = cid_m.nslots;
	CK_RV rv;

	for (size_t i = 0; i < before; i++) {
		slot_entry *e = entry_of(cid_m.slots[i]);

		e->seen = e->seen_present = false;
		e->seen_epoch = e->place_epoch;
	}
	if ((rv = cid_tok_scan(prov, on_place, &sc)) != CKR_OK)
		return;
	for (size_t i = 0; i < before; i++) {
		slot_entry *e = entry_of(cid_m.slots[i]);
		bool now = e->seen && e->seen_present;
		/* Another card in the same reader: the old one is gone. */
		bool replaced = e->seen_epoch != e->place_epoch;

		if (e->s.prov != prov || (now == e->present && !replaced))
			continue;
		if (e->present)
			gone[(*ngone)++] = &e->s;
		e->present = now;
		e->place_epoch = e->seen_epoch;
		e->event = true;
	}
}

/* A token that went away: its sessions end and its login state and
 * objects are dropped (P15), then the backend handle is released. */
static void forget_token(cid_slot *slot)
{
	CID_INFO("slot %lu: token removed", slot->id);
	cid_sessions_close_slot(slot);
	cid_mutex_lock(slot->lock);
	slot->epoch++;
	cid_objs_drop_all(slot);
	slot->objects_loaded = false;
	cid_tok_release(&slot->tok);
	/* Closing the sessions above may have asked the removed token for
	 * something and been told it is gone; that news is about the token
	 * just forgotten, not about the next one in the slot. */
	atomic_store(&slot->lost, false);
	cid_mutex_unlock(slot->lock);
}

void cid_slot_check_login(cid_slot *slot)
{
	if (slot->tok == NULL || !cid_tok_login_lost(slot->tok))
		return;
	CID_INFO("slot %lu: the token no longer holds the user login (reset elsewhere)", slot->id);
	(void)cid_objs_login_changed(slot);
}

void cid_slot_forget_lost(cid_slot *slot)
{
	if (atomic_exchange(&slot->lost, false))
		forget_token(slot);
}

/* Scans one provider (only, when not NULL) or all of them. */
static CK_RV rescan_some(cid_provider *only)
{
	cid_slot **gone;
	size_t ngone = 0;

	cid_mutex_lock(cid_m.slots_lock);
	gone = calloc(cid_m.nslots + 1, sizeof(*gone));
	if (gone == NULL) {
		cid_mutex_unlock(cid_m.slots_lock);
		return CKR_HOST_MEMORY;
	}
	for (size_t i = 0; i < cid_m.nproviders; i++)
		if (only == NULL || cid_m.providers[i] == only)
			scan_provider(cid_m.providers[i], gone, &ngone);
	if (only == NULL)
		scanned_once = true;
	cid_mutex_unlock(cid_m.slots_lock);

	for (size_t i = 0; i < ngone; i++)
		forget_token(gone[i]);
	free(gone);
	return CKR_OK;
}

static void drop_snapshots(void)
{
	for (size_t i = 0; i < 2; i++) {
		free(snapshot[i].ids);
		snapshot[i].ids = NULL;
		snapshot[i].n = 0;
		snapshot[i].valid = false;
	}
}

void cid_slots_stop_waits(void)
{
	const struct timespec pause = { 0, 5 * 1000L * 1000L };

	while (atomic_load(&waiters) > 0)
		nanosleep(&pause, NULL);
}

void cid_slots_free(bool abandon)
{
	if (abandon) {
		/* A forked child: the slots, their locks and tokens are the
		 * parent's.  Forget them (the caller keeps them reachable);
		 * the snapshot arrays are only ours and get replaced. */
		snapshot[0].valid = snapshot[1].valid = false;
		scanned_once = false;
		atomic_store(&waiters, 0);
		cid_m.slots = NULL;
		cid_m.nslots = 0;
		abandoned_maps[0] = by_id;
		abandoned_maps[1] = by_place;
		abandoned_maps_kept = abandoned_maps;
		cid_hmap_init(&by_id);
		cid_hmap_init(&by_place);
		slots_cap = 0;
		slot_lookup_degraded = false;
		return;
	}

	cid_slots_stop_waits();
	for (size_t i = 0; i < cid_m.nslots; i++) {
		cid_slot *s = cid_m.slots[i];

		cid_mutex_lock(s->lock);
		cid_objs_drop_all(s);
		cid_tok_release(&s->tok);
		cid_mutex_unlock(s->lock);
		cid_hmap_free(&s->objects);
		cid_mutex_free(&s->lock);
		free(s->key);
		free(entry_of(s));
	}
	free(cid_m.slots);
	cid_m.slots = NULL;
	cid_m.nslots = 0;
	slots_cap = 0;
	cid_hmap_free(&by_id);
	cid_hmap_free(&by_place);
	slot_lookup_degraded = false;
	drop_snapshots();
	scanned_once = false;
}

/* ---- C_GetSlotList, C_GetSlotInfo ------------------------------------- */

/* With slots_lock held. */
static CK_RV take_snapshot(bool token_present)
{
	CK_SLOT_ID *ids = calloc(cid_m.nslots + 1, sizeof(*ids));
	size_t n = 0;

	if (ids == NULL)
		return CKR_HOST_MEMORY;
	for (size_t i = 0; i < cid_m.nslots; i++)
		if (!token_present || entry_of(cid_m.slots[i])->present)
			ids[n++] = cid_m.slots[i]->id;
	free(snapshot[token_present].ids);
	snapshot[token_present].ids = ids;
	snapshot[token_present].n = n;
	snapshot[token_present].valid = true;
	return CKR_OK;
}

/* The size query rescans and remembers the list; the call with a buffer
 * then reports that same list, so it cannot change between the two calls
 * (PKCS#11 5.5, C_GetSlotList). */
static bool have_snapshot(bool present)
{
	bool valid;

	cid_mutex_lock(cid_m.slots_lock);
	valid = snapshot[present].valid;
	cid_mutex_unlock(cid_m.slots_lock);
	return valid;
}

static CK_RV fill_slot_list(bool present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_RV rv = CKR_OK;

	/* A caller that skips the size query gets a fresh list. */
	if (!have_snapshot(present))
		rv = rescan();
	if (rv != CKR_OK)
		return rv;
	cid_mutex_lock(cid_m.slots_lock);
	if (!snapshot[present].valid)
		rv = take_snapshot(present);
	if (rv == CKR_OK) {
		size_t n = snapshot[present].n;

		if (*count < n) {
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			if (n > 0)
				memcpy(list, snapshot[present].ids, n * sizeof(*list));
			snapshot[present].valid = false;
		}
		*count = n;
	}
	cid_mutex_unlock(cid_m.slots_lock);
	return rv;
}

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
	bool present = tokenPresent != CK_FALSE;
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && pulCount == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv != CKR_OK)
		return rv;

	if (pSlotList != NULL)
		return fill_slot_list(present, pSlotList, pulCount);

	rv = rescan();
	if (rv != CKR_OK)
		return rv;
	cid_mutex_lock(cid_m.slots_lock);
	rv = take_snapshot(present);
	if (rv == CKR_OK)
		*pulCount = snapshot[present].n;
	cid_mutex_unlock(cid_m.slots_lock);
	return rv;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	cid_slot *slot;
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && pInfo == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = cid_slot_get(slotID, &slot);
	if (rv != CKR_OK)
		return rv;
	/* A reader's presence flag must be true now, not as of the last slot
	 * list: NSS polls C_GetSlotInfo, never C_GetSlotList, to learn that a
	 * card was pulled or put back, and re-opens sessions only on a
	 * present slot.  One reader status query, for card readers only. */
	if (slot->removable && rescan_some(slot->prov) != CKR_OK)
		return CKR_HOST_MEMORY;

	memset(pInfo, 0, sizeof(*pInfo));
	memcpy(pInfo->slotDescription, slot->description, sizeof(pInfo->slotDescription));
	cid_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "careid");
	cid_mutex_lock(cid_m.slots_lock);
	if (entry_of(slot)->present)
		pInfo->flags |= CKF_TOKEN_PRESENT;
	cid_mutex_unlock(cid_m.slots_lock);
	if (slot->removable)
		pInfo->flags |= CKF_REMOVABLE_DEVICE;
	if (slot->hardware)
		pInfo->flags |= CKF_HW_SLOT;
	return CKR_OK;
}

/* ---- C_WaitForSlotEvent ------------------------------------------------ */

static bool take_event(CK_SLOT_ID *id)
{
	bool found = false;

	cid_mutex_lock(cid_m.slots_lock);
	for (size_t i = 0; i < cid_m.nslots && !found; i++) {
		slot_entry *e = entry_of(cid_m.slots[i]);

		if (e->event) {
			e->event = false;
			*id = e->s.id;
			found = true;
		}
	}
	cid_mutex_unlock(cid_m.slots_lock);
	return found;
}

/* Polls the providers: soft tokens have no insertion interrupts, and a
 * poll also notices C_Finalize from another thread within one period. */
static CK_RV wait_for_event(CK_FLAGS flags, CK_SLOT_ID *slot, unsigned gen)
{
	const struct timespec period = { 0, WAIT_POLL_MS * 1000L * 1000L };
	CK_RV rv;

	for (;;) {
		if (atomic_load(&cid_m.finalize_gen) != gen)
			return CKR_CRYPTOKI_NOT_INITIALIZED;
		rv = rescan();
		if (rv != CKR_OK)
			return rv;
		if (take_event(slot))
			return CKR_OK;
		if (flags & CKF_DONT_BLOCK)
			return CKR_NO_EVENT;
		nanosleep(&period, NULL);
	}
}

CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
{
	unsigned gen;
	CK_RV rv;

	atomic_fetch_add(&waiters, 1);
	gen = atomic_load(&cid_m.finalize_gen);
	rv = cid_enter();
	if (rv == CKR_OK && (pSlot == NULL || pReserved != NULL))
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = wait_for_event(flags, pSlot, gen);
	atomic_fetch_sub(&waiters, 1);
	return rv;
}
