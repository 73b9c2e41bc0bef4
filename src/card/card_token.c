/* One PIV card as a token: taking the card for an operation, the lazy
 * read of its contents, status, and the operations table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/card.h"
#include "card/card_int.h"
#include "card/tlv.h"
#include "common/log.h"
#include "common/mem.h"
#include "policy/policy.h"

void cid_card_cache_clear(void)
{
	card_cache_clear();
}

void card_forget_login(card_token *t)
{
	t->who = CARD_NOBODY;
	t->admin = false;
	cid_wipe(t->puk, sizeof(t->puk));
	t->puklen = 0;
	cid_wipe(t->ctx_pin, sizeof(t->ctx_pin));
	t->ctx_pinlen = 0;
}

CK_RV card_note(card_token *t, CK_RV rv)
{
	if (rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT) {
		char name[CID_TOKEN_NAME_LEN];
		bool was = t->removed;

		/* Removed first, so that naming the card sends it nothing. */
		t->removed = true;
		if (!was)
			CID_INFO("%s: removed from its reader", card_name(t, false, name));
		card_forget_login(t);
		return CKR_DEVICE_REMOVED;
	}
	return rv;
}

CK_RV card_begin(card_token *t, bool *reset)
{
	cid_piv_app app;
	CK_RV rv;

	if (reset != NULL)
		*reset = false;
	cid_mutex_lock(t->lock);
	if (t->removed) {
		cid_mutex_unlock(t->lock);
		return CKR_DEVICE_REMOVED;
	}
	rv = cid_io_begin(t->io);
	if (rv == CKR_OK && t->io->resets != t->seen_resets) {
		/* Someone reset the card: the application must be selected
		 * again and nothing we had verified holds any more. */
		bool had = t->who != CARD_NOBODY || t->admin || t->ctx_pinlen > 0;

		t->seen_resets = t->io->resets;
		card_forget_login(t);
		t->pin_tries = CID_PIV_TRIES_UNKNOWN;
		if (reset != NULL)
			*reset = had;
		rv = cid_piv_select(t->io, &app);
		if (rv != CKR_OK)
			cid_io_end(t->io);
	}
	if (rv != CKR_OK) {
		rv = card_note(t, rv);
		cid_mutex_unlock(t->lock);
	}
	return rv;
}

void card_end(card_token *t)
{
	cid_io_end(t->io);
	cid_mutex_unlock(t->lock);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Reads the key slots' certificates into a new snapshot. */
static CK_RV read_keys(card_token *t, card_data *d)
{
	for (size_t i = 0; i < CARD_NKEYS; i++) {
		card_key *k = &d->keys[i];
		uint8_t *der = NULL;
		uint8_t *obj = NULL;
		size_t len = 0, dl = 0;
		CK_RV rv = cid_piv_get_data(t->io, cid_piv_cert_tag(k->ref), &obj, &len);

		if (rv == CKR_OBJECT_HANDLE_INVALID)
			continue;
		if (rv != CKR_OK)
			return rv;
		rv = cid_piv_cert_der(obj, len, &der, &dl);
		if (rv == CKR_OK)
			rv = card_key_from_cert(k, der, dl);
		if (rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID)
			CID_WARN("the card's certificate for key %02X cannot be read (0x%lx); that key is not shown",
			         k->ref, (unsigned long)rv);
		if (rv == CKR_OK && k->ref == CID_PIV_KEY_AUTH)
			card_cert_uuid(k->cert, k->certlen, d->uuid);
		free(der);
		free(obj);
	}
	return CKR_OK;
}

CK_RV card_ensure_data(card_token *t)
{
	uint8_t *chuid = NULL;
	size_t clen = 0;
	card_data *d;
	char ident[64];
	CK_RV rv;

	if (t->data != NULL)
		return CKR_OK;
	d = card_data_new();
	if (d == NULL)
		return CKR_HOST_MEMORY;
	rv = cid_piv_get_data(t->io, CID_PIV_OBJ_CHUID, &chuid, &clen);
	if (rv == CKR_OK)
		d->have_guid = cid_piv_chuid_guid(chuid, clen, d->guid) == CKR_OK;
	free(chuid);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_OK;
	if (rv == CKR_OK) {
		rv = cid_piv_get_serial(t->io, &d->serial);
		d->have_serial = rv == CKR_OK;
		if (rv == CKR_FUNCTION_NOT_SUPPORTED)
			rv = CKR_OK;
	}
	if (rv != CKR_OK) {
		card_data_unref(&d);
		return card_note(t, rv);
	}
	ident[0] = '\0';
	if (d->have_guid)
		hex(d->guid, 16, ident);
	if (d->have_guid || d->have_serial)
		snprintf(ident + strlen(ident), sizeof(ident) - strlen(ident), "/%lu",
		         d->have_serial ? (unsigned long)d->serial : 0ul);
	if (ident[0] != '\0' && (t->data = card_cache_get(ident)) != NULL) {
		card_data_unref(&d);
		CID_DEBUG("card %s known: contents from the cache", ident);
		/* Out of the reader, it may have been changed elsewhere. */
		return card_recheck(t);
	}
	memcpy(d->ident, ident, sizeof(d->ident));
	d->have_version = cid_piv_get_version(t->io, d->version) == CKR_OK;
	rv = read_keys(t, d);
	if (rv == CKR_OK)
		rv = card_read_record(t, d);
	if (rv != CKR_OK) {
		card_data_unref(&d);
		return card_note(t, rv);
	}
	/* A card without GUID or serial cannot be told apart from another:
	 * it is read again each time it is opened. */
	if (ident[0] != '\0')
		card_cache_put(d);
	t->data = d;
	return CKR_OK;
}

void card_refresh_tries(card_token *t)
{
	int tries = CID_PIV_TRIES_UNKNOWN;
	CK_RV rv = cid_piv_verify(t->io, CID_PIV_REF_PIN, NULL, 0, &tries);

	if (rv == CKR_OK)
		t->pin_tries = CID_POLICY_PIN_MAX_TRIES;  /* verified: the counter is full */
	else if (tries != CID_PIV_TRIES_UNKNOWN)
		t->pin_tries = tries;
	else
		(void)card_note(t, rv);
}

/* PIV cannot tell the PUK's tries without spending one; cards with
 * Yubico's metadata extension can (tag 06: tries in all, tries left).
 * Asked once per token: a card without it keeps its PUK count unknown. */
void card_refresh_puk_tries(card_token *t)
{
	uint8_t m[64];
	size_t ml = 0;
	cid_tlv r;

	t->puk_asked = true;
	if (cid_piv_metadata(t->io, CID_PIV_REF_PUK, m, sizeof(m), &ml) == CKR_OK &&
	    cid_tlv_find(m, ml, 0x06, &r) == CKR_OK && r.len == 2)
		t->puk_tries = r.val[1];
}

static void pad(void *dst, size_t n, const char *s)
{
	size_t l = strlen(s);

	memset(dst, ' ', n);
	memcpy(dst, s, l < n ? l : n);
}

static unsigned clamp(int tries, unsigned max)
{
	return tries < 0 ? max : (unsigned)tries > max ? max : (unsigned)tries;
}

/* P13: the label shows the holder's UUID. */
static void label_text(const card_data *d, char out[40])
{
	if (d->uuid[0] != '\0')
		snprintf(out, 40, "%s", d->uuid);
	else if (d->have_guid)
		hex(d->guid, 16, out);
	else
		snprintf(out, 40, "PIV card");
}

void card_serial_text(const card_data *d, char out[40])
{
	if (d->have_serial)
		snprintf(out, 40, "%lu", (unsigned long)d->serial);
	else if (d->have_guid)
		hex(d->guid, 8, out);
	else
		snprintf(out, 40, "0");
}

const char *card_name(card_token *t, bool may_read, char *out)
{
	char label[40], serial[40];

	/* Read now if it never was and the caller allows it: the name is
	 * wanted on paths that tell a person about their card, never on the
	 * hot ones. */
	if (may_read && t->data == NULL && !t->removed)
		(void)card_ensure_data(t);
	if (t->data == NULL) {
		snprintf(out, CID_TOKEN_NAME_LEN, "the card");
		return out;
	}
	label_text(t->data, label);
	card_serial_text(t->data, serial);
	return cid_token_name(out, label, strlen(label), serial, strlen(serial));
}

static CK_RV card_status(cid_token *tok, cid_token_status *st)
{
	card_token *t = (card_token *)tok;
	char text[40];
	CK_RV rv;

	if (st == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(st, 0, sizeof(*st));
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	rv = card_ensure_data(t);
	if (rv == CKR_OK && t->pin_tries == CID_PIV_TRIES_UNKNOWN)
		card_refresh_tries(t);
	if (rv == CKR_OK && t->puk_tries == CID_PIV_TRIES_UNKNOWN && !t->puk_asked)
		card_refresh_puk_tries(t);
	if (rv == CKR_OK && t->removed)
		rv = CKR_DEVICE_REMOVED;
	if (rv != CKR_OK) {
		card_end(t);
		return rv;
	}
	label_text(t->data, text);
	pad(st->label, sizeof(st->label), text);
	card_serial_text(t->data, text);
	pad(st->serial, sizeof(st->serial), text);
	pad(st->manufacturer, sizeof(st->manufacturer), "careid");
	pad(st->model, sizeof(st->model), "PIV card");
	if (t->data->have_version) {
		st->fw_version.major = t->data->version[0];
		st->fw_version.minor = t->data->version[1];
	}
	st->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED;
	st->flags |= cid_policy_pin_flags(clamp(t->pin_tries, CID_POLICY_PIN_MAX_TRIES),
	                                  CID_POLICY_PIN_MAX_TRIES, false);
	if (t->puk_tries != CID_PIV_TRIES_UNKNOWN)
		st->flags |= cid_policy_pin_flags(clamp(t->puk_tries, CID_POLICY_SO_PIN_MAX_TRIES),
		                                  CID_POLICY_SO_PIN_MAX_TRIES, true);
	st->min_pin_len = CID_POLICY_PIN_MIN_LEN;
	st->max_pin_len = CID_POLICY_PIN_MAX_LEN;
	card_end(t);
	return CKR_OK;
}

static void card_release(cid_token *tok)
{
	card_token *t = (card_token *)tok;

	if (t == NULL)
		return;
	card_forget_login(t);
	card_data_unref(&t->data);
	free(t->trail_dir);
	if (t->io != NULL)
		t->io->ops->release(t->io);
	cid_mutex_free(&t->lock);
	cid_wipe(t, sizeof(*t));
	free(t);
}

static const struct cid_token_ops card_token_ops = {
	.status = card_status,
	.login = card_login,
	.logout = card_logout,
	.init_token = card_init_token,
	.init_pin = card_init_pin,
	.set_pin = card_set_pin,
	.changed = card_changed,
	.load_objects = card_load_objects,
	.create_object = card_create_object,
	.update_object = card_update_object,
	.destroy_object = card_destroy_object,
	.get_record = card_get_record,
	.put_record = card_put_record,
	.audit = card_audit_event,
	.key_op = card_key_op,
	.generate_keypair = card_generate_keypair,
	.check_login = card_check_login,
	/* No random: GET CHALLENGE is not part of PIV, so the host RNG serves. */
	.random = NULL,
	.release = card_release,
};

CK_RV cid_card_token_keep_trail(cid_token *tok, const char *dir)
{
	card_token *t = (card_token *)tok;
	char *d = NULL;

	if (t == NULL || (dir != NULL && (d = strdup(dir)) == NULL))
		return t == NULL ? CKR_ARGUMENTS_BAD : CKR_HOST_MEMORY;
	free(t->trail_dir);
	t->trail_dir = d;
	return CKR_OK;
}

CK_RV cid_card_token_open(cid_card_io *io, cid_token **out)
{
	card_token *t;
	cid_piv_app app;
	CK_RV rv;

	if (io == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		io->ops->release(io);
		return CKR_HOST_MEMORY;
	}
	if (cid_mutex_new(&t->lock) != CKR_OK) {
		free(t);
		io->ops->release(io);
		return CKR_CANT_LOCK;
	}
	t->base.ops = &card_token_ops;
	t->io = io;
	t->seen_resets = io->resets;
	t->pin_tries = CID_PIV_TRIES_UNKNOWN;
	t->puk_tries = CID_PIV_TRIES_UNKNOWN;
	rv = cid_piv_select(io, &app);
	if (rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT)
		rv = CKR_TOKEN_NOT_PRESENT;
	else if (rv != CKR_OK && rv != CKR_TOKEN_NOT_RECOGNIZED && rv != CKR_HOST_MEMORY)
		rv = CKR_TOKEN_NOT_RECOGNIZED;
	if (rv != CKR_OK) {
		card_release(&t->base);
		return rv;
	}
	/* Transports may count a reset during SELECT itself. */
	t->seen_resets = io->resets;
	*out = &t->base;
	return CKR_OK;
}
