/*
 * service.c - loads and swaps the long-lived state of a worker.
 *
 * Secrets (the key ring and the keys derived from it) live in memory that
 * is wiped when released; they are never logged.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "db.h"
#include "keys.h"
#include "log.h"
#include "service.h"

/*
 * Cursor keys are derived from the token keys, one per key, so that a
 * rotated key file keeps the cursors already handed out valid while the
 * old key is still listed, with nothing extra to configure.
 */
static int
derive_cursor_keys(struct service *svc)
{
	static const char ctx[] = "follow-fcgi cursor key v1";
	crypto_generichash_state st;
	size_t i, n = svc->keys->n;

	svc->cursor_keys = sodium_allocarray(n, CURSOR_KEY_BYTES);
	if (svc->cursor_keys == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		crypto_generichash_init(&st, NULL, 0, CURSOR_KEY_BYTES);
		crypto_generichash_update(&st, (const unsigned char *)ctx,
		    sizeof(ctx));
		crypto_generichash_update(&st, svc->keys->keys[i].secret,
		    svc->keys->keys[i].len);
		crypto_generichash_final(&st, svc->cursor_keys[i],
		    CURSOR_KEY_BYTES);
	}
	svc->ncursor_keys = n;
	sodium_memzero(&st, sizeof(st));
	if (n == 0)
		return 0;
	svc->cursor_signer = sodium_malloc(sizeof(*svc->cursor_signer));
	if (svc->cursor_signer == NULL)
		return -1;
	cursor_key_ready(svc->cursor_signer, svc->cursor_keys[0]);
	return 0;
}

int
service_load(struct service *svc, const char *cfgpath, char *err,
    size_t errlen)
{
	struct config *cfg;
	struct keyring *kr = NULL;

	memset(svc, 0, sizeof(*svc));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		strncpy(err, "out of memory", errlen);
		return -1;
	}
	if (config_load(cfg, cfgpath, err, errlen) == -1) {
		free(cfg);
		return -1;
	}
	svc->cfg = cfg;
	if (keyring_load(cfg->keyfile, &kr, err, errlen) == -1)
		goto fail;
	svc->keys = kr;
	if (derive_cursor_keys(svc) == -1) {
		strncpy(err, "out of memory", errlen);
		goto fail;
	}
	return 0;
fail:
	service_free(svc);
	return -1;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
service_reload(struct service *svc, const char *cfgpath)
{
	struct service fresh;
	char err[256];
	int reconnect;

	if (service_load(&fresh, cfgpath, err, sizeof(err)) == -1) {
		log_err("reload refused, keeping the running settings: %s",
		    err);
		return;
	}
	reconnect = !same(fresh.cfg->dsn, svc->cfg->dsn) ||
	    !same(fresh.cfg->dsn_read, svc->cfg->dsn_read) ||
	    fresh.cfg->statement_timeout_ms != svc->cfg->statement_timeout_ms;
	if (!reconnect) {
		fresh.db = svc->db;
		svc->db = NULL;
	}
	service_free(svc);
	*svc = fresh;
	if (reconnect)
		(void)service_connect(svc);
	log_info("reloaded configuration and %zu key(s)", svc->keys->n);
}

int
service_connect(struct service *svc)
{
	svc->db = db_open(svc->cfg->dsn, svc->cfg->dsn_read,
	    (long)svc->cfg->statement_timeout_ms);
	return svc->db == NULL ? -1 : 0;
}

void
service_free(struct service *svc)
{
	db_close(svc->db);
	if (svc->cursor_keys != NULL)
		sodium_free(svc->cursor_keys);
	if (svc->cursor_signer != NULL)
		sodium_free(svc->cursor_signer);	/* wipes */
	if (svc->keys != NULL)
		keyring_free((struct keyring *)svc->keys);
	if (svc->cfg != NULL) {
		config_free((struct config *)svc->cfg);
		free((struct config *)svc->cfg);
	}
	memset(svc, 0, sizeof(*svc));
}
