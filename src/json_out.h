/*
 * json_out.h - writes an answer's JSON text straight into one buffer.
 *
 * Building a json-c tree (a hash table per object, a malloc per value)
 * and serializing it cost more than everything else a request does; the
 * answers are small and written in order, so they are written directly.
 * The text is byte for byte what json-c produced with
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE (no spaces;
 * strings that need escapes are escaped by json-c itself);
 * tests/unit/test_json_out.c checks it against json-c.
 */
#ifndef FOLLOW_JSON_OUT_H
#define FOLLOW_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>

/* Room for an int64 in decimal, sign and NUL included. */
#define JOUT_INT64_TEXT	24

/* Nesting deeper than this is a bug in the caller: the answer fails. */
#define JOUT_DEPTH_MAX	8

struct jout {
	char		*buf;		/* len bytes of text, no NUL */
	size_t		 len;
	size_t		 cap;
	int		 failed;	/* out of memory or misuse */
	int		 depth;
	int		 after_key;	/* the next value follows a key */
	unsigned char	 has_items[JOUT_DEPTH_MAX + 1];
};

/* An empty writer; nothing is allocated until the first write. */
void	jout_init(struct jout *j);

/* Releases the buffer; j may be initialised and used again. */
void	jout_free(struct jout *j);

/* { and }, [ and ]: a container is a value too. */
void	jout_object_begin(struct jout *j);
void	jout_object_end(struct jout *j);
void	jout_array_begin(struct jout *j);
void	jout_array_end(struct jout *j);

/*
 * The next member's key; a value must follow. The key must be a string
 * literal (the macro refuses anything else) of plain characters, none
 * that JSON escapes: it is written as it is, quotes and colon made at
 * compile time, which is what made keys cheap.
 */
#define jout_key(j, key)	jout_key_text((j), "\"" key "\":", \
				    sizeof(key) + 2)
void	jout_key_text(struct jout *j, const char *quoted, size_t len);

/* Values. jout_string escapes len bytes of s (NUL bytes included). */
void	jout_string(struct jout *j, const char *s, size_t len);
void	jout_cstring(struct jout *j, const char *s);	/* NULL: null */
void	jout_int64(struct jout *j, int64_t v);
void	jout_bool(struct jout *j, int v);
void	jout_null(struct jout *j);

/*
 * Writes v in decimal (as printf's %lld) and a NUL into buf, which has
 * JOUT_INT64_TEXT bytes; returns the length without the NUL. For headers
 * and statement parameters too: snprintf costs ten times as much.
 */
size_t	jout_int64_text(char *buf, int64_t v);

/*
 * A value that is already JSON text, copied as it is: the caller
 * vouches that it is valid and in the same plain form.
 */
void	jout_raw_value(struct jout *j, const char *text, size_t len);

/*
 * Writes a JSON array of strings that PostgreSQL produced (json_agg of
 * text) exactly as json-c re-serialized it after json_tokener_parse:
 * without the spaces, the same escapes; "[]" if text is not JSON.
 * text[len] must be NUL (PQgetvalue's are).
 */
void	jout_pg_json(struct jout *j, const char *text, size_t len);

#endif
