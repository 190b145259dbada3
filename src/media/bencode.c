/*
 * media/bencode.c -- bencode encoder and zero-copy decoder
 * (media/bencode.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>

#include "media/bencode.h"

void
bencode_init(struct bencode_buf *w, char *b, size_t cap)
{
	w->b = b;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

void
bencode_put_raw(struct bencode_buf *w, struct str s)
{
	if (w->overflow)
		return;
	if (s.len > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (s.len)
		memcpy(w->b + w->len, s.s, s.len);
	w->len += s.len;
}

static void
put_u64(struct bencode_buf *w, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	bencode_put_raw(w, str_make(tmp + n, sizeof(tmp) - n));
}

void
bencode_put_str(struct bencode_buf *w, struct str s)
{
	put_u64(w, s.len);
	bencode_put_raw(w, STR(":"));
	bencode_put_raw(w, s);
}

void
bencode_put_cstr(struct bencode_buf *w, const char *s)
{
	bencode_put_str(w, str_make(s, strlen(s)));
}

void
bencode_put_int(struct bencode_buf *w, int64_t v)
{
	bencode_put_raw(w, STR("i"));
	if (v < 0) {
		bencode_put_raw(w, STR("-"));
		put_u64(w, (uint64_t)0 - (uint64_t)v);
	} else
		put_u64(w, (uint64_t)v);
	bencode_put_raw(w, STR("e"));
}

void
bencode_open_dict(struct bencode_buf *w)
{
	bencode_put_raw(w, STR("d"));
}

void
bencode_open_list(struct bencode_buf *w)
{
	bencode_put_raw(w, STR("l"));
}

void
bencode_close(struct bencode_buf *w)
{
	bencode_put_raw(w, STR("e"));
}

/* ---- decoding ---------------------------------------------------- */

enum bencode_type
bencode_type(struct str v)
{
	if (v.len == 0)
		return BENCODE_NONE;
	switch (v.s[0]) {
	case 'i':
		return BENCODE_INT;
	case 'l':
		return BENCODE_LIST;
	case 'd':
		return BENCODE_DICT;
	default:
		return v.s[0] >= '0' && v.s[0] <= '9' ? BENCODE_STR :
							BENCODE_NONE;
	}
}

/*
 * A string's header "N:" at in[pos]: *slen gets N, *hdr the header's
 * length. Leading zeros are refused (canonical form), as is a length
 * past the input.
 */
static int
str_header(struct str in, size_t pos, size_t *hdr, size_t *slen)
{
	size_t i = pos, n = 0;

	if (i >= in.len || in.s[i] < '0' || in.s[i] > '9')
		return EBADMSG;
	if (in.s[i] == '0' && i + 1 < in.len && in.s[i + 1] != ':')
		return EBADMSG;
	while (i < in.len && in.s[i] >= '0' && in.s[i] <= '9') {
		if (i - pos >= 9) /* 1 GB: far beyond any datagram */
			return EBADMSG;
		n = n * 10 + (size_t)(in.s[i] - '0');
		i++;
	}
	if (i >= in.len || in.s[i] != ':')
		return EBADMSG;
	i++;
	if (n > in.len - i)
		return EBADMSG;
	*hdr = i - pos;
	*slen = n;
	return 0;
}

/* "i-?[0-9]+e" at in[pos]; *len gets its length. */
static int
int_len(struct str in, size_t pos, size_t *len)
{
	size_t i = pos + 1, digits = 0;

	if (i < in.len && in.s[i] == '-')
		i++;
	if (i < in.len && in.s[i] == '0' && i + 1 < in.len &&
	    in.s[i + 1] != 'e')
		return EBADMSG;
	while (i < in.len && in.s[i] >= '0' && in.s[i] <= '9') {
		if (++digits > 19)
			return EBADMSG;
		i++;
	}
	if (digits == 0 || i >= in.len || in.s[i] != 'e')
		return EBADMSG;
	*len = i + 1 - pos;
	return 0;
}

/*
 * Length of the value at in[pos]. Iterative over containers: a stack
 * of open containers bounded by BENCODE_MAX_DEPTH.
 */
static int
value_len_at(struct str in, size_t pos, size_t *len)
{
	size_t i = pos, h, n;
	unsigned depth = 0;
	/* For each open dictionary: is the next element a key? */
	bool is_dict[BENCODE_MAX_DEPTH], want_key[BENCODE_MAX_DEPTH];
	int err;

	do {
		if (i >= in.len)
			return EBADMSG;
		if (depth && in.s[i] == 'e') {
			if (is_dict[depth - 1] && !want_key[depth - 1])
				return EBADMSG; /* a key without value */
			depth--;
			i++;
			goto value_done;
		}
		if (depth && is_dict[depth - 1] && want_key[depth - 1] &&
		    bencode_type(str_make(in.s + i, in.len - i)) != BENCODE_STR)
			return EBADMSG;
		switch (in.s[i]) {
		case 'i':
			if ((err = int_len(in, i, &n)))
				return err;
			i += n;
			break;
		case 'l':
		case 'd':
			if (depth >= BENCODE_MAX_DEPTH)
				return ELOOP;
			is_dict[depth] = in.s[i] == 'd';
			want_key[depth] = true;
			depth++;
			i++;
			continue; /* its first element, or its 'e' */
		default:
			if ((err = str_header(in, i, &h, &n)))
				return err;
			i += h + n;
			break;
		}
value_done:
		if (depth && is_dict[depth - 1])
			want_key[depth - 1] = !want_key[depth - 1];
	} while (depth);
	*len = i - pos;
	return 0;
}

int
bencode_value_len(struct str in, size_t *len)
{
	return value_len_at(in, 0, len);
}

int
bencode_next(struct str v, struct bencode_iter *it, struct str *elem)
{
	size_t n;
	int err;

	if (v.len < 2 || (v.s[0] != 'l' && v.s[0] != 'd'))
		return EBADMSG;
	if (it->pos == 0)
		it->pos = 1;
	if (it->pos >= v.len)
		return EBADMSG;
	if (v.s[it->pos] == 'e')
		return ENOENT;
	if ((err = value_len_at(v, it->pos, &n)))
		return err;
	*elem = str_make(v.s + it->pos, n);
	it->pos += n;
	return 0;
}

int
bencode_dict_find(struct str dict, struct str key, struct str *val)
{
	struct bencode_iter it = { 0 };
	struct str k, v, ks;
	size_t total;
	int err;

	if (bencode_type(dict) != BENCODE_DICT)
		return EBADMSG;
	if ((err = bencode_value_len(dict, &total)))
		return err;
	if (total != dict.len)
		return EBADMSG;
	for (;;) {
		if ((err = bencode_next(dict, &it, &k)))
			return err;
		if ((err = bencode_next(dict, &it, &v)))
			return err == ENOENT ? EBADMSG : err;
		if (bencode_get_str(k, &ks))
			return EBADMSG;
		if (str_eq(ks, key)) {
			*val = v;
			return 0;
		}
	}
}

int
bencode_get_str(struct str v, struct str *out)
{
	size_t h, n;

	if (bencode_type(v) != BENCODE_STR || str_header(v, 0, &h, &n) ||
	    h + n != v.len)
		return EBADMSG;
	*out = str_make(v.s + h, n);
	return 0;
}

int
bencode_get_int(struct str v, int64_t *out)
{
	size_t n, i = 1;
	bool neg = false;
	uint64_t x = 0;

	if (bencode_type(v) != BENCODE_INT || int_len(v, 0, &n) || n != v.len)
		return EBADMSG;
	if (v.s[i] == '-') {
		neg = true;
		i++;
	}
	for (; v.s[i] != 'e'; i++) {
		uint64_t d = (uint64_t)(v.s[i] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return EBADMSG;
		x = x * 10 + d;
	}
	if (neg ? x > (uint64_t)INT64_MAX + 1 : x > (uint64_t)INT64_MAX)
		return EBADMSG;
	if (neg && x == 0)
		return EBADMSG; /* "i-0e" */
	*out = neg ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}
