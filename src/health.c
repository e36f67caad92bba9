/*
 * health.c - GET /healthz: does the database answer?
 */
#include "db.h"
#include "handlers.h"
#include "request.h"
#include "response.h"

void
handle_health(struct request *r)
{
	struct jout j;

	if (!db_ping(r->svc->db, &r->db_ms)) {
		respond_unavailable(r);
		return;
	}
	jout_init(&j);
	jout_object_begin(&j);
	jout_key(&j, "status");
	jout_cstring(&j, "ok");
	jout_object_end(&j);
	respond_json(r, ST_OK, &j);
}
