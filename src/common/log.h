/* Logging for the whole module.
 *
 * Destination and level come from the environment so that a user can get a
 * trace out of a client (Firefox, pkcs11-tool) without rebuilding anything:
 *   CAREID_LOG       = none | error | warn | info | debug   (default: warn)
 *   CAREID_LOG_FILE  = path to append to                     (default: stderr)
 *
 * Rule for every caller: never pass a passcode, PUK, unlock code or key
 * byte to these functions, not even its length when the length is itself a
 * secret-derived value.  Lengths of *rejected* input are fine to log. */
#ifndef CAREID_COMMON_LOG_H
#define CAREID_COMMON_LOG_H

#include <stdbool.h>

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

#define CID_ERROR(...) cid_log(CID_LOG_ERROR, __func__, __VA_ARGS__)
#define CID_WARN(...)  cid_log(CID_LOG_WARN, __func__, __VA_ARGS__)
#define CID_INFO(...)  cid_log(CID_LOG_INFO, __func__, __VA_ARGS__)
#define CID_DEBUG(...) cid_log(CID_LOG_DEBUG, __func__, __VA_ARGS__)

#endif
