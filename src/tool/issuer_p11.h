/* An issuer key on a PKCS#11 token, named by a pkcs11: URI (RFC 7512):
 *   pkcs11:token=LABEL;object=LABEL;id=%01;type=private
 *          ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/path
 * Path attributes used: token, serial (which token; at least one of them),
 * object and id (which private key; at least one), type (private when
 * given).  Query attributes: module-path (required: the module to load),
 * pin-source (file:PATH or an absolute PATH whose first line is the user
 * PIN; needed when the token wants a login).  pin-value is refused, so
 * that no PIN sits in a configuration file line.  Only EC keys are used,
 * with CKM_ECDSA over a digest computed here. */
#ifndef CAREID_TOOL_ISSUER_P11_H
#define CAREID_TOOL_ISSUER_P11_H

#include <stddef.h>
#include <stdint.h>

#include "tool/issuer.h"

typedef struct issuer_p11 issuer_p11;

/* Loads the module, logs in and finds the key.  TOOL_ISSUER_BAD_ISSUER
 * with the reason for everything that goes wrong. */
tool_issuer_status issuer_p11_open(const char *uri, issuer_p11 **out, tool_issuer_why *why);
/* ECDSA over digest: *siglen in, the buffer's size; out, the length of
 * r || s.  0 on success. */
int issuer_p11_sign(issuer_p11 *k, const uint8_t *digest, size_t dlen, uint8_t *sig, size_t *siglen);
void issuer_p11_close(issuer_p11 *k);

#endif
