/* Shared by the soft-token unit tests: the fixture (a fresh token directory
 * per test), object builders, and raw SQLite access to a token's file
 * standing in for an attacker or a second process. */
#ifndef CAREID_TESTS_SOFT_FIXTURE_H
#define CAREID_TESTS_SOFT_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "soft/soft.h"

#define SO_PIN "87654321"
#define USER_PIN "123456"
#define TEST_KDF_COST 10
#define MARK_LABEL "SECRET-LABEL-7f3a9c"
#define MARK_VALUE "SECRET-VALUE-b81e44"
#define MARK_EXP "SECRET-EXPONENT-55d0"
#define MARK_PUBLIC "PUBLIC-CERT-VALUE-0c1d"

typedef struct fx {
	char root[256];
	char dir[512];
	char path[PATH_MAX];
	cid_provider *p;
	cid_token *t;
	char *key;
} fx;

typedef struct seen {
	size_t n;
	uint64_t ids[64];
	cid_attrs a[64];
} seen;

void label32(CK_UTF8CHAR out[32], const char *s);
/* Inline, so that no external symbol shadows the C library's login(3). */
static inline CK_RV login(cid_token *t, CK_USER_TYPE who, const char *pin)
{
	return t->ops->login(t, who, (const CK_UTF8CHAR *)pin, pin ? strlen(pin) : 0);
}
CK_FLAGS flags(cid_token *t);
int64_t raw_int(const char *path, const char *sql);
int64_t raw_tries(const char *path, const char *which);
int raw_exec(const char *path, const char *sql);
void seen_clear(seen *s);
size_t load(cid_token *t, seen *s);
/* Index in s of the object with that id, or -1. */
int find_id(const seen *s, uint64_t id);
bool has_value(const cid_attrs *a, CK_ATTRIBUTE_TYPE t, const char *v);
void add_ulong(cid_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v);
void add_str(cid_attrs *a, CK_ATTRIBUTE_TYPE t, const char *v);
/* A private data object with markers in its label and value. */
void private_data(cid_attrs *a);
/* A key object marked public but holding a secret component. */
void public_rsa_private_key(cid_attrs *a);
void public_cert(cid_attrs *a, const char *label);
uint64_t create(cid_token *t, cid_attrs *a);
cid_token *open_again(fx *f);
/* A new token with the user passcode set and nobody logged in. */
void make_token(fx *f, bool with_user);
int setup(void **state);
int teardown(void **state);

#endif
