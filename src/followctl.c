/*
 * followctl.c - the operator's tool for session keys and tokens.
 *
 *	followctl keygen [--kid KID] [--first] FILE
 *	followctl mint --keyfile FILE --sub ID [--ttl SECONDS] [--kid KID]
 *	followctl verify --keyfile FILE [--leeway SECONDS] TOKEN|-
 *
 * Must never print a secret nor take one on the command line (argv shows
 * in ps), and must never leave a key file readable by others or half
 * written: keygen writes a 0600 temporary file and renames it into place.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "jwt.h"
#include "keys.h"

#define EXIT_INVALID	1	/* bad token, or the operation failed */
#define EXIT_USAGE	2

#define NEW_KEY_BYTES	32
#define DEFAULT_TTL	3600
#define MAX_TTL		(366LL * 24 * 3600)
#define DEFAULT_LEEWAY	60	/* the worker's FOLLOW_LEEWAY default */

static const char usage_text[] =
"usage: followctl keygen [--kid KID] [--first] FILE\n"
"       followctl mint --keyfile FILE --sub ID [--ttl SECONDS] [--kid KID]\n"
"       followctl verify --keyfile FILE [--leeway SECONDS] TOKEN|-\n"
"\n"
"keygen  add a new random 32-byte key to FILE (created 0600 if missing);\n"
"        appended last (verifies only) unless --first (then it signs).\n"
"        KID defaults to k<UTC YYYYMMDDHHMMSS>; prints the kid.\n"
"mint    print a token for user ID, valid for --ttl seconds (default\n"
"        3600), signed with the first key or the one named by --kid.\n"
"verify  check TOKEN (or one read from stdin with -) and print its claims\n"
"        as JSON; exit 0 if valid, 1 if not, 2 on a usage error.\n";

static void
usage(FILE *fp)
{
	fputs(usage_text, fp);
}

static int	usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	fail(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list	ap;

	fputs("followctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(try followctl --help)\n", stderr);
	return EXIT_USAGE;
}

static int
fail(const char *fmt, ...)
{
	va_list	ap;

	fputs("followctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_INVALID;
}

/* Parses canonical decimal in [min, max]; returns 0, or -1. */
static int
parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || s[0] < '0' || s[0] > '9' ||
	    (s[0] == '0' && s[1] != '\0'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
load_ring(const char *path, struct keyring **kr)
{
	char	err[512];

	if (keyring_load(path, kr, err, sizeof(err)) == -1)
		return fail("%s", err);
	return 0;
}

/* ---- keygen --------------------------------------------------------- */

/* Offset of the first key line, so --first keeps a leading comment. */
static size_t
first_key_offset(const char *buf, size_t len)
{
	size_t	off = 0, i;

	while (off < len) {
		for (i = off; i < len && (buf[i] == ' ' || buf[i] == '\t' ||
		    buf[i] == '\r'); i++)
			;
		if (i < len && buf[i] != '\n' && buf[i] != '#')
			return off;
		while (i < len && buf[i] != '\n')
			i++;
		off = i < len ? i + 1 : len;
	}
	return len;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		if ((r = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Reads the existing key file at path into *buf (sodium memory, caller
 * frees) and checks it like the worker would; name is for messages.
 * Returns 0 with *exists set, or an exit status.
 */
static int
read_existing(const char *path, const char *name, char **buf, size_t *len,
    struct stat *st, int *exists)
{
	ssize_t	r;
	int	fd;

	*exists = 0;
	*len = 0;
	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT)
			return 0;
		return fail("%s: %s", name, strerror(errno));
	}
	*exists = 1;
	if (fstat(fd, st) == -1) {
		close(fd);
		return fail("%s: %s", name, strerror(errno));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return fail("%s: not a regular file", name);
	}
	if ((st->st_mode & 077) != 0) {
		close(fd);
		return fail("%s: group or others can access it (mode %04o); "
		    "refusing to add a key to it", name,
		    (unsigned int)(st->st_mode & 07777));
	}
	if ((*buf = sodium_malloc(KEY_FILE_MAX + 2)) == NULL) {
		close(fd);
		return fail("out of memory");
	}
	while (*len <= KEY_FILE_MAX) {
		r = read(fd, *buf + *len, KEY_FILE_MAX + 1 - *len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			close(fd);
			return fail("%s: %s", name, strerror(errno));
		}
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	close(fd);
	if (*len > KEY_FILE_MAX)
		return fail("%s: larger than %d bytes", name, KEY_FILE_MAX);
	return 0;
}

static int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kid", required_argument, NULL, 'k' },
		{ "first", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct keyring	*kr = NULL;
	struct stat	 st;
	struct tm	 tm;
	time_t		 now;
	unsigned char	 secret[NEW_KEY_BYTES];
	char		 kid[KEY_KID_MAX + 1], line[KEY_KID_MAX + 128];
	char		 err[512], tmp[PATH_MAX], *real = NULL, *old = NULL;
	char		*dirc = NULL;
	const char	*path, *target, *dir;
	size_t		 oldlen = 0, linelen, at;
	int		 c, first = 0, exists, fd = -1, rc = EXIT_INVALID;
	int		 dfd, made_tmp = 0;

	kid[0] = '\0';
	line[0] = '\0';
	while ((c = getopt_long(argc, argv, "k:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!keyring_kid_valid(optarg, strlen(optarg)))
				return usage_error("--kid must be 1-%d "
				    "characters of A-Z a-z 0-9 . _ -",
				    KEY_KID_MAX);
			strcpy(kid, optarg);
			break;
		case 'f':
			first = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error("bad keygen option");
		}
	}
	if (argc - optind != 1)
		return usage_error("keygen needs exactly one FILE");
	path = argv[optind];
	if (kid[0] == '\0') {
		now = time(NULL);
		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(kid, sizeof(kid), "k%Y%m%d%H%M%S", &tm) == 0)
			return fail("cannot format the current time");
	}

	/* Work on the real file: renaming over a symlink would replace it. */
	if ((real = realpath(path, NULL)) == NULL && errno != ENOENT)
		return fail("%s: %s", path, strerror(errno));
	target = real != NULL ? real : path;
	if ((rc = read_existing(target, path, &old, &oldlen, &st,
	    &exists)) != 0)
		goto cleanup;
	rc = EXIT_INVALID;
	if (exists) {
		if (keyring_parse(old, oldlen, 1, &kr, err, sizeof(err)) ==
		    -1) {
			fail("%s: %s", path, err);
			goto cleanup;
		}
		if (keyring_find(kr, kid) != NULL) {
			fail("%s: kid \"%s\" is already there", path, kid);
			goto cleanup;
		}
		if (kr->n >= KEY_RING_MAX) {
			fail("%s: already holds %d keys", path, KEY_RING_MAX);
			goto cleanup;
		}
	}

	if (sodium_init() < 0) {
		fail("libsodium failed to initialise");
		goto cleanup;
	}
	randombytes_buf(secret, sizeof(secret));
	linelen = (size_t)snprintf(line, sizeof(line), "%s ", kid);
	sodium_bin2base64(line + linelen, sizeof(line) - linelen - 1, secret,
	    sizeof(secret), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(secret, sizeof(secret));
	linelen = strlen(line);
	line[linelen++] = '\n';

	/* Same directory, so rename() is atomic for a worker reloading. */
	if ((dirc = strdup(target)) == NULL) {
		fail("out of memory");
		goto cleanup;
	}
	dir = dirname(dirc);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.followctl.XXXXXX", dir) >=
	    sizeof(tmp)) {
		fail("%s: path too long", path);
		goto cleanup;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		fail("%s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	made_tmp = 1;
	/* fchmod after creation: the umask must not decide the mode. */
	if (fchmod(fd, 0600) == -1 ||
	    (exists && fchown(fd, st.st_uid, st.st_gid) == -1)) {
		fail("%s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	at = first ? first_key_offset(old, oldlen) : oldlen;
	if (write_all(fd, old, at) == -1 ||
	    (at > 0 && old[at - 1] != '\n' && write_all(fd, "\n", 1) == -1) ||
	    write_all(fd, line, linelen) == -1 ||
	    write_all(fd, old + at, oldlen - at) == -1 ||
	    fsync(fd) == -1) {
		fail("%s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	sodium_memzero(line, sizeof(line));
	close(fd);
	fd = -1;
	/* New file: link() fails if someone created it meanwhile. */
	if (exists ? rename(tmp, target) == -1 : link(tmp, target) == -1) {
		fail("%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (!exists)
		unlink(tmp);
	made_tmp = 0;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	printf("%s\n", kid);
	fprintf(stderr, "followctl: added key %s to %s (%s)\n", kid, path,
	    first || !exists || kr->n == 0 ? "first: it signs new tokens" :
	    "last: it verifies; move it first to sign with it");
	rc = 0;
cleanup:
	sodium_memzero(line, sizeof(line));
	if (fd != -1)
		close(fd);
	if (made_tmp)
		unlink(tmp);
	keyring_free(kr);
	if (old != NULL)
		sodium_free(old);
	free(dirc);
	free(real);
	return rc;
}

/* ---- mint ----------------------------------------------------------- */

static int
cmd_mint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keyfile", required_argument, NULL, 'f' },
		{ "sub", required_argument, NULL, 's' },
		{ "ttl", required_argument, NULL, 't' },
		{ "kid", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct keyring		*kr = NULL;
	const struct key	*k;
	const char		*keyfile = NULL, *kid = NULL;
	char			*tok;
	int64_t			 sub = 0, ttl = DEFAULT_TTL, now;
	int			 c, rc;

	while ((c = getopt_long(argc, argv, "f:s:t:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			keyfile = optarg;
			break;
		case 's':
			if (parse_int64(optarg, 1, INT64_MAX, &sub) == -1)
				return usage_error("--sub must be a user id "
				    "(1 to 9223372036854775807)");
			break;
		case 't':
			if (parse_int64(optarg, 1, MAX_TTL, &ttl) == -1)
				return usage_error("--ttl must be 1 to %lld "
				    "seconds", MAX_TTL);
			break;
		case 'k':
			kid = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error("bad mint option");
		}
	}
	if (argc != optind)
		return usage_error("mint takes no arguments besides options");
	if (keyfile == NULL || sub == 0)
		return usage_error("mint needs --keyfile FILE and --sub ID");
	if ((rc = load_ring(keyfile, &kr)) != 0)
		return rc;
	k = kid != NULL ? keyring_find(kr, kid) : &kr->keys[0];
	if (k == NULL) {
		keyring_free(kr);
		return fail("%s: no key with kid \"%s\"", keyfile, kid);
	}
	now = (int64_t)time(NULL);
	tok = jwt_mint(k, sub, now, now + ttl);
	keyring_free(kr);
	if (tok == NULL)
		return fail("cannot mint a token");
	printf("%s\n", tok);
	free(tok);
	return 0;
}

/* ---- verify --------------------------------------------------------- */

/* Reads a token from stdin, trimming surrounding whitespace. */
static int
read_token(char *buf, size_t size, size_t *len)
{
	size_t	n, start = 0;

	n = fread(buf, 1, size, stdin);
	if (ferror(stdin))
		return fail("stdin: %s", strerror(errno));
	if (n == size)
		return fail("token on stdin is too long");
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	while (start < n && (buf[start] == ' ' || buf[start] == '\t'))
		start++;
	memmove(buf, buf + start, n - start);
	*len = n - start;
	buf[*len] = '\0';
	return 0;
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keyfile", required_argument, NULL, 'f' },
		{ "leeway", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct keyring		*kr = NULL;
	struct jwt_claims	 cl;
	enum jwt_err		 e;
	const char		*keyfile = NULL, *tok;
	char			 buf[JWT_MAX_LEN + 64];	/* room for a CRLF */
	size_t			 len;
	int64_t			 leeway = DEFAULT_LEEWAY;
	int			 c, rc;

	while ((c = getopt_long(argc, argv, "f:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			keyfile = optarg;
			break;
		case 'l':
			if (parse_int64(optarg, 0, 3600, &leeway) == -1)
				return usage_error("--leeway must be 0 to 3600 "
				    "seconds");
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error("bad verify option");
		}
	}
	if (keyfile == NULL)
		return usage_error("verify needs --keyfile FILE");
	if (argc - optind != 1)
		return usage_error("verify needs one TOKEN, or - for stdin");
	tok = argv[optind];
	len = strlen(tok);
	if (strcmp(tok, "-") == 0) {
		if ((rc = read_token(buf, sizeof(buf) - 1, &len)) != 0)
			return rc;
		tok = buf;
	}
	if ((rc = load_ring(keyfile, &kr)) != 0)
		return rc;
	e = jwt_verify(kr, tok, len, (int64_t)time(NULL), leeway, &cl);
	keyring_free(kr);
	if (e != JWT_OK)
		return fail("invalid token: %s", jwt_strerror(e));
	printf("{\"sub\":%" PRId64 ",\"exp\":%" PRId64, cl.sub, cl.exp);
	if (cl.has_iat)
		printf(",\"iat\":%" PRId64, cl.iat);
	if (cl.has_nbf)
		printf(",\"nbf\":%" PRId64, cl.nbf);
	printf("}\n");
	return 0;
}

/* ---- main ----------------------------------------------------------- */

int
main(int argc, char **argv)
{
	const char	*cmd;
	int		 rc;

	if (argc < 2)
		return usage_error("no command");
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (sodium_init() < 0)
		return fail("libsodium failed to initialise");
	/* The subcommand becomes argv[0] for getopt. */
	if (strcmp(cmd, "keygen") == 0)
		rc = cmd_keygen(argc - 1, argv + 1);
	else if (strcmp(cmd, "mint") == 0)
		rc = cmd_mint(argc - 1, argv + 1);
	else if (strcmp(cmd, "verify") == 0)
		rc = cmd_verify(argc - 1, argv + 1);
	else
		return usage_error("unknown command \"%s\"", cmd);
	if (fflush(stdout) == EOF || ferror(stdout))
		return fail("stdout: %s", strerror(errno));
	return rc;
}
