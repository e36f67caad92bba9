/*
 * handler.c - what every handler needs: run a statement, read columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "handlers.h"
#include "log.h"
#include "pgtime.h"
#include "request.h"
#include "response.h"

int
handler_exec(struct request *r, enum stmt id, const char *const *params,
    PGresult **res)
{
	switch (db_exec(r->svc->db, id, params, res, &r->db_ms)) {
	case DB_OK:
		return 0;
	case DB_UNAVAILABLE:
		respond_unavailable(r);
		return -1;
	case DB_FAILED:
		break;
	}
	respond_internal(r);
	return -1;
}

const char *
int64_text(char *buf, int64_t v)
{
	(void)jout_int64_text(buf, v);
	return buf;
}

const char *
iat_param(const struct request *r, char *buf)
{
	return r->iat < 0 ? NULL : int64_text(buf, r->iat);
}

/*
 * PostgreSQL prints integers as an optional '-' and digits, so a plain
 * loop reads them for a tenth of strtoll's work (a page reads ~90). Like
 * strtoll, it stops at the first other byte ("t" or "" read as 0).
 */
int64_t
col_int64(const PGresult *res, int row, int col)
{
	const char *s = PQgetvalue(res, row, col);
	uint64_t v = 0;
	int neg = *s == '-';

	for (s += neg; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return neg ? (int64_t)(0 - v) : (int64_t)v;
}

int
col_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) &&
	    PQgetvalue(res, row, col)[0] == 't';
}

int
col_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col);
}

void
col_string(struct jout *j, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		jout_null(j);
	else
		jout_string(j, PQgetvalue(res, row, col),
		    (size_t)PQgetlength(res, row, col));
}

int
col_time(struct jout *j, const PGresult *res, int row, int col, int64_t *us)
{
	char text[PGTIME_RFC3339_MAX];

	if (PQgetisnull(res, row, col) ||
	    pgtime_parse(PQgetvalue(res, row, col), us) == -1 ||
	    pgtime_rfc3339(*us, text, sizeof(text)) == -1) {
		/* The database's text, not a client's: still, not logged. */
		log_err("column %d: not a timestamp in ISO DateStyle from year "
		    "1 to 9999 (see db.c)", col);
		return -1;
	}
	jout_cstring(j, text);
	return 0;
}
