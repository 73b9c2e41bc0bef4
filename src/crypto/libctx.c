/* careid's own OpenSSL library context.
 *
 * The rule: every algorithm, key, certificate and random byte of careid
 * comes from this context, never from OpenSSL's default one.  The module
 * is a guest in other people's processes, and the default context belongs
 * to the host: its configuration file, its engines, its providers.  A host
 * may even load pkcs11-provider with careid behind it, so a SHA-256 fetched
 * from the default context during C_Login would call back into careid
 * while careid holds that slot's lock, and hang for ever.
 *
 * Only OpenSSL's built-in default provider is loaded here, by name; no
 * configuration file is read for this context and no exit handler is left
 * behind.  It is made on first use, not when the module is loaded, and it
 * lives as long as the process: a
 * forked child inherits it (OpenSSL re-seeds its generators after fork)
 * and freeing it at exit would race with the host's own use of libcrypto. */
#include <pthread.h>

#include <openssl/crypto.h>
#include <openssl/provider.h>

#include "common/log.h"
#include "crypto/internal.h"

static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *ctx;

static void ctx_init(void)
{
	OSSL_LIB_CTX *c;

	/* Were careid the first user of libcrypto in the process, OpenSSL
	 * would register its cleanup with atexit: a handler of the host's
	 * process installed by a guest.  The library's memory is the
	 * process's to reclaim at exit. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	c = OSSL_LIB_CTX_new();

	if (c == NULL || OSSL_PROVIDER_load(c, "default") == NULL) {
		cid_ossl_fail(__func__, "OpenSSL's default provider in careid's own context");
		OSSL_LIB_CTX_free(c);
		return;
	}
	ctx = c;
}

OSSL_LIB_CTX *cid_libctx(void)
{
	pthread_once(&ctx_once, ctx_init);
	return ctx;
}
