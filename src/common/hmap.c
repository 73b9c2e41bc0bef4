#include <stdlib.h>

#include "common/hmap.h"

#define TOMB UINT64_MAX

void cid_hmap_init(cid_hmap *m)
{
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->used = m->filled = 0;
}

void cid_hmap_free(cid_hmap *m)
{
	free(m->keys);
	free(m->vals);
	cid_hmap_init(m);
}

static size_t hash(uint64_t k)
{
	/* Handles are sequential; a multiplicative mix spreads them. */
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k;
}

static size_t probe(const cid_hmap *m, uint64_t key, int *found)
{
	size_t mask = m->cap - 1, i = hash(key) & mask, tomb = SIZE_MAX;

	for (;;) {
		if (m->keys[i] == key) {
			*found = 1;
			return i;
		}
		if (m->keys[i] == 0) {
			*found = 0;
			return tomb != SIZE_MAX ? tomb : i;
		}
		if (m->keys[i] == TOMB && tomb == SIZE_MAX)
			tomb = i;
		i = (i + 1) & mask;
	}
}

static int grow(cid_hmap *m)
{
	size_t cap = m->used * 4 >= m->cap ? (m->cap ? m->cap * 2 : 16) : m->cap;
	cid_hmap n = { calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(void *)), cap, 0, 0 };

	if (n.keys == NULL || n.vals == NULL) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		int found;
		size_t j;

		if (m->keys[i] == 0 || m->keys[i] == TOMB)
			continue;
		j = probe(&n, m->keys[i], &found);
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.used++;
		n.filled++;
	}
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

int cid_hmap_put(cid_hmap *m, uint64_t key, void *val)
{
	int found;
	size_t i;

	if (key == 0 || key == TOMB)
		return -1;
	if ((m->filled + 1) * 4 >= m->cap * 3 && grow(m) != 0)
		return -1;
	i = probe(m, key, &found);
	if (!found) {
		if (m->keys[i] == 0)
			m->filled++;
		m->used++;
		m->keys[i] = key;
	}
	m->vals[i] = val;
	return 0;
}

void *cid_hmap_get(const cid_hmap *m, uint64_t key)
{
	int found;
	size_t i;

	if (m->cap == 0 || key == 0 || key == TOMB)
		return NULL;
	i = probe(m, key, &found);
	return found ? m->vals[i] : NULL;
}

void *cid_hmap_del(cid_hmap *m, uint64_t key)
{
	int found;
	size_t i;
	void *v;

	if (m->cap == 0 || key == 0 || key == TOMB)
		return NULL;
	i = probe(m, key, &found);
	if (!found)
		return NULL;
	v = m->vals[i];
	m->keys[i] = TOMB;
	m->vals[i] = NULL;
	m->used--;
	return v;
}

int cid_hmap_next(const cid_hmap *m, size_t *pos, uint64_t *key, void **val)
{
	while (*pos < m->cap) {
		size_t i = (*pos)++;

		if (m->keys[i] != 0 && m->keys[i] != TOMB) {
			if (key != NULL)
				*key = m->keys[i];
			if (val != NULL)
				*val = m->vals[i];
			return 1;
		}
	}
	return 0;
}
