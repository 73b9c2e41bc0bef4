/* A borrowed run of bytes, one of several hashed or bound together. */
#ifndef CAREID_COMMON_PIECE_H
#define CAREID_COMMON_PIECE_H

#include <stddef.h>

typedef struct cid_piece {
	const void *p;
	size_t len;
} cid_piece;

#endif
