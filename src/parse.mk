# Pure input parsers: query strings, typed parameters, page cursors.
libfollow_a_SOURCES += \
	%D%/qs.c %D%/qs.h \
	%D%/params.c %D%/params.h \
	%D%/cursor.c %D%/cursor.h \
	%D%/pgtime.c %D%/pgtime.h
