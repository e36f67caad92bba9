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
	json_object *o;

	if (!db_ping(r->svc->db, &r->db_ms)) {
		respond_unavailable(r);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	respond_json(r, ST_OK, o);
}
