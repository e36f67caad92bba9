/*
 * page.h - the Page envelope: parameters in, {"items", "total", ...} out.
 */
#ifndef FOLLOW_PAGE_H
#define FOLLOW_PAGE_H

#include <stdint.h>

#include "json_out.h"
#include "request.h"

#define PAGE_SIZE_DEFAULT	20
#define PAGE_SIZE_MAX		100
#define PAGE_MAX		1000000

/*
 * Validates page, page_size and cursor from the query string into
 * r->page; a cursor must be of kind and belong to scope (whose list it
 * is). Returns NULL, or the 422 detail naming the bad parameter.
 */
const char *page_parse(struct request *r, int kind, int64_t scope);

/* The LIMIT to ask for: one row more than a page, to see if more exist. */
int64_t	page_limit(const struct page_params *p);

/* The OFFSET to ask for (0 when paging by cursor). */
int64_t	page_offset(const struct page_params *p);

/*
 * The Page envelope around the items the caller writes in between:
 * page_begin opens it up to the items array; page_end closes the array
 * and writes total, page, page_size, pages and next_cursor. When
 * has_more, the cursor after *last becomes next_cursor and a
 * Link: rel="next" header.
 */
void	page_begin(struct jout *j);
void	page_end(struct request *r, struct jout *j, int64_t total,
	    int has_more, const struct cursor *last);

#endif
