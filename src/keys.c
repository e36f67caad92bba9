/*
 * keys.c - loads and parses the key file into a key ring.
 *
 * The only file in the token code that does I/O, and only to read the one
 * key file it is given.  Secrets live in sodium_malloc() memory (guarded,
 * locked, read-only once loaded) and are wiped on free.  Must never copy a
 * secret, or any text from a line it refuses, into an error message: a
 * line missing its kid is a bare secret.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
keyring_kid_valid(const char *s, size_t n)
{
	size_t	i;

	if (s == NULL || n == 0 || n > KEY_KID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/*
 * Splits one line (without its '\n') into its two fields.  Returns 0 for a
 * key line, 1 for a blank or comment line, -1 for anything else.
 */
static int
split_line(const char *line, size_t len, const char **kid, size_t *kidlen,
    const char **sec, size_t *seclen)
{
	size_t	i = 0, start;

	while (i < len && is_blank(line[i]))
		i++;
	if (i == len || line[i] == '#')
		return 1;
	start = i;
	while (i < len && !is_blank(line[i]))
		i++;
	*kid = line + start;
	*kidlen = i - start;
	while (i < len && is_blank(line[i]))
		i++;
	start = i;
	while (i < len && !is_blank(line[i]))
		i++;
	*sec = line + start;
	*seclen = i - start;
	while (i < len && is_blank(line[i]))
		i++;
	if (*seclen == 0 || i != len)
		return -1;
	return 0;
}

/*
 * Decodes standard base64 with optional (but then correct) padding into
 * k->secret.  Returns 0, or -1 with a reason in err.
 */
static int
decode_secret(const char *s, size_t n, struct key *k, size_t lineno,
    char *err, size_t errlen)
{
	const char	*end = NULL;
	size_t		 pad = 0, body, want, got = 0;

	while (pad < n && s[n - pad - 1] == '=')
		pad++;
	body = n - pad;
	if (pad > 2 || (pad > 0 && n % 4 != 0) || body % 4 == 1)
		goto bad;
	want = body / 4 * 3 + (body % 4 != 0 ? body % 4 - 1 : 0);
	if (want < KEY_MIN_BYTES) {
		seterr(err, errlen, "line %zu: secret is %zu bytes, "
		    "at least %d are needed", lineno, want, KEY_MIN_BYTES);
		return -1;
	}
	if (want > KEY_MAX_BYTES) {
		seterr(err, errlen, "line %zu: secret is longer than %d bytes",
		    lineno, KEY_MAX_BYTES);
		return -1;
	}
	if (sodium_base642bin(k->secret, sizeof(k->secret), s, body, NULL,
	    &got, &end, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
	    end != s + body || got != want)
		goto bad;
	k->len = got;
	return 0;
bad:
	seterr(err, errlen, "line %zu: secret is not valid base64", lineno);
	return -1;
}

int
keyring_parse(const char *buf, size_t len, int allow_empty,
    struct keyring **out, char *err, size_t errlen)
{
	struct keyring	*kr = NULL;
	const char	*line, *nl, *kid, *sec;
	size_t		 n = 0, off, linelen, kidlen, seclen, lineno, i;
	int		 r;

	*out = NULL;
	if (sodium_init() < 0) {
		seterr(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if (buf == NULL && len != 0) {
		seterr(err, errlen, "no key text");
		return -1;
	}

	/* First pass: count key lines so the ring is allocated once. */
	for (off = 0; off < len; off += linelen + 1) {
		line = buf + off;
		nl = memchr(line, '\n', len - off);
		linelen = nl != NULL ? (size_t)(nl - line) : len - off;
		if (split_line(line, linelen, &kid, &kidlen, &sec,
		    &seclen) == 0)
			n++;
	}
	if (n == 0 && !allow_empty) {
		seterr(err, errlen, "no keys (expected lines of "
		    "\"KID BASE64SECRET\")");
		return -1;
	}
	if (n > KEY_RING_MAX) {
		seterr(err, errlen, "more than %d keys", KEY_RING_MAX);
		return -1;
	}

	if ((kr = calloc(1, sizeof(*kr))) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if (n > 0 && (kr->keys = sodium_allocarray(n, sizeof(*kr->keys))) ==
	    NULL) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (n > 0)
		memset(kr->keys, 0, n * sizeof(*kr->keys));

	lineno = 0;
	for (off = 0; off < len; off += linelen + 1) {
		struct key *k;

		lineno++;
		line = buf + off;
		nl = memchr(line, '\n', len - off);
		linelen = nl != NULL ? (size_t)(nl - line) : len - off;
		r = split_line(line, linelen, &kid, &kidlen, &sec, &seclen);
		if (r == 1)
			continue;
		if (r == -1) {
			seterr(err, errlen, "line %zu: expected "
			    "\"KID BASE64SECRET\"", lineno);
			goto fail;
		}
		if (!keyring_kid_valid(kid, kidlen)) {
			seterr(err, errlen, "line %zu: kid must be 1-%d "
			    "characters of A-Z a-z 0-9 . _ -", lineno,
			    KEY_KID_MAX);
			goto fail;
		}
		k = &kr->keys[kr->n];
		memcpy(k->kid, kid, kidlen);
		k->kid[kidlen] = '\0';
		for (i = 0; i < kr->n; i++)
			if (strcmp(kr->keys[i].kid, k->kid) == 0) {
				seterr(err, errlen, "line %zu: duplicate kid "
				    "\"%s\"", lineno, k->kid);
				goto fail;
			}
		if (decode_secret(sec, seclen, k, lineno, err, errlen) == -1)
			goto fail;
		crypto_auth_hmacsha256_init(&k->pads, k->secret, k->len);
		k->has_pads = 1;
		kr->n++;
	}
	/* Nothing writes a loaded key; make a stray write fault instead. */
	if (kr->keys != NULL)
		sodium_mprotect_readonly(kr->keys);
	*out = kr;
	return 0;
fail:
	keyring_free(kr);
	return -1;
}

int
keyring_load(const char *path, struct keyring **out, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 perr[256];
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd = -1, rc = -1;

	*out = NULL;
	if (sodium_init() < 0) {
		seterr(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	/* O_NONBLOCK: opening a FIFO must not hang start-up. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) ==
	    -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* fstat, not stat: the checks must apply to what was opened. */
	if (fstat(fd, &st) == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		goto cleanup;
	}
	if ((st.st_mode & 077) != 0) {
		seterr(err, errlen, "%s: group or others can access it "
		    "(mode %04o); run chmod 600 on it", path,
		    (unsigned int)(st.st_mode & 07777));
		goto cleanup;
	}
	if (st.st_size > KEY_FILE_MAX) {
		seterr(err, errlen, "%s: larger than %d bytes", path,
		    KEY_FILE_MAX);
		goto cleanup;
	}
	if ((buf = sodium_malloc(KEY_FILE_MAX + 1)) == NULL) {
		seterr(err, errlen, "out of memory");
		goto cleanup;
	}
	/* Read to EOF, not st_size: the file may change under us. */
	while (len <= KEY_FILE_MAX) {
		r = read(fd, buf + len, KEY_FILE_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			seterr(err, errlen, "%s: %s", path, strerror(errno));
			goto cleanup;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > KEY_FILE_MAX) {
		seterr(err, errlen, "%s: larger than %d bytes", path,
		    KEY_FILE_MAX);
		goto cleanup;
	}
	if (keyring_parse(buf, len, 0, out, perr, sizeof(perr)) == -1) {
		seterr(err, errlen, "%s: %s", path, perr);
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (buf != NULL)
		sodium_free(buf);	/* wipes */
	if (fd != -1)
		close(fd);
	return rc;
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	if (kr->keys != NULL)
		sodium_free(kr->keys);	/* makes writable, wipes, unmaps */
	free(kr);
}

const struct key *
keyring_find(const struct keyring *kr, const char *kid)
{
	size_t	i;

	if (kr == NULL || kid == NULL)
		return NULL;
	for (i = 0; i < kr->n; i++)
		if (strcmp(kr->keys[i].kid, kid) == 0)
			return &kr->keys[i];
	return NULL;
}
