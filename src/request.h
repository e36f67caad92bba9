/*
 * request.h - one request's state, from FastCGI parameters to the answer.
 *
 * Everything a request owns hangs off struct request and is released by
 * request_free(); nothing outlives it but struct service (configuration,
 * keys, the database connection).
 */
#ifndef FOLLOW_REQUEST_H
#define FOLLOW_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <fcgiapp.h>

#include "cursor.h"

#define REQUEST_PATH_MAX	512
#define REQUEST_HEADERS_MAX	1024
#define REQUEST_IDS_MAX		100

/*
 * Where a request comes from and its answer goes: a FastCGI request's
 * streams, or (in and out NULL) a CGI process's stdin and stdout.
 */
struct request_io {
	char		**envp;
	FCGX_Stream	*in;
	FCGX_Stream	*out;
};

struct config;
struct keyring;
struct db;
struct route;

/* What lives as long as the worker process. */
struct service {
	const struct config	*cfg;
	const struct keyring	*keys;
	unsigned char		(*cursor_keys)[CURSOR_KEY_BYTES];
	size_t			 ncursor_keys;
	/* cursor_keys[0] made ready for HMAC once (cursor_key_ready). */
	crypto_auth_hmacsha256_state *cursor_signer;
	struct db		*db;
};

/* Validated paging parameters (see page.c). */
struct page_params {
	int64_t		page;		/* 1-based; 0 when a cursor is used */
	int64_t		page_size;
	int		has_cursor;
	struct cursor	cursor;
};

struct request {
	struct service		*svc;
	const struct request_io	*io;
	struct timespec		 start;

	/* From the request's parameters; borrowed from io->envp. */
	const char		*method;
	char			 path[REQUEST_PATH_MAX];	/* below mount */
	const char		*query;
	const char		*request_id;
	int			 head;		/* HEAD: no body written */

	/* From the router and the validators. */
	const struct route	*route;
	int64_t			 id;		/* {id}, resolved for "me" */
	int			 id_is_me;
	struct page_params	 page;
	int64_t			 ids[REQUEST_IDS_MAX];
	int			 nids;

	/* From auth.c. */
	int			 authed;
	int64_t			 user_id;
	int64_t			 iat;		/* -1: the token had none */

	/* The answer. */
	int			 status;
	char			 headers[REQUEST_HEADERS_MAX];
	size_t			 headers_len;
	double			 db_ms;
};

/*
 * Fills r from the FastCGI request: method, the path below the mount
 * (PATH_INFO, else REQUEST_URI minus cfg->prefix), the query string.
 * Returns 0, or -1 if the path is not usable (too long, not below the
 * mount), in which case the caller answers 404.
 */
int	request_init(struct request *r, struct service *svc,
	    const struct request_io *io);

/* Returns a FastCGI parameter (borrowed until the request ends) or NULL. */
const char *request_param(const struct request *r, const char *name);

/*
 * Reads and discards the request body, which no endpoint uses, so the
 * connection stays in a clean state. Returns 0, or -1 if it is larger
 * than the configured limit (the caller answers 413).
 */
int	request_drain_body(struct request *r);

/* Writes len bytes of the answer. Returns 0, or -1 if the peer is gone. */
int	request_write(struct request *r, const char *buf, size_t len);

/* Milliseconds since the request started. */
double	request_elapsed_ms(const struct request *r);

/* Releases what the request owns. */
void	request_free(struct request *r);

#endif
