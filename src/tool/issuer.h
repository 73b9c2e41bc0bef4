/* The issuer: the registration authority's certificate authority, which
 * certifies the two key pairs of every card (P6) under the holder's UUID
 * (P13).
 *
 * A card's two certificates are made by one call, tool_issuer_issue_pair,
 * from the two public keys read off the token (SubjectPublicKeyInfo DER, as
 * CKA_PUBLIC_KEY_INFO holds it), so that they share one notBefore and one
 * notAfter.  The rules every certificate follows:
 *   - notBefore is `now` in whole seconds (UTC); notAfter is the same
 *     instant CID_POLICY_CERT_VALIDITY_YEARS calendar years later.  A
 *     29 February start ends on 28 February, the last day of that month:
 *     two years later is never a leap year, and ending on 1 March would run
 *     a day longer than two years;
 *   - refused (TOOL_ISSUER_PAST_ISSUER) when notAfter would pass the
 *     issuer's own notAfter, and (TOOL_ISSUER_NOT_YET) before its notBefore;
 *   - subject exactly O=<issuer_org>, OU=people, CN=<UUID>, the UUID being
 *     exactly CID_POLICY_UUID_DIGITS ASCII digits, and nothing else: no
 *     name (P13);
 *   - a random positive 128-bit serial number;
 *   - basicConstraints CA:FALSE, keyUsage (critical) digitalSignature for
 *     the authentication certificate, nonRepudiation and digitalSignature
 *     for the signature certificate, extendedKeyUsage clientAuth on the
 *     authentication certificate only, subject and authority key
 *     identifiers (RFC 5280 method 1: SHA-1 of the public key bits).
 *
 * The issuer's key is a PEM file or an EC key on any PKCS#11 token
 * (signing with CKM_ECDSA over a digest made here).
 *
 * OpenSSL is used through the issuer's own library context (only the
 * default provider, no configuration file), never through the process's
 * default one, which the host's openssl.cnf configures. */
#ifndef CAREID_TOOL_ISSUER_H
#define CAREID_TOOL_ISSUER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct tool_issuer tool_issuer;

typedef enum {
	TOOL_ISSUER_OK = 0,
	TOOL_ISSUER_BAD_UUID,      /* not exactly 12 ASCII digits (P13) */
	TOOL_ISSUER_BAD_ARGUMENT,  /* a bad organisation, year count or directory path */
	TOOL_ISSUER_BAD_KEY,       /* a public key that is no SubjectPublicKeyInfo, a bad role */
	TOOL_ISSUER_PAST_ISSUER,   /* notAfter would pass the issuer's notAfter */
	TOOL_ISSUER_NOT_YET,       /* now is before the issuer's notBefore */
	TOOL_ISSUER_UNSUPPORTED,   /* an encrypted PEM key: not supported yet */
	TOOL_ISSUER_NOT_CONFIGURED,/* issuer_cert, issuer_key or issuer_org missing */
	TOOL_ISSUER_BAD_ISSUER,    /* unreadable files, not a CA, key and certificate differ,
	                            * a bad issuer_org */
	TOOL_ISSUER_EXISTS,        /* init: the directory already holds an issuer */
	TOOL_ISSUER_IO,            /* init: a directory or file could not be made */
	TOOL_ISSUER_CRYPTO,        /* OpenSSL failed (out of memory, no randomness) */
} tool_issuer_status;

/* The reason behind a status other than TOOL_ISSUER_OK, worded for the
 * person at the desk. */
typedef struct {
	char text[320];
} tool_issuer_why;

typedef enum {
	TOOL_CERT_AUTH, /* card key 9A, CKA_ID 01: authentication, clientAuth */
	TOOL_CERT_SIGN, /* card key 9C, CKA_ID 02: signature, nonRepudiation */
} tool_cert_role;

/* One issued certificate. */
typedef struct {
	uint8_t *der;
	size_t der_len;
	time_t not_before, not_after;
} tool_issued;

/* notBefore + CID_POLICY_CERT_VALIDITY_YEARS calendar years, with the rule
 * above for 29 February; exposed so that callers and tests name one rule. */
time_t tool_issuer_add_years(time_t t, int years);

/* Loads an issuer: cert_path a PEM CA certificate, key a PEM private key
 * file or a pkcs11: URI naming an EC key on a PKCS#11 token (issuer_p11.h
 * has the URI's attributes; the token stays logged in until
 * tool_issuer_free), org the O of the certificates it issues.  The
 * certificate must be a CA allowed to sign certificates, and the key must
 * be its key (for a token key: a signature it makes verifies under the
 * certificate). */
tool_issuer_status tool_issuer_load(const char *cert_path, const char *key, const char *org, tool_issuer **out,
                                    tool_issuer_why *why);
/* The same from the configuration (CAREID_CONF: issuer_cert, issuer_key,
 * issuer_org); TOOL_ISSUER_NOT_CONFIGURED when a key is missing. */
tool_issuer_status tool_issuer_load_config(tool_issuer **out, tool_issuer_why *why);
void tool_issuer_free(tool_issuer *iss);
/* The issuer certificate's own validity. */
time_t tool_issuer_not_before(const tool_issuer *iss);
time_t tool_issuer_not_after(const tool_issuer *iss);

/* One certificate for the public key spki (SubjectPublicKeyInfo DER).  On
 * TOOL_ISSUER_OK, out->der is the caller's, freed with tool_issued_free. */
tool_issuer_status tool_issuer_issue(const tool_issuer *iss, const uint8_t *spki, size_t spki_len, const char *uuid,
                                     tool_cert_role role, time_t now, tool_issued *out, tool_issuer_why *why);
/* A card's pair: out[0] the authentication certificate for auth_spki,
 * out[1] the signature certificate for sign_spki, with the same validity.
 * Either both are made or neither. */
tool_issuer_status tool_issuer_issue_pair(const tool_issuer *iss, const uint8_t *auth_spki, size_t auth_len,
                                          const uint8_t *sign_spki, size_t sign_len, const char *uuid, time_t now,
                                          tool_issued out[2], tool_issuer_why *why);
void tool_issued_free(tool_issued *c);

/* A demo issuer in dir: made 0700 when missing; issuer.key (a new P-256
 * key, PEM PKCS#8, created 0600 and never readable by others) and
 * issuer.pem (self-signed: O=<org>, OU=registration authority,
 * CN=<org> Care Identity issuer; CA:TRUE, pathlen 0, keyCertSign and
 * cRLSign, key identifiers), valid `years` calendar years from now.  Never
 * overwrites: TOOL_ISSUER_EXISTS when either file is there.  On success
 * *cert_path and *key_path are the files' absolute paths (the caller
 * frees them).  years must be TOOL_ISSUER_MIN_YEARS..TOOL_ISSUER_MAX_YEARS. */
#define TOOL_ISSUER_MIN_YEARS     3
#define TOOL_ISSUER_MAX_YEARS     100
#define TOOL_ISSUER_DEFAULT_YEARS 20
tool_issuer_status tool_issuer_init(const char *dir, const char *org, int years, time_t now, char **cert_path,
                                    char **key_path, tool_issuer_why *why);

/* The issuer's signature over a lifecycle record's bytes (SHA-256 with its
 * key, as the module checks it; docs/lifecycle.md).  *sig is the caller's
 * (free). */
tool_issuer_status tool_issuer_sign(const tool_issuer *iss, const uint8_t *data, size_t len, uint8_t **sig,
                                    size_t *siglen);

/* The command line's exit status for st (docs/careid-tool.md): 1 for the
 * Care Identity refusals (P13 UUID, P6 past the issuer), 2 for a bad
 * command-line value, 4 for the rest. */
int tool_issuer_exit(tool_issuer_status st);

#endif
