/* renew (the holder alone, P7/P8, or in person), repair (P9) and cancel
 * (P10): the procedures that replace a token's keys, certificates and
 * lifecycle record.  Each asks the rules (src/policy/lifecycle.c) before
 * touching the token; new keys and certificates are stored before the old
 * ones go, so that a failure half-way never leaves the holder without a
 * working pair. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "careid/careid.h"

#include "tool/cardadmin.h"
#include "tool/json.h"
#include "tool/keywork.h"
#include "tool/register.h"
#include "tool/tool.h"

/* CKA_IDs the new pair has until the old one is gone. */
#define NEW_AUTH 0x11
#define NEW_SIGN 0x12

typedef struct {
	const char *pass, *so, *newpass;
	bool in_person;
} proc_args;

enum { O_PASS = 0x100, O_SO, O_NEW, O_PERSON };

static int parse(tool_ctx *ctx, const char *cmd, int argc, char **argv, proc_args *a, void (*help)(void),
                 bool takes_person)
{
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "passcode-file", required_argument, NULL, O_PASS },
		{ "so-passcode-file", required_argument, NULL, O_SO },
		{ "new-passcode-file", required_argument, NULL, O_NEW },
		{ "in-person", no_argument, NULL, O_PERSON },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (tool_common_option(ctx, c, optarg))
			continue;
		if (c == 'h') {
			help();
			return -1;
		} else if (c == O_PASS) {
			a->pass = optarg;
		} else if (c == O_SO) {
			a->so = optarg;
		} else if (c == O_NEW) {
			a->newpass = optarg;
		} else if (c == O_PERSON && takes_person) {
			a->in_person = true;
		} else {
			tool_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		tool_usage_error(cmd, "unexpected argument '%s' (passcodes are read from files)", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

static int refuse(const cid_verdict *v, const char *what)
{
	char when[32];

	if (v->allowed_from) {
		tool_iso8601(v->allowed_from, when);
		tool_error("%s refused by %s: %s; allowed from %s", what, v->rule ? v->rule : "the rules", v->why, when);
	} else {
		tool_error("%s refused by %s: %s", what, v->rule ? v->rule : "the rules", v->why);
	}
	return v->rv == CKR_ARGUMENTS_BAD ? EXIT_USAGE : EXIT_REFUSED;
}

/* The token, its record and the issuer: what every procedure starts from.
 * On a card (*card set) also the RA's management key and PUK for it. */
static int start(tool_ctx *ctx, cid_lifecycle *r, tool_issuer **iss, bool *card, tool_card_secrets *sec)
{
	tool_issuer_why why;
	tool_issuer_status st;
	char reason[256];
	bool found = false;
	int rc;

	*iss = NULL;
	memset(sec, 0, sizeof(*sec));
	if ((rc = tool_load(ctx)) != 0 || (rc = tool_pick_token(ctx)) != 0)
		return rc;
	*card = strcmp(tool_backend(ctx), "card") == 0;
	if (*card && tool_card_admin(ctx->serial, sec, reason, sizeof(reason)) != 0) {
		tool_error("%s", reason);
		return EXIT_OTHER;
	}
	if ((rc = tool_read_record(ctx, r, &found)) != 0)
		return rc;
	if (!found) {
		tool_error("token %s has no lifecycle record: it is a plain token, issued again with "
		           "'careid-tool issue'", ctx->label);
		return EXIT_REFUSED;
	}
	if ((st = tool_issuer_load_config(iss, &why)) != TOOL_ISSUER_OK) {
		tool_error("%s", why.text);
		return tool_issuer_exit(st);
	}
	return EXIT_DONE;
}

/* The card's management key beside the current login. */
static int admin(tool_ctx *ctx, CK_SESSION_HANDLE s, const tool_card_secrets *sec)
{
	return tool_ck(ctx, "the management key",
	               ctx->f->C_Login(s, CKU_CAREID_CARD_ADMIN, (CK_UTF8CHAR *)sec->mgmt, (CK_ULONG)sec->mgmt_len));
}

static int open_rw(tool_ctx *ctx, CK_SESSION_HANDLE *s)
{
	return tool_ck(ctx, "C_OpenSession",
	               ctx->f->C_OpenSession(ctx->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s));
}

/* Destroys the objects with CKA_ID id (every class), or all keys and
 * certificates when id is 0. */
static int destroy_ids(tool_ctx *ctx, CK_SESSION_HANDLE s, CK_BYTE id)
{
	CK_OBJECT_HANDLE found[64];
	CK_ULONG n = 0;
	CK_ATTRIBUTE by_id = { CKA_ID, &id, 1 };
	CK_OBJECT_CLASS classes[] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_CERTIFICATE };
	int rc = 0;

	for (size_t c = 0; rc == 0 && c < (id ? 1 : 3); c++) {
		CK_ATTRIBUTE by_class = { CKA_CLASS, &classes[c], sizeof(classes[c]) };

		rc = tool_ck(ctx, "finding objects", ctx->f->C_FindObjectsInit(s, id ? &by_id : &by_class, 1));
		if (rc == 0) {
			rc = tool_ck(ctx, "finding objects", ctx->f->C_FindObjects(s, found, 64, &n));
			ctx->f->C_FindObjectsFinal(s);
		}
		for (CK_ULONG i = 0; rc == 0 && i < n; i++)
			rc = tool_ck(ctx, "destroying an old object", ctx->f->C_DestroyObject(s, found[i]));
	}
	return rc;
}

static int destroy_certs(tool_ctx *ctx, CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE by = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE found[16];
	CK_ULONG n = 0;
	int rc = tool_ck(ctx, "finding certificates", ctx->f->C_FindObjectsInit(s, &by, 1));

	if (rc == 0) {
		rc = tool_ck(ctx, "finding certificates", ctx->f->C_FindObjects(s, found, 16, &n));
		ctx->f->C_FindObjectsFinal(s);
	}
	for (CK_ULONG i = 0; rc == 0 && i < n; i++)
		rc = tool_ck(ctx, "destroying a certificate", ctx->f->C_DestroyObject(s, found[i]));
	return rc;
}

/* The new pair and its certificates take the old pair's CKA_IDs. */
static int take_ids(tool_ctx *ctx, CK_SESSION_HANDLE s, CK_BYTE from, CK_BYTE to)
{
	CK_OBJECT_HANDLE found[8];
	CK_ULONG n = 0;
	CK_ATTRIBUTE by = { CKA_ID, &from, 1 }, set = { CKA_ID, &to, 1 };
	int rc = tool_ck(ctx, "finding the new objects", ctx->f->C_FindObjectsInit(s, &by, 1));

	if (rc == 0) {
		rc = tool_ck(ctx, "finding the new objects", ctx->f->C_FindObjects(s, found, 8, &n));
		ctx->f->C_FindObjectsFinal(s);
	}
	for (CK_ULONG i = 0; rc == 0 && i < n; i++)
		rc = tool_ck(ctx, "renaming a new object", ctx->f->C_SetAttributeValue(s, found[i], &set, 1));
	return rc;
}

/* With the holder logged in: a new pair and its two certificates in place
 * of the old.  A card's slots 9A and 9C are overwritten where they are; a
 * soft token keeps the old pair until the new one is stored.  *end is the
 * new certificates' notAfter. */
static int replace_pair(tool_ctx *ctx, CK_SESSION_HANDLE s, const tool_issuer *iss, const char *uuid, bool card,
                        time_t now, int64_t *end)
{
	tool_issued certs[2] = { 0 };
	int rc = tool_new_pair(ctx, s, iss, uuid, card ? 0x01 : NEW_AUTH, card ? 0x02 : NEW_SIGN, now, certs);

	if (rc == 0)
		*end = (int64_t)certs[0].not_after;
	tool_issued_free(&certs[0]);
	tool_issued_free(&certs[1]);
	if (rc == 0 && !card)
		rc = destroy_ids(ctx, s, 0x01);
	if (rc == 0 && !card)
		rc = destroy_ids(ctx, s, 0x02);
	if (rc == 0 && !card)
		rc = take_ids(ctx, s, NEW_AUTH, 0x01);
	if (rc == 0 && !card)
		rc = take_ids(ctx, s, NEW_SIGN, 0x02);
	return rc;
}

static int done(tool_ctx *ctx, const char *what, const cid_lifecycle *r)
{
	char end[32];

	tool_iso8601(r->certs_end, end);
	if (ctx->json) {
		json_t *o = json_object();

		json_object_set_new(o, "uuid", json_string(r->uuid));
		json_object_set_new(o, what, json_true());
		json_object_set_new(o, "certificates_end", r->cancelled ? json_null() : json_string(end));
		json_object_set_new(o, "self_renewals_used", json_integer(r->self_renewals));
		return tool_json_emit(o);
	}
	if (r->cancelled)
		printf("token %s cancelled: every login is refused and its keys are destroyed\n", r->uuid);
	else
		printf("token %s %s: new certificates until %s, %u of %d self-renewals used\n", r->uuid, what, end,
		       r->self_renewals, CID_POLICY_MAX_SELF_RENEWALS);
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_OTHER;
}

/* ---- renew ------------------------------------------------------------ */

static void renew_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] renew [--in-person] [--passcode-file F] [--so-passcode-file F]\n"
	       "Renew the token's two certificates: new key pairs made on the token, new\n"
	       "two-year certificates from the issuer, the old ones removed once the new\n"
	       "ones are stored, and a new lifecycle record.  The holder alone (their\n"
	       "passcode) renews only within 90 days of the end (P7), twice between two\n"
	       "in-person issues (P8); refused with the rule and the date it opens.\n"
	       "--in-person: the sponsor too (--so-passcode-file) at the desk, at any\n"
	       "time before the end; it starts the count of self-renewals again (P8).\n"
	       "Ended certificates need 'careid-tool repair' (P9).\n");
}

int cmd_renew(tool_ctx *ctx, int argc, char **argv)
{
	proc_args a;
	cid_lifecycle r;
	tool_issuer *iss = NULL;
	tool_card_secrets sec;
	tool_secret pin, so;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	time_t now = time(NULL);
	int64_t end = 0;
	bool card = false;
	int rc = parse(ctx, "renew", argc, argv, &a, renew_help, true);

	if (rc != 0)
		return rc < 0 ? EXIT_DONE : rc;
	memset(&sec, 0, sizeof(sec));
	if ((rc = start(ctx, &r, &iss, &card, &sec)) != 0 || (rc = tool_register_check(&r, !a.in_person)) != 0)
		goto out_issuer;
	if (!a.in_person) {
		cid_verdict v = cid_lifecycle_may_self_renew(&r, (int64_t)now);

		if (v.rv != CKR_OK) {
			rc = refuse(&v, "self-renewal");
			goto out_issuer;
		}
	} else {
		cid_verdict v = cid_lifecycle_login(&r, (int64_t)now);

		if (v.rv == CKR_OK && (r.certs_end == 0 || (int64_t)now >= r.certs_end))
			v = (cid_verdict){ CKR_FUNCTION_REJECTED, "P9", "the certificates have ended: the card needs repair", 0 };
		if (v.rv != CKR_OK) {
			rc = refuse(&v, "renewal");
			goto out_issuer;
		}
	}
	memset(&so, 0, sizeof(so));
	rc = tool_secret_read(&pin, a.pass, "Passcode: ", "--passcode-file");
	/* On a card the RA's keys stand for the sponsor. */
	if (rc == 0 && a.in_person && !card)
		rc = tool_secret_read(&so, a.so, "Sponsor's SO passcode: ", "--so-passcode-file");
	if (rc == 0)
		rc = open_rw(ctx, &s);
	if (rc == 0)
		rc = tool_ck(ctx, "the holder's login", ctx->f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin.buf, pin.len));
	if (rc == 0 && card)
		rc = admin(ctx, s, &sec);
	if (rc == 0)
		rc = replace_pair(ctx, s, iss, r.uuid, card, now, &end);
	if (rc == 0) {
		cid_lifecycle_renewed(&r, end, a.in_person, (int64_t)now);
		if (a.in_person && !card) {
			rc = tool_ck(ctx, "C_Logout", ctx->f->C_Logout(s));
			if (rc == 0)
				rc = tool_ck(ctx, "the SO login", ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)so.buf, so.len));
		}
	}
	/* The holder writes the record of a self-renewal on a soft token: the
	 * issuer's signature is what the module checks. */
	if (rc == 0)
		rc = tool_write_record(ctx, s, iss, &r);
	if (s != CK_INVALID_HANDLE) {
		(void)ctx->f->C_Logout(s);
		ctx->f->C_CloseSession(s);
	}
	if (rc == 0)
		rc = done(ctx, "renewed", &r);
	tool_secret_wipe(&pin);
	tool_secret_wipe(&so);
out_issuer:
	tool_card_secrets_wipe(&sec);
	tool_issuer_free(iss);
	return rc;
}

/* ---- repair ----------------------------------------------------------- */

static void repair_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] repair [--so-passcode-file F] [--new-passcode-file F]\n"
	       "Sponsor, in person (P9): every key and certificate of the token is\n"
	       "replaced by a new pair and two new two-year certificates, and the holder\n"
	       "types a new passcode at the desk (--new-passcode-file).  For a token whose\n"
	       "certificates have ended, or that must start over; refused on a cancelled\n"
	       "token (P10) or one past its access end (P11, P12).\n");
}

int cmd_repair(tool_ctx *ctx, int argc, char **argv)
{
	proc_args a;
	cid_lifecycle r;
	cid_verdict v;
	tool_issuer *iss = NULL;
	tool_card_secrets sec;
	tool_secret so, pin;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	time_t now = time(NULL);
	int64_t end = 0;
	bool card = false;
	int rc = parse(ctx, "repair", argc, argv, &a, repair_help, false);

	if (rc != 0)
		return rc < 0 ? EXIT_DONE : rc;
	memset(&sec, 0, sizeof(sec));
	if ((rc = start(ctx, &r, &iss, &card, &sec)) != 0 || (rc = tool_register_check(&r, false)) != 0)
		goto out_issuer;
	if ((v = cid_lifecycle_login(&r, (int64_t)now)).rv != CKR_OK) {
		rc = refuse(&v, "repair");
		goto out_issuer;
	}
	memset(&pin, 0, sizeof(pin));
	memset(&so, 0, sizeof(so));
	if (card) {
		snprintf(so.buf, sizeof(so.buf), "%s", sec.puk);
		so.len = strlen(so.buf);
	} else {
		rc = tool_secret_read(&so, a.so, "SO passcode: ", "--so-passcode-file");
	}
	if (rc == 0)
		rc = tool_secret_new(&pin, a.newpass, "passcode for the holder", "--new-passcode-file");
	if (rc == 0)
		rc = open_rw(ctx, &s);
	if (rc == 0)
		rc = tool_ck(ctx, "the SO login", ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)so.buf, so.len));
	if (rc == 0)
		rc = tool_ck(ctx, "setting the holder's passcode", ctx->f->C_InitPIN(s, (CK_UTF8CHAR *)pin.buf, pin.len));
	if (rc == 0)
		rc = tool_ck(ctx, "C_Logout", ctx->f->C_Logout(s));
	if (rc == 0)
		rc = tool_ck(ctx, "the holder's login", ctx->f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin.buf, pin.len));
	if (rc == 0 && card)
		rc = admin(ctx, s, &sec);
	if (rc == 0)
		rc = replace_pair(ctx, s, iss, r.uuid, card, now, &end);
	if (rc == 0 && !card) {
		rc = tool_ck(ctx, "C_Logout", ctx->f->C_Logout(s));
		if (rc == 0)
			rc = tool_ck(ctx, "the SO login", ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)so.buf, so.len));
	}
	if (rc == 0) {
		cid_lifecycle_repaired(&r, end, (int64_t)now);
		rc = tool_write_record(ctx, s, iss, &r);
	}
	if (s != CK_INVALID_HANDLE) {
		(void)ctx->f->C_Logout(s);
		ctx->f->C_CloseSession(s);
	}
	if (rc == 0)
		rc = done(ctx, "repaired", &r);
	tool_secret_wipe(&so);
	tool_secret_wipe(&pin);
out_issuer:
	tool_card_secrets_wipe(&sec);
	tool_issuer_free(iss);
	return rc;
}

/* ---- cancel ----------------------------------------------------------- */

static void cancel_help(void)
{
	printf("Usage: careid-tool [GLOBAL OPTIONS] cancel [--so-passcode-file F]\n"
	       "Sponsor (P10): a lost or stolen token is cancelled.  Its record says so,\n"
	       "signed by the issuer; the module then refuses every login to it, the\n"
	       "sponsor's too, and a soft token's keys are destroyed.  There is no way\n"
	       "back: the holder gets a new card ('careid-tool issue').\n");
}

/* A card keeps its keys until they are overwritten: with a PIN nobody
 * knows (random, then wiped), throwaway pairs are generated over 9A and 9C
 * and the certificates deleted, before the record says cancelled. */
static int wipe_card_keys(tool_ctx *ctx, CK_SESSION_HANDLE s, const tool_card_secrets *sec)
{
	unsigned char rnd[8];
	char pin[9];
	tool_key k;
	int rc;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		tool_error("no random numbers");
		return EXIT_OTHER;
	}
	for (size_t i = 0; i < 8; i++)
		pin[i] = (char)('0' + rnd[i] % 10);
	pin[8] = '\0';
	rc = tool_ck(ctx, "the PUK", ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)sec->puk, strlen(sec->puk)));
	if (rc == 0)
		rc = tool_ck(ctx, "setting a throwaway PIN", ctx->f->C_InitPIN(s, (CK_UTF8CHAR *)pin, 8));
	if (rc == 0)
		rc = tool_ck(ctx, "C_Logout", ctx->f->C_Logout(s));
	if (rc == 0)
		rc = tool_ck(ctx, "the throwaway login", ctx->f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, 8));
	if (rc == 0)
		rc = admin(ctx, s, sec);
	if (rc == 0)
		rc = destroy_certs(ctx, s);
	if (rc == 0)
		rc = tool_keypair(ctx, s, 0x01, "cancelled", &k);
	if (rc == 0)
		rc = tool_keypair(ctx, s, 0x02, "cancelled", &k);
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rc;
}

int cmd_cancel(tool_ctx *ctx, int argc, char **argv)
{
	proc_args a;
	cid_lifecycle r;
	tool_issuer *iss = NULL;
	tool_card_secrets sec;
	tool_secret so;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	bool card = false;
	int rc = parse(ctx, "cancel", argc, argv, &a, cancel_help, false);

	if (rc != 0)
		return rc < 0 ? EXIT_DONE : rc;
	memset(&sec, 0, sizeof(sec));
	memset(&so, 0, sizeof(so));
	if ((rc = start(ctx, &r, &iss, &card, &sec)) != 0)
		goto out_issuer;
	if (r.cancelled) {
		tool_error("token %s is cancelled already (P10)", ctx->label);
		rc = EXIT_REFUSED;
		goto out_issuer;
	}
	if (!card)
		rc = tool_secret_read(&so, a.so, "SO passcode: ", "--so-passcode-file");
	if (rc == 0)
		rc = open_rw(ctx, &s);
	if (rc == 0 && card)
		rc = admin(ctx, s, &sec);
	if (rc == 0 && card)
		rc = wipe_card_keys(ctx, s, &sec);
	if (rc == 0 && !card)
		rc = tool_ck(ctx, "the SO login", ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)so.buf, so.len));
	/* A soft token's keys go with the record (the module destroys them). */
	if (rc == 0) {
		cid_lifecycle_cancelled(&r);
		rc = tool_write_record(ctx, s, iss, &r);
	}
	if (s != CK_INVALID_HANDLE) {
		(void)ctx->f->C_Logout(s);
		ctx->f->C_CloseSession(s);
	}
	if (rc == 0)
		rc = done(ctx, "cancelled", &r);
	tool_secret_wipe(&so);
out_issuer:
	tool_card_secrets_wipe(&sec);
	tool_issuer_free(iss);
	return rc;
}
