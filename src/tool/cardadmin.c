/* The card management key and PUK for RA work on a card (issue onto a
 * card), from the file that card_admin_file names in the configuration
 * (mode 0600; the module never opens it).  Either
 *     mgmt_key = <hex: 24 bytes (3DES or AES-192), 16 or 32 (AES)>
 *     puk = <6 to 8 digits>
 * one key for every card, or
 *     master_key = <hex, 32 bytes or more>
 * from which each card's key and PUK are derived with its serial, by the
 * NIST SP 800-108 key derivation in counter mode with HMAC-SHA256 (OpenSSL's
 * KBKDF): the key from label "careid card management key", the PUK from
 * label "careid card PUK" (8 bytes, each taken modulo 10), the context
 * being the card's serial as C_GetTokenInfo shows it.  Nothing of it is
 * logged; everything is wiped after use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "common/config.h"
#include "tool/cardadmin.h"

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1] && n < cap) {
		int hi = hexval(s[0]), lo = hexval(s[1]);
		if (hi < 0 || lo < 0)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return *s ? 0 : n;
}

static int kbkdf(const uint8_t *key, size_t klen, const char *label, const char *context, uint8_t *out, size_t n)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, (char *)"counter", 0),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, (char *)"HMAC", 0),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, klen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label, strlen(label)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)context, strlen(context)),
		OSSL_PARAM_construct_end(),
	};
	int ok = kctx != NULL && EVP_KDF_derive(kctx, out, n, p) == 1;

	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

int tool_card_admin(const char *serial, tool_card_secrets *out, char *why, size_t whylen)
{
	cid_config cfg;
	FILE *f = NULL;
	char line[512];
	uint8_t master[128];
	size_t mlen = 0;
	struct stat st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (cid_config_load(&cfg) != CKR_OK) {
		snprintf(why, whylen, "the configuration cannot be read");
		return -1;
	}
	if (cfg.card_admin_file == NULL) {
		snprintf(why, whylen, "no card_admin_file in the configuration: the card's management key and PUK "
		                      "are needed (careid.conf(5))");
		goto out;
	}
	if ((f = fopen(cfg.card_admin_file, "re")) == NULL || fstat(fileno(f), &st) != 0) {
		snprintf(why, whylen, "%s cannot be read", cfg.card_admin_file);
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(why, whylen, "%s is readable by others: it must be mode 0600", cfg.card_admin_file);
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *k = line, *v = strchr(line, '='), *e;

		if (v == NULL)
			continue;
		*v++ = '\0';
		while (*k == ' ' || *k == '\t')
			k++;
		e = k + strlen(k);
		while (e > k && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, " \t\r\n#")] = '\0';
		if (strcmp(k, "mgmt_key") == 0)
			out->mgmt_len = unhex(v, out->mgmt, sizeof(out->mgmt));
		else if (strcmp(k, "puk") == 0 && strlen(v) >= 6 && strlen(v) <= 8 && strspn(v, "0123456789") == strlen(v))
			snprintf(out->puk, sizeof(out->puk), "%s", v);
		else if (strcmp(k, "master_key") == 0)
			mlen = unhex(v, master, sizeof(master));
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (mlen >= 32) {
		uint8_t d[8];

		if (kbkdf(master, mlen, "careid card management key", serial, out->mgmt, 24) != 0 ||
		    kbkdf(master, mlen, "careid card PUK", serial, d, sizeof(d)) != 0) {
			snprintf(why, whylen, "the card's keys could not be derived");
			goto out;
		}
		out->mgmt_len = 24;
		for (size_t i = 0; i < sizeof(d); i++)
			out->puk[i] = (char)('0' + d[i] % 10);
		out->puk[sizeof(d)] = '\0';
		OPENSSL_cleanse(d, sizeof(d));
	}
	if ((out->mgmt_len != 16 && out->mgmt_len != 24 && out->mgmt_len != 32) || out->puk[0] == '\0') {
		snprintf(why, whylen, "%s holds neither mgmt_key and puk nor a master_key of 32 bytes or more",
		         cfg.card_admin_file);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(master, sizeof(master));
	if (rc != 0)
		tool_card_secrets_wipe(out);
	if (f != NULL)
		fclose(f);
	cid_config_free(&cfg);
	return rc;
}

void tool_card_secrets_wipe(tool_card_secrets *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}
