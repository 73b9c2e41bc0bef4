/* Logging for the whole module.
 *
 * Destination and level come from the environment so that a user can get a
 * trace out of a client (Firefox, pkcs11-tool) without rebuilding anything:
 *   CAREID_LOG       = none | error | warn | info | debug   (default: warn)
 *   CAREID_LOG_FILE  = path to append to                     (default: stderr)
 *
 * Rule for every caller: never pass a passcode, PUK, unlock code or key
 * byte to these functions, not even its length when the length is itself a
 * secret-derived value.  Lengths of *rejected* input are fine to log.
 *
 * Lines at error, warn and info are read by the person at the keyboard or
 * by whoever supports them, so they name things as that person knows them
 * (a token by its label and serial, see cid_token_name) and say what
 * happened and what can be done, in words.  Internal function names appear
 * only in a debug trace (CAREID_LOG=debug), on every line of it. */
#ifndef CAREID_COMMON_LOG_H
#define CAREID_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
	CID_LOG_NONE = 0,
	CID_LOG_ERROR,
	CID_LOG_WARN,
	CID_LOG_INFO,
	CID_LOG_DEBUG,
} cid_log_level;

void cid_log(cid_log_level level, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool cid_log_enabled(cid_log_level level);
/* Re-read the environment; called from C_Initialize. */
void cid_log_setup(void);
/* Level named by the configuration file; ignored when CAREID_LOG is set. */
void cid_log_set_level(const char *name);

/* How a log line names a token:  token "123456789012" [serial 3f2a9c0d11e2b4a7]
 * label and serial are n bytes each, either blank-padded PKCS#11 fields or
 * C strings (trailing blanks and NULs are dropped); bytes that are not
 * printable ASCII, and '"', show as '?'.  Returns out. */
#define CID_TOKEN_NAME_LEN 96
const char *cid_token_name(char out[CID_TOKEN_NAME_LEN], const void *label, size_t label_len,
                           const void *serial, size_t serial_len);

/* Passcode outcomes, one warn line each, in the same words for every kind
 * of token.  token is a cid_token_name.  so_remedy says what can be done
 * once the SO passcode is blocked (it differs between soft tokens and
 * cards); the user passcode's remedy is always the sponsor's unblock.
 * The macros pass the caller's name on for a debug trace. */
typedef enum { CID_PASSCODE_USER, CID_PASSCODE_SO } cid_passcode_role;
/* A passcode was checked and was wrong; left < 0 when the token did not say
 * how many tries remain. */
#define CID_PASSCODE_WRONG(token, role, left, so_remedy) \
	cid_log_passcode_wrong(__func__, (token), (role), (left), (so_remedy))
/* Refused without a check: no tries were left. */
#define CID_PASSCODE_BLOCKED(token, role, so_remedy) \
	cid_log_passcode_blocked(__func__, (token), (role), (so_remedy))
/* Refused without a check and without spending a try: not 6 to 8 digits.
 * Only the length and the kind of fault are told, never a character. */
#define CID_PASSCODE_MALFORMED(token, role, pin, len) \
	cid_log_passcode_malformed(__func__, (token), (role), (pin), (len))
/* A new passcode refused for its format (not 6 to 8 digits), or, with
 * same_as_old, because it equals the current one. */
#define CID_NEW_PASSCODE_REFUSED(token, role, pin, len, same_as_old) \
	cid_log_new_passcode_refused(__func__, (token), (role), (pin), (len), (same_as_old))

void cid_log_passcode_wrong(const char *where, const char *token, cid_passcode_role role, long left,
                            const char *so_remedy);
void cid_log_passcode_blocked(const char *where, const char *token, cid_passcode_role role,
                              const char *so_remedy);
void cid_log_passcode_malformed(const char *where, const char *token, cid_passcode_role role,
                                const unsigned char *pin, unsigned long len);
void cid_log_new_passcode_refused(const char *where, const char *token, cid_passcode_role role,
                                  const unsigned char *pin, unsigned long len, bool same_as_old);

#define CID_ERROR(...) cid_log(CID_LOG_ERROR, __func__, __VA_ARGS__)
#define CID_WARN(...)  cid_log(CID_LOG_WARN, __func__, __VA_ARGS__)
#define CID_INFO(...)  cid_log(CID_LOG_INFO, __func__, __VA_ARGS__)
#define CID_DEBUG(...) cid_log(CID_LOG_DEBUG, __func__, __VA_ARGS__)

#endif
