/*
 * qs.c - finds one named value in a query string or a Cookie header.
 *
 * Both inputs come straight from the client, so every byte is hostile.
 * This file must never do I/O, keep state, log, or spend more than linear
 * time and QS_MAX_VALUE + 1 bytes of heap on any input: it is fuzzed.
 */
#include <stdlib.h>
#include <string.h>

#include "qs.h"

static int	qs_hex(unsigned char);
static int	qs_byte(const char *, size_t, size_t *);
static int	qs_key_is(const char *, size_t, const char *);
static int	qs_value(const char *, size_t, char **);
static int	utf8_valid(const unsigned char *, size_t);
static int	cookie_octet(unsigned char);
static int	cookie_value(const char *, const char *, char **);

/* ---- query strings ---------------------------------------------------- */

static int
qs_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes the form-encoded byte at s[*i] (*i < n) and steps past it.
 * Returns the byte, or -1 for a '%' not followed by two hex digits.
 */
static int
qs_byte(const char *s, size_t n, size_t *i)
{
	unsigned char	 c = (unsigned char)s[*i];
	int		 hi, lo;

	if (c == '+') {
		(*i)++;
		return ' ';
	}
	if (c != '%') {
		(*i)++;
		return c;
	}
	if (n - *i < 3)
		return -1;
	if ((hi = qs_hex((unsigned char)s[*i + 1])) == -1 ||
	    (lo = qs_hex((unsigned char)s[*i + 2])) == -1)
		return -1;
	*i += 3;
	return hi << 4 | lo;
}

/*
 * Returns 1 if the raw key k[0..n) decodes to exactly name, else 0.
 * Decoding on the fly keeps a query of many long keys from costing memory;
 * a key with a bad escape is someone else's malformed pair, so no match.
 */
static int
qs_key_is(const char *k, size_t n, const char *name)
{
	size_t	 i = 0, j = 0;
	int	 b;

	while (i < n) {
		if ((b = qs_byte(k, n, &i)) == -1)
			return 0;
		if (name[j] == '\0' || (unsigned char)name[j] != b)
			return 0;
		j++;
	}
	return name[j] == '\0';
}

/*
 * Returns 0 if s[0..n) is well-formed UTF-8 (RFC 3629: shortest form, no
 * surrogates, nothing above U+10FFFF), else -1.
 */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t		 i = 0, need, k;
	unsigned char	 c, lo, hi;

	while (i < n) {
		c = s[i];
		lo = 0x80;
		hi = 0xbf;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c == 0xe0) {
			need = 2;
			lo = 0xa0;
		} else if (c == 0xed) {
			need = 2;
			hi = 0x9f;	/* U+D800..DFFF are surrogates */
		} else if (c >= 0xe1 && c <= 0xef)
			need = 2;
		else if (c == 0xf0) {
			need = 3;
			lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3)
			need = 3;
		else if (c == 0xf4) {
			need = 3;
			hi = 0x8f;
		} else
			return -1;
		if (n - i - 1 < need)
			return -1;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return -1;
		for (k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return -1;
		i += need + 1;
	}
	return 0;
}

/*
 * Decodes the raw value v[0..n) into a new string in *out.
 * Returns 0, or -1 if it is malformed, too long, or malloc fails.
 */
static int
qs_value(const char *v, size_t n, char **out)
{
	char	*buf = NULL;
	size_t	 cap, i = 0, len = 0;
	int	 b;

	/* Decoding never grows a value, so the raw length bounds the buffer. */
	cap = n < QS_MAX_VALUE ? n : QS_MAX_VALUE;
	if ((buf = malloc(cap + 1)) == NULL)
		goto fail;
	while (i < n) {
		if ((b = qs_byte(v, n, &i)) == -1 || b == '\0')
			goto fail;
		if (len == cap)
			goto fail;	/* longer than QS_MAX_VALUE */
		buf[len++] = (char)b;
	}
	buf[len] = '\0';
	if (utf8_valid((unsigned char *)buf, len) == -1)
		goto fail;
	*out = buf;
	return 0;
fail:
	free(buf);
	return -1;
}

int
qs_get(const char *query, const char *name, char **out)
{
	const char	*p, *amp, *eq, *val = NULL;
	size_t		 plen, vlen = 0;
	int		 found = 0;

	*out = NULL;
	if (query == NULL || name == NULL)
		return 0;
	/*
	 * Walk every pair even after a match: a second occurrence makes the
	 * answer ambiguous, and ambiguity is refused rather than guessed.
	 */
	for (p = query; *p != '\0'; p = *amp == '\0' ? amp : amp + 1) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		plen = (size_t)(amp - p);
		if (plen == 0)
			continue;
		if ((eq = memchr(p, '=', plen)) == NULL)
			eq = amp;
		if (!qs_key_is(p, (size_t)(eq - p), name))
			continue;
		if (found)
			return -1;
		found = 1;
		val = eq == amp ? amp : eq + 1;
		vlen = (size_t)(amp - val);
	}
	if (!found)
		return 0;
	if (qs_value(val, vlen, out) == -1)
		return -1;
	return 1;
}

/* ---- cookies ---------------------------------------------------------- */

#define IS_OWS(c)	((c) == ' ' || (c) == '\t')

/*
 * RFC 6265 cookie-octet: visible ASCII except DQUOTE, comma, semicolon
 * and backslash. Holding values to it keeps quoting and header-splitting
 * tricks out of whatever reads the value next.
 */
static int
cookie_octet(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' &&
	    c != ';' && c != '\\';
}

/*
 * Copies the raw cookie value [v, end) into a new string in *out, without
 * surrounding whitespace and quotes. Returns 0, or -1 if it is malformed,
 * too long, or malloc fails.
 */
static int
cookie_value(const char *v, const char *end, char **out)
{
	const char	*q;
	size_t		 len;

	while (v < end && IS_OWS(*v))
		v++;
	while (end > v && IS_OWS(end[-1]))
		end--;
	if (v < end && *v == '"') {
		if (end - v < 2 || end[-1] != '"')
			return -1;
		v++;
		end--;
	}
	len = (size_t)(end - v);
	if (len > QS_MAX_VALUE)
		return -1;
	for (q = v; q < end; q++)
		if (!cookie_octet((unsigned char)*q))
			return -1;
	if ((*out = malloc(len + 1)) == NULL)
		return -1;
	memcpy(*out, v, len);
	(*out)[len] = '\0';
	return 0;
}

int
cookie_get(const char *header, const char *name, char **out)
{
	const char	*p, *semi, *eq, *ks, *ke;
	size_t		 namelen;

	*out = NULL;
	if (header == NULL || name == NULL)
		return 0;
	namelen = strlen(name);
	for (p = header; *p != '\0'; p = *semi == '\0' ? semi : semi + 1) {
		if ((semi = strchr(p, ';')) == NULL)
			semi = p + strlen(p);
		/* A pair without '=' has no name we could match: skip it. */
		if ((eq = memchr(p, '=', (size_t)(semi - p))) == NULL)
			continue;
		ks = p;
		ke = eq;
		while (ks < ke && IS_OWS(*ks))
			ks++;
		while (ke > ks && IS_OWS(ke[-1]))
			ke--;
		if ((size_t)(ke - ks) != namelen ||
		    memcmp(ks, name, namelen) != 0)
			continue;
		if (cookie_value(eq + 1, semi, out) == -1)
			return -1;
		return 1;
	}
	return 0;
}
