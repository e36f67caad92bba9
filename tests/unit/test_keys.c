/*
 * test_keys.c - the key file: what loads, and everything refused (file
 * mode, file type, empty ring, short/long/bad secrets, bad or duplicate
 * kids), plus the promise that errors never quote a secret.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "tap.h"

/* 32 bytes "0123456789abcdef0123456789abcdef", padded and unpadded. */
#define SEC32	"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define SEC32NP	"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
/* 31 bytes. */
#define SEC31	"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZQ=="

static char	dir[] = "/tmp/test_keys.XXXXXX";
static char	path[256];
static char	err[256];

static const char *
put(const char *name, const char *text, mode_t mode)
{
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	/* fchmod, not the open mode: the umask must not decide the test. */
	if (fchmod(fd, mode) == -1)
		abort();
	close(fd);
	return path;
}

/* Loads text written with mode; returns the ring or NULL (err is set). */
static struct keyring *
load(const char *text, mode_t mode)
{
	struct keyring	*kr = NULL;

	err[0] = '\0';
	if (keyring_load(put("keys", text, mode), &kr, err, sizeof(err)) != 0)
		return NULL;
	return kr;
}

static int
refused(const char *text, mode_t mode)
{
	struct keyring	*kr;

	if ((kr = load(text, mode)) != NULL) {
		keyring_free(kr);
		return 0;
	}
	return err[0] != '\0';
}

static char *
b64(const unsigned char *bin, size_t n)
{
	static char	out[512];

	sodium_bin2base64(out, sizeof(out), bin, n,
	    sodium_base64_VARIANT_ORIGINAL);
	return out;
}

int
main(void)
{
	struct keyring		*kr;
	const struct key	*k;
	unsigned char		 big[KEY_MAX_BYTES + 1];
	char			 text[1024];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;

	kr = load("# rotation: k2 signs, k1 still verifies\n"
	    "\n"
	    "k2 " SEC32 "\n"
	    "   \t\n"
	    "  k1\t" SEC32NP "  \r\n", 0600);
	ok(kr != NULL && kr->n == 2,
	    "good file with comments and blanks loads");
	ok(kr != NULL && strcmp(kr->keys[0].kid, "k2") == 0 &&
	    kr->keys[0].len == 32 &&
	    memcmp(kr->keys[0].secret, "0123456789abcdef", 16) == 0,
	    "first line is keys[0] with its decoded secret");
	ok(kr != NULL && strcmp(kr->keys[1].kid, "k1") == 0 &&
	    kr->keys[1].len == 32,
	    "unpadded base64, tabs, CRLF and indentation are accepted");
	k = keyring_find(kr, "k1");
	ok(k != NULL && k == &kr->keys[1], "keyring_find finds a kid");
	ok(keyring_find(kr, "k3") == NULL && keyring_find(kr, "") == NULL &&
	    keyring_find(kr, "K1") == NULL, "keyring_find: unknown is NULL");
	keyring_free(kr);
	keyring_free(NULL);

	kr = load("k0 " SEC32 "\n", 0400);
	ok(kr != NULL && kr->n == 1, "mode 0400 loads");
	keyring_free(kr);

	ok(refused("k1 " SEC32 "\n", 0644), "world-readable file is refused");
	ok(strstr(err, "0644") != NULL && strstr(err, "chmod") != NULL,
	    "the mode error says which mode and what to do");
	ok(refused("k1 " SEC32 "\n", 0640), "group-readable file is refused");
	ok(refused("k1 " SEC32 "\n", 0620), "group-writable file is refused");
	ok(refused("k1 " SEC32 "\n", 0602), "world-writable file is refused");
	ok(refused("k1 " SEC31 "\n", 0600), "31-byte secret is refused");
	ok(strstr(err, "line 1") != NULL, "the error names the line");
	memset(big, 7, sizeof(big));
	snprintf(text, sizeof(text), "k1 %s\n", b64(big, KEY_MAX_BYTES));
	kr = load(text, 0600);
	ok(kr != NULL && kr->keys[0].len == KEY_MAX_BYTES,
	    "128-byte secret loads");
	keyring_free(kr);
	snprintf(text, sizeof(text), "k1 %s\n", b64(big, KEY_MAX_BYTES + 1));
	ok(refused(text, 0600), "129-byte secret is refused");
	ok(refused("k1 " SEC32 "\nk2 " SEC32 "\nk1 " SEC32 "\n", 0600),
	    "duplicate kid is refused");
	ok(strstr(err, "line 3") != NULL && strstr(err, "duplicate") != NULL,
	    "duplicate error names the line");
	ok(refused("k1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY*\n",
	    0600), "bad base64 character is refused");
	ok(refused("k1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY==\n",
	    0600), "wrong padding is refused");
	ok(refused("k1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWZ\n", 0600),
	    "non-canonical trailing bits are refused");
	ok(refused("k1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlh-_Nk\n", 0600),
	    "URL-safe alphabet in the key file is refused");
	ok(refused("", 0600), "empty file is refused");
	ok(refused("# only a comment\n\n", 0600), "comments only is refused");
	ok(refused("k/1 " SEC32 "\n", 0600), "kid with a slash is refused");
	ok(refused("k1 " SEC32 " extra\n", 0600), "three fields are refused");
	ok(refused("k1\n", 0600), "kid without secret is refused");
	/* 64 characters, the longest kid. */
#define KID64	"k.-_5678901234567890123456789012345678901234" \
	"56789012345678901234"
	kr = load(KID64 " " SEC32 "\n", 0600);
	ok(kr != NULL && strcmp(kr->keys[0].kid, KID64) == 0,
	    "64-character kid with . _ - loads");
	keyring_free(kr);
	ok(refused(KID64 "4 " SEC32 "\n", 0600), "65-character kid is refused");
	ok(refused(SEC32 "\n", 0600) && strstr(err, "MDEy") == NULL &&
	    strstr(err, "0123") == NULL,
	    "a bare secret is refused and not quoted in the error");
	ok(refused("k1 " SEC31 "\n", 0600) && strstr(err, "MDEy") == NULL,
	    "a short secret is not quoted in the error");

	snprintf(path, sizeof(path), "%s/missing", dir);
	ok(keyring_load(path, &kr, err, sizeof(err)) == -1 && kr == NULL &&
	    strstr(err, "missing") != NULL, "missing file is refused");
	ok(keyring_load(dir, &kr, err, sizeof(err)) == -1 &&
	    strstr(err, "regular") != NULL, "a directory is refused");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ok(mkfifo(path, 0600) == 0 &&
	    keyring_load(path, &kr, err, sizeof(err)) == -1,
	    "a FIFO is refused without blocking");
	unlink(path);

	ok(keyring_parse("# none\n", 7, 1, &kr, err, sizeof(err)) == 0 &&
	    kr->n == 0, "keyring_parse allow_empty gives an empty ring");
	keyring_free(kr);
	ok(keyring_parse("k1 " SEC32, strlen("k1 " SEC32), 0, &kr, err,
	    sizeof(err)) == 0 && kr->n == 1,
	    "keyring_parse: last line without newline");
	keyring_free(kr);
	ok(keyring_parse("k1 " SEC32 "\n", 3 + 20, 0, &kr, NULL, 0) == -1,
	    "keyring_parse reads only len bytes; NULL err is allowed");

	snprintf(path, sizeof(path), "%s/keys", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
