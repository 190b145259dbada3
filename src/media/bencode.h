/*
 * media/bencode.h -- bencode (the BitTorrent encoding), as rtpengine's
 * "ng" control protocol uses it: byte strings "4:spam", integers
 * "i42e", lists "l...e" and dictionaries "d...e".
 *
 * The encoder appends to a caller's fixed buffer and records overflow
 * instead of writing past it (append unconditionally, check once).
 * The decoder is zero-copy and pull-style: it finds a key in an
 * encoded dictionary and returns a view of the encoded value, which
 * the typed getters decode. Every length is checked against what is
 * left of the input, nesting is bounded (BENCODE_MAX_DEPTH), and no
 * input makes it read outside the view it was given.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_MEDIA_BENCODE_H
#define CENTINELA_MEDIA_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define BENCODE_MAX_DEPTH 16

/* ---- encoding ---- */

struct bencode_buf {
	char *b;
	size_t cap;
	size_t len;
	bool overflow;
};

void bencode_init(struct bencode_buf *w, char *b, size_t cap);
/* "len:bytes" */
void bencode_put_str(struct bencode_buf *w, struct str s);
/* The same for a NUL-terminated C string. */
void bencode_put_cstr(struct bencode_buf *w, const char *s);
/* "iNe" */
void bencode_put_int(struct bencode_buf *w, int64_t v);
/* "d", "l" and the "e" that closes either. */
void bencode_open_dict(struct bencode_buf *w);
void bencode_open_list(struct bencode_buf *w);
void bencode_close(struct bencode_buf *w);
/* Raw bytes (the ng cookie and its space). */
void bencode_put_raw(struct bencode_buf *w, struct str s);

/* ---- decoding ---- */

enum bencode_type {
	BENCODE_NONE = 0,
	BENCODE_STR,
	BENCODE_INT,
	BENCODE_LIST,
	BENCODE_DICT
};

/* Type of the value at the start of "v" (BENCODE_NONE: none or bad). */
enum bencode_type bencode_type(struct str v);

/*
 * Length of the one complete value at the start of "in" into *len.
 * Returns 0, EBADMSG (malformed, or truncated) or ELOOP (nested deeper
 * than BENCODE_MAX_DEPTH).
 */
int bencode_value_len(struct str in, size_t *len);

/*
 * In the dictionary "dict" (exactly one encoded dictionary, nothing
 * after it), find the value of key "key": *val gets a view of its
 * encoding. Returns 0, ENOENT (no such key) or the errors of
 * bencode_value_len() for a malformed dictionary (a key that is not a
 * string, trailing bytes).
 */
int bencode_dict_find(struct str dict, struct str key, struct str *val);

/* Decode an encoded string / integer. 0 or EBADMSG (another type). */
int bencode_get_str(struct str v, struct str *out);
int bencode_get_int(struct str v, int64_t *out);

/*
 * Iterate over the elements of the list (or the keys and values of
 * the dictionary, alternately) in "v". Start with *it = {0}; each call
 * stores the next encoded element in *elem and returns 0, ENOENT at
 * the end, or EBADMSG.
 */
struct bencode_iter {
	size_t pos;
};
int bencode_next(struct str v, struct bencode_iter *it, struct str *elem);

#endif /* CENTINELA_MEDIA_BENCODE_H */
