/*
 * queries.h - every SQL statement the service runs, by id.
 */
#ifndef FOLLOW_QUERIES_H
#define FOLLOW_QUERIES_H

enum stmt {
	STMT_PING,
	STMT_FOLLOW,
	STMT_UNFOLLOW,
	STMT_USER,
	STMT_FOLLOWERS,
	STMT_FOLLOWING,
	STMT_FEED,
	STMT_RELATIONSHIPS,
	STMT__MAX
};

enum stmt_flags {
	STMT_READ = 1 << 0,	/* may run on the replica */
	STMT_RETRY = 1 << 1	/* safe to send again after a lost answer */
};

struct stmt_def {
	const char	*name;
	int		 nparams;
	unsigned	 flags;
	const char	*sql;
};

/* The statement table, indexed by enum stmt. */
extern const struct stmt_def queries[STMT__MAX];

#endif
