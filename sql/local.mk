# Schema migrations, applied in order by sql/migrate; service-role.sql
# grants a service login what it needs (doc/operations.md).
sqldir = $(pkgdatadir)/sql
dist_sql_DATA = %D%/001_schema.sql %D%/002_feed_counts.sql \
	%D%/003_active_counts.sql %D%/004_feed_totals.sql \
	%D%/005_session_check.sql %D%/006_post_tag_names.sql \
	%D%/007_newest_post.sql \
	%D%/service-role.sql
dist_sql_SCRIPTS = %D%/migrate
