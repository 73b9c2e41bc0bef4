/* The card's persistent memory: a small line-oriented text file.
 *
 * The file plays the part of the chip, so it is rewritten atomically (temp
 * file, fsync, rename, fsync of the directory) after every change: a test
 * that kills the card between two APDUs must find either the old or the new
 * contents, never a torn file.  The format is described in docs/vcard.md. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "policy/policy.h"
#include "vcard/vcard.h"

#define STATE_MAGIC "careid-vcard-state"
#define STATE_FORMAT 1
/* No legitimate line comes near this: the largest is a 4 KiB object in hex. */
#define LINE_MAX_BYTES (64 * 1024)

void vc_state_init(struct vc_state *st, const char *path)
{
	memset(st, 0, sizeof(*st));
	st->path = path;
}

void vc_state_free(struct vc_state *st)
{
	for (size_t i = 0; i < VC_MAX_KEYS; i++) {
		EVP_PKEY_free(st->keys[i].pkey);
		st->keys[i].pkey = NULL;
		st->keys[i].slot = 0;
	}
	for (size_t i = 0; i < VC_MAX_OBJS; i++) {
		free(st->objs[i].data);
		st->objs[i].data = NULL;
		st->objs[i].tag = 0;
	}
	OPENSSL_cleanse(&st->pin, sizeof(st->pin));
	OPENSSL_cleanse(&st->puk, sizeof(st->puk));
	OPENSSL_cleanse(st->mgmt_key, sizeof(st->mgmt_key));
}

struct vc_key *vc_key_get(struct vc_state *st, uint8_t slot)
{
	for (size_t i = 0; i < VC_MAX_KEYS; i++)
		if (st->keys[i].slot == slot && st->keys[i].pkey != NULL)
			return &st->keys[i];
	return NULL;
}

/* The entry for a slot, claiming a free one if needed. */
struct vc_key *vc_key_slot(struct vc_state *st, uint8_t slot)
{
	struct vc_key *k = vc_key_get(st, slot);

	if (k != NULL)
		return k;
	for (size_t i = 0; i < VC_MAX_KEYS; i++) {
		if (st->keys[i].slot == 0 || st->keys[i].pkey == NULL) {
			st->keys[i].slot = slot;
			return &st->keys[i];
		}
	}
	return NULL;
}

const struct vc_obj *vc_obj_get(const struct vc_state *st, uint32_t tag)
{
	for (size_t i = 0; i < VC_MAX_OBJS; i++)
		if (st->objs[i].tag == tag)
			return &st->objs[i];
	return NULL;
}

int vc_obj_set(struct vc_state *st, uint32_t tag, const uint8_t *v, size_t n)
{
	struct vc_obj *slot = NULL;
	uint8_t *copy = NULL;

	if (n > VC_OBJ_MAX)
		return -1;
	for (size_t i = 0; i < VC_MAX_OBJS && slot == NULL; i++)
		if (st->objs[i].tag == tag)
			slot = &st->objs[i];
	if (n == 0) {
		if (slot != NULL) {
			free(slot->data);
			memset(slot, 0, sizeof(*slot));
		}
		return 0;
	}
	for (size_t i = 0; i < VC_MAX_OBJS && slot == NULL; i++)
		if (st->objs[i].tag == 0)
			slot = &st->objs[i];
	if (slot == NULL || (copy = malloc(n)) == NULL)
		return -1;
	memcpy(copy, v, n);
	free(slot->data);
	slot->tag = tag;
	slot->data = copy;
	slot->len = n;
	return 0;
}

static void secret_hash(const uint8_t salt[16], const uint8_t padded[8], uint8_t out[32])
{
	uint8_t in[24];
	unsigned int olen = 32;

	memcpy(in, salt, 16);
	memcpy(in + 16, padded, 8);
	if (EVP_Digest(in, sizeof(in), out, &olen, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
	OPENSSL_cleanse(in, sizeof(in));
}

int vc_secret_set(struct vc_secret *s, const uint8_t padded[8])
{
	if (RAND_bytes(s->salt, sizeof(s->salt)) != 1)
		return -1;
	secret_hash(s->salt, padded, s->hash);
	s->tries = CID_POLICY_PIN_MAX_TRIES;
	s->is_default = false;
	return 0;
}

bool vc_secret_matches(const struct vc_secret *s, const uint8_t padded[8])
{
	uint8_t h[32];
	bool ok;

	secret_hash(s->salt, padded, h);
	ok = CRYPTO_memcmp(h, s->hash, sizeof(h)) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	return ok;
}

bool vc_pin_block_valid(const uint8_t padded[8])
{
	size_t n = 0;

	while (n < 8 && padded[n] != 0xFF)
		n++;
	for (size_t i = n; i < 8; i++)
		if (padded[i] != 0xFF)
			return false;
	return cid_policy_pin_format(padded, n) == CKR_OK;
}

bool vc_pin_block_from_text(const char *text, uint8_t padded[8])
{
	size_t n = strlen(text);

	if (cid_policy_pin_format((const CK_UTF8CHAR *)text, n) != CKR_OK)
		return false;
	memset(padded, 0xFF, 8);
	memcpy(padded, text, n);
	return true;
}

/* ---- writing ---- */

static void put_hex(FILE *f, const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", v[i]);
}

static void put_secret(FILE *f, const char *name, const struct vc_secret *s)
{
	fprintf(f, "%s %u ", name, s->tries);
	put_hex(f, s->salt, sizeof(s->salt));
	fputc(' ', f);
	put_hex(f, s->hash, sizeof(s->hash));
	fprintf(f, " %d\n", s->is_default ? 1 : 0);
}

static int put_key(FILE *f, const struct vc_key *k)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k->pkey);
	unsigned char *der = NULL;
	int n;

	if (p8 == NULL)
		return -1;
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (n <= 0)
		return -1;
	fprintf(f, "key %02x %02x %u %u ", k->slot, k->alg, k->pin_policy, k->origin);
	put_hex(f, der, (size_t)n);
	fputc('\n', f);
	OPENSSL_clear_free(der, (size_t)n);
	return 0;
}

static int write_all(FILE *f, const struct vc_state *st)
{
	fprintf(f, "%s %d\n", STATE_MAGIC, STATE_FORMAT);
	fprintf(f, "serial %u\n", st->serial);
	fprintf(f, "uuid %s\n", st->uuid);
	put_secret(f, "pin", &st->pin);
	put_secret(f, "puk", &st->puk);
	fprintf(f, "mgmt %02x ", st->mgmt_alg);
	put_hex(f, st->mgmt_key, st->mgmt_len);
	fprintf(f, " %d\n", st->mgmt_default ? 1 : 0);
	for (size_t i = 0; i < VC_MAX_KEYS; i++)
		if (st->keys[i].slot != 0 && st->keys[i].pkey != NULL &&
		    put_key(f, &st->keys[i]) != 0)
			return -1;
	for (size_t i = 0; i < VC_MAX_OBJS; i++) {
		if (st->objs[i].tag == 0)
			continue;
		fprintf(f, "obj %06x ", st->objs[i].tag);
		put_hex(f, st->objs[i].data, st->objs[i].len);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

static void fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (copy == NULL)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

int vc_state_save(const struct vc_state *st)
{
	char tmp[4096];
	FILE *f;
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", st->path) >= sizeof(tmp))
		return -1;
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "careid-vcard: cannot create %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	rc = write_all(f, st);
	if (fflush(f) != 0 || fsync(fd) != 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, st->path) != 0)
		rc = -1;
	if (rc != 0) {
		fprintf(stderr, "careid-vcard: cannot write state %s\n", st->path);
		unlink(tmp);
		return -1;
	}
	fsync_dir(st->path);
	return 0;
}

/* ---- reading ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex into a fresh buffer; NULL on bad input or n > max. */
static uint8_t *get_hex(const char *s, size_t max, size_t *n)
{
	size_t sl = strlen(s);
	uint8_t *out;

	if (sl % 2 != 0 || sl / 2 > max)
		return NULL;
	out = malloc(sl / 2 + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < sl / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = sl / 2;
	return out;
}

static int get_hex_exact(const char *s, uint8_t *dst, size_t want)
{
	size_t n = 0;
	uint8_t *v = get_hex(s, want, &n);

	if (v == NULL || n != want) {
		free(v);
		return -1;
	}
	memcpy(dst, v, want);
	OPENSSL_clear_free(v, n);
	return 0;
}

static int parse_secret(char **f, int nf, struct vc_secret *s)
{
	unsigned long tries;

	if (nf != 5)
		return -1;
	tries = strtoul(f[1], NULL, 10);
	if (tries > CID_POLICY_PIN_MAX_TRIES)
		return -1;
	s->tries = (uint8_t)tries;
	if (get_hex_exact(f[2], s->salt, 16) != 0 || get_hex_exact(f[3], s->hash, 32) != 0)
		return -1;
	s->is_default = strcmp(f[4], "1") == 0;
	return 0;
}

static int parse_key(struct vc_state *st, char **f, int nf)
{
	unsigned long slot, alg, pol, org;
	const unsigned char *q;
	PKCS8_PRIV_KEY_INFO *p8;
	struct vc_key *k;
	uint8_t *der;
	size_t n;

	if (nf != 6)
		return -1;
	slot = strtoul(f[1], NULL, 16);
	alg = strtoul(f[2], NULL, 16);
	pol = strtoul(f[3], NULL, 10);
	org = strtoul(f[4], NULL, 10);
	if (slot == 0 || slot > 0xFF || !piv_alg_is_asym((uint8_t)alg) || pol > 3 || org > 2)
		return -1;
	der = get_hex(f[5], LINE_MAX_BYTES, &n);
	if (der == NULL)
		return -1;
	q = der;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, (long)n);
	OPENSSL_clear_free(der, n);
	if (p8 == NULL)
		return -1;
	k = vc_key_slot(st, (uint8_t)slot);
	if (k == NULL) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return -1;
	}
	EVP_PKEY_free(k->pkey);
	k->pkey = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (k->pkey == NULL || piv_alg_of(k->pkey) != alg)
		return -1;
	k->alg = (uint8_t)alg;
	k->pin_policy = (uint8_t)pol;
	k->origin = (uint8_t)org;
	return 0;
}

static int parse_line(struct vc_state *st, char *line)
{
	char *f[8];
	int nf = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (nf == 8)
			return -1;
		f[nf++] = t;
	}
	if (nf == 0 || f[0][0] == '#')
		return 0;
	if (strcmp(f[0], "serial") == 0 && nf == 2) {
		st->serial = (uint32_t)strtoul(f[1], NULL, 10);
		return 0;
	}
	if (strcmp(f[0], "uuid") == 0 && nf == 2 && strlen(f[1]) == CID_POLICY_UUID_DIGITS) {
		memcpy(st->uuid, f[1], CID_POLICY_UUID_DIGITS + 1);
		return 0;
	}
	if (strcmp(f[0], "pin") == 0)
		return parse_secret(f, nf, &st->pin);
	if (strcmp(f[0], "puk") == 0)
		return parse_secret(f, nf, &st->puk);
	if (strcmp(f[0], "mgmt") == 0 && nf == 4) {
		size_t n = 0;
		uint8_t *v;

		st->mgmt_alg = (uint8_t)strtoul(f[1], NULL, 16);
		v = get_hex(f[2], sizeof(st->mgmt_key), &n);
		if (v == NULL || n != piv_mgmt_key_len(st->mgmt_alg)) {
			free(v);
			return -1;
		}
		memcpy(st->mgmt_key, v, n);
		OPENSSL_clear_free(v, n);
		st->mgmt_len = n;
		st->mgmt_default = strcmp(f[3], "1") == 0;
		return 0;
	}
	if (strcmp(f[0], "key") == 0)
		return parse_key(st, f, nf);
	if (strcmp(f[0], "obj") == 0 && nf == 3) {
		size_t n = 0;
		uint32_t tag = (uint32_t)strtoul(f[1], NULL, 16);
		uint8_t *v = get_hex(f[2], VC_OBJ_MAX, &n);
		int rc;

		if (v == NULL || tag == 0)
			return -1;
		rc = vc_obj_set(st, tag, v, n);
		free(v);
		return rc;
	}
	return -1;
}

int vc_state_load(struct vc_state *st)
{
	FILE *f = fopen(st->path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned lineno = 0;
	int rc = 1;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (got > LINE_MAX_BYTES) {
			rc = -1;
			break;
		}
		if (lineno == 1) {
			char want[64];

			snprintf(want, sizeof(want), "%s %d\n", STATE_MAGIC, STATE_FORMAT);
			if (strcmp(line, want) != 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (parse_line(st, line) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 1 && (lineno == 0 || strlen(st->uuid) != CID_POLICY_UUID_DIGITS ||
			st->mgmt_len == 0))
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "careid-vcard: %s: bad state file (line %u)\n", st->path, lineno);
	if (line != NULL)
		OPENSSL_clear_free(line, cap);
	fclose(f);
	return rc;
}
