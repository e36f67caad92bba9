/*
 * db.c - owns the PostgreSQL connections: connect with a deadline,
 * prepare every statement, detect a dead connection, retry safely.
 *
 * It never builds SQL from input: statements come from queries.c and
 * values travel as parameters. It never logs parameter values.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

/* A request must see 503 within a second when the database is away. */
#define CONNECT_DEADLINE_MS	800
/* After a failed connect, answer 503 at once for this long. */
#define RECONNECT_BACKOFF_MS	200

struct conn {
	const char	*role;		/* "primary" or "replica", for logs */
	char		*dsn;
	char		 options[192];
	PGconn		*pg;
	struct timespec	 retry_at;
	int		 down_logged;
};

struct db {
	struct conn	 primary;
	struct conn	 replica;	/* dsn == NULL: none configured */
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
conn_drop(struct conn *c)
{
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
}

/* Drives PQconnectPoll until connected or the deadline passes. */
static int
conn_poll(PGconn *pg, double deadline)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct pollfd pfd;
	double left;

	for (;;) {
		if (st == PGRES_POLLING_OK)
			return 0;
		if (st == PGRES_POLLING_FAILED)
			return -1;
		if ((left = deadline - now_ms()) <= 0)
			return -1;
		pfd.fd = PQsocket(pg);
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		if (poll(&pfd, 1, (int)left + 1) == -1 && errno != EINTR)
			return -1;
		st = PQconnectPoll(pg);
	}
}

static int
conn_prepare(struct conn *c)
{
	PGresult *res;
	int i;

	for (i = 0; i < STMT__MAX; i++) {
		res = PQprepare(c->pg, queries[i].name, queries[i].sql,
		    queries[i].nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			log_err("db: preparing %s on the %s failed (%s): is "
			    "the schema migrated?", queries[i].name, c->role,
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) ?
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) : "-");
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

static int
conn_open(struct conn *c)
{
	/* dbname comes last so that the DSN overrides our defaults. */
	const char *const keys[] = { "application_name", "options",
	    "keepalives", "keepalives_idle", "keepalives_interval",
	    "keepalives_count", "dbname", NULL };
	const char *const vals[] = { "follow-fcgi", c->options, "1", "30",
	    "10", "3", c->dsn, NULL };
	struct timespec ts;
	double t = now_ms();

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec < c->retry_at.tv_sec || (ts.tv_sec == c->retry_at.tv_sec
	    && ts.tv_nsec < c->retry_at.tv_nsec))
		return -1;
	conn_drop(c);
	c->pg = PQconnectStartParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD ||
	    conn_poll(c->pg, t + CONNECT_DEADLINE_MS) == -1 ||
	    conn_prepare(c) == -1)
		goto fail;
	if (c->down_logged)
		log_info("db: %s connection re-established", c->role);
	c->down_logged = 0;
	return 0;
fail:
	if (!c->down_logged)
		log_err("db: cannot connect to the %s database; answering "
		    "503 until it is back", c->role);
	c->down_logged = 1;
	conn_drop(c);
	ts.tv_nsec += RECONNECT_BACKOFF_MS * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	c->retry_at = ts;
	return -1;
}

/*
 * Makes sure the connection can take a statement. A backend that was
 * terminated while we were idle has already closed the socket: reading
 * it now tells us, before we send a write we could not safely repeat.
 */
static int
conn_ready(struct conn *c)
{
	struct pollfd pfd;

	if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK) {
		pfd.fd = PQsocket(c->pg);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) > 0 && (PQconsumeInput(c->pg) == 0 ||
		    PQstatus(c->pg) != CONNECTION_OK))
			conn_drop(c);
		else if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
			conn_drop(c);
	}
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK)
		return conn_open(c);
	return 0;
}

static int
conn_init(struct conn *c, const char *role, const char *dsn, long timeout_ms)
{
	c->role = role;
	if ((c->dsn = strdup(dsn)) == NULL)
		return -1;
	/*
	 * jit=off: JIT compiles for a plan's estimated cost, and a generic
	 * plan of a short page can be estimated at millions (its LIMIT is a
	 * parameter), so a 4 ms feed page took 390 ms, 350 of them compiling.
	 *
	 * force_generic_plan: for that same estimate PostgreSQL's "auto"
	 * never settled on the feed's generic plan and planned every
	 * execution afresh, 0.6-0.9 ms of a 1 ms light feed page. Every
	 * statement in queries.c is written so that its generic plan is the
	 * good one (the light/heavy choice is made inside the statement, a
	 * missing cursor is a bound, not an OR), and bench/explain shows them.
	 *
	 * DateStyle=ISO: timestamps arrive as PostgreSQL's ISO text, which
	 * pgtime.c reads (whatever the offset: TimeZone=UTC only keeps it
	 * short). A server configured for another style would send text it
	 * refuses.
	 */
	snprintf(c->options, sizeof(c->options),
	    "-c statement_timeout=%ld -c jit=off"
	    " -c plan_cache_mode=force_generic_plan"
	    " -c DateStyle=ISO -c TimeZone=UTC", timeout_ms);
	return 0;
}

struct db *
db_open(const char *dsn, const char *dsn_read, long statement_timeout_ms)
{
	struct db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	if (conn_init(&db->primary, "primary", dsn, statement_timeout_ms) ==
	    -1 || (dsn_read != NULL && conn_init(&db->replica, "replica",
	    dsn_read, statement_timeout_ms) == -1)) {
		db_close(db);
		return NULL;
	}
	(void)conn_ready(&db->primary);
	if (db->replica.dsn != NULL)
		(void)conn_ready(&db->replica);
	return db;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	conn_drop(&db->primary);
	conn_drop(&db->replica);
	free(db->primary.dsn);
	free(db->replica.dsn);
	free(db);
}

/* Picks the replica for reads when it has one that answers. */
static struct conn *
db_pick(struct db *db, enum stmt id)
{
	if ((queries[id].flags & STMT_READ) && db->replica.dsn != NULL &&
	    conn_ready(&db->replica) == 0)
		return &db->replica;
	if (conn_ready(&db->primary) == -1)
		return NULL;
	return &db->primary;
}

/* SQLSTATE classes that mean "not now", not "your statement is wrong". */
static int
transient(const char *state)
{
	return (strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "53", 2) == 0 || strncmp(state, "57", 2) == 0 ||
	    strcmp(state, "55P03") == 0);
}

enum db_status
db_exec(struct db *db, enum stmt id, const char *const *params,
    PGresult **res, double *ms)
{
	const struct stmt_def *q = &queries[id];
	ExecStatusType rs;
	struct conn *c;
	char state[6];
	const char *f;
	double t0 = now_ms();
	enum db_status st = DB_FAILED;
	int attempt;

	*res = NULL;
	for (attempt = 0; attempt < 3; attempt++) {
		if ((c = db_pick(db, id)) == NULL) {
			st = DB_UNAVAILABLE;
			break;
		}
		*res = PQexecPrepared(c->pg, q->name, q->nparams, params,
		    NULL, NULL, 0);
		rs = PQresultStatus(*res);
		if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
			st = DB_OK;
			break;
		}
		f = PQresultErrorField(*res, PG_DIAG_SQLSTATE);
		snprintf(state, sizeof(state), "%s", f != NULL ? f : "-----");
		PQclear(*res);
		*res = NULL;
		if (PQstatus(c->pg) != CONNECTION_OK) {
			/* The answer is lost; resend only if that is harmless. */
			conn_drop(c);
			st = DB_UNAVAILABLE;
			if (attempt == 0 && (q->flags & STMT_RETRY))
				continue;
			break;
		}
		/*
		 * The server rolled the statement back as a whole, so running
		 * it again is safe: serialization failures, deadlocks, and
		 * PostgreSQL 15's rare XX000 "new multixact has more than one
		 * updating member" under heavy contention on a users row.
		 */
		if (strcmp(state, "40001") == 0 ||
		    strcmp(state, "40P01") == 0 ||
		    strcmp(state, "XX000") == 0) {
			st = DB_UNAVAILABLE;
			continue;
		}
		if (strcmp(state, "26000") == 0) {
			/* Someone ran DISCARD ALL: prepare again and retry. */
			conn_drop(c);
			st = DB_UNAVAILABLE;
			continue;
		}
		if (transient(state)) {
			log_warn("db: %s: SQLSTATE %s", q->name, state);
			st = DB_UNAVAILABLE;
			break;
		}
		log_err("db: %s failed: SQLSTATE %s", q->name, state);
		st = DB_FAILED;
		break;
	}
	*ms += now_ms() - t0;
	return st;
}

int
db_ping(struct db *db, double *ms)
{
	PGresult *res;

	if (db_exec(db, STMT_PING, NULL, &res, ms) != DB_OK)
		return 0;
	PQclear(res);
	return 1;
}
