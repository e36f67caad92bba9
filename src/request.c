/*
 * request.c - turns FastCGI parameters into a struct request.
 *
 * It only copies and bounds what the web server sent; it never decides an
 * answer (the router and handlers do) and never logs request input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "request.h"

const char *
request_param(const struct request *r, const char *name)
{
	return FCGX_GetParam(name, r->io->envp);
}

/* Copies at most len bytes of src into the path buffer. */
static int
set_path(struct request *r, const char *src, size_t len)
{
	if (len == 0 || len >= sizeof(r->path))
		return -1;
	memcpy(r->path, src, len);
	r->path[len] = '\0';
	return 0;
}

int
request_init(struct request *r, struct service *svc,
    const struct request_io *io)
{
	const char *uri, *pi, *prefix;
	size_t plen;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->svc = svc;
	r->io = io;
	r->iat = -1;
	if ((r->method = request_param(r, "REQUEST_METHOD")) == NULL)
		r->method = "GET";
	r->head = strcmp(r->method, "HEAD") == 0;
	r->query = request_param(r, "QUERY_STRING");
	r->request_id = request_param(r, "REQUEST_ID");

	/* nginx's fastcgi_split_path_info and Apache both set PATH_INFO. */
	pi = request_param(r, "PATH_INFO");
	if (pi != NULL && *pi != '\0')
		return set_path(r, pi, strlen(pi));

	/* Otherwise the raw URI, minus the configured mount point. */
	if ((uri = request_param(r, "REQUEST_URI")) == NULL)
		uri = request_param(r, "DOCUMENT_URI");
	if (uri == NULL)
		return -1;
	prefix = svc->cfg->prefix;
	plen = strlen(prefix);
	while (plen > 0 && prefix[plen - 1] == '/')
		plen--;
	if (strncmp(uri, prefix, plen) != 0 || uri[plen] != '/')
		return -1;
	uri += plen;
	return set_path(r, uri, strcspn(uri, "?#"));
}

int
request_drain_body(struct request *r)
{
	const char *cl = request_param(r, "CONTENT_LENGTH");
	char buf[4096];
	char *end;
	long long want, got = 0;
	int n;

	if (cl == NULL || *cl == '\0')
		return 0;
	want = strtoll(cl, &end, 10);
	if (*end != '\0' || want < 0)
		return -1;
	if (want > r->svc->cfg->max_body)
		return -1;
	while (got < want) {
		if (r->io->in != NULL)
			n = FCGX_GetStr(buf, sizeof(buf), r->io->in);
		else if ((n = (int)read(STDIN_FILENO, buf, sizeof(buf))) == -1
		    && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	return 0;
}

int
request_write(struct request *r, const char *buf, size_t len)
{
	ssize_t n;

	if (r->io->out != NULL)
		return FCGX_PutStr(buf, (int)len, r->io->out) == (int)len ?
		    0 : -1;
	while (len > 0) {
		if ((n = write(STDOUT_FILENO, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

double
request_elapsed_ms(const struct request *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - r->start.tv_sec) * 1e3 +
	    (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
}

void
request_free(struct request *r)
{
	/* Everything is borrowed or inline today; kept as the one exit. */
	r->io = NULL;
}
