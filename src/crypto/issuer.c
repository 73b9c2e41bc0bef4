/* The issuer's certificate, as the module holds it: loaded once from the
 * configured PEM file, then used to check the signatures the issuer put on
 * lifecycle records.  Only the public key is ever needed here; the issuer's
 * private key belongs to the administration tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "crypto/internal.h"

struct cid_issuer {
	X509 *cert;
	EVP_PKEY *key;      /* the certificate's public key */
	int64_t not_after;
};

CK_RV cid_issuer_load(const char *path, cid_issuer **out)
{
	cid_issuer *iss;
	FILE *f;
	const ASN1_TIME *na;
	struct tm tm;

	*out = NULL;
	if (path == NULL || (f = fopen(path, "re")) == NULL) {
		CID_ERROR("issuer certificate %s cannot be opened", path ? path : "(none)");
		return CKR_GENERAL_ERROR;
	}
	if ((iss = calloc(1, sizeof(*iss))) == NULL) {
		fclose(f);
		return CID_OOM();
	}
	iss->cert = X509_new_ex(cid_libctx(), NULL);
	if (iss->cert == NULL || PEM_read_X509(f, &iss->cert, NULL, NULL) == NULL ||
	    (iss->key = X509_get_pubkey(iss->cert)) == NULL) {
		fclose(f);
		cid_issuer_free(&iss);
		CID_ERROR("issuer certificate %s is not a PEM X.509 certificate", path);
		return CKR_GENERAL_ERROR;
	}
	fclose(f);
	na = X509_get0_notAfter(iss->cert);
	if (na == NULL || !ASN1_TIME_to_tm(na, &tm)) {
		cid_issuer_free(&iss);
		CID_ERROR("issuer certificate %s has no readable end date", path);
		return CKR_GENERAL_ERROR;
	}
	iss->not_after = (int64_t)timegm(&tm);
	*out = iss;
	return CKR_OK;
}

void cid_issuer_free(cid_issuer **iss)
{
	if (iss == NULL || *iss == NULL)
		return;
	EVP_PKEY_free((*iss)->key);
	X509_free((*iss)->cert);
	free(*iss);
	*iss = NULL;
}

int64_t cid_issuer_not_after(const cid_issuer *iss)
{
	return iss->not_after;
}

CK_RV cid_issuer_verify(const cid_issuer *iss, const uint8_t *data, size_t len, const uint8_t *sig,
                        size_t siglen)
{
	EVP_MD_CTX *ctx;
	int ok;

	if (iss == NULL || data == NULL || sig == NULL || siglen == 0)
		return CKR_SIGNATURE_INVALID;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return CID_OOM();
	/* SHA-256 with whatever key the issuer has (ECDSA with a DER
	 * signature, or RSA PKCS#1 v1.5), as the tool signs. */
	ok = EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", cid_libctx(), NULL, iss->key, NULL) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? CKR_OK : CKR_SIGNATURE_INVALID;
}
