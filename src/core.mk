# The worker: request path (parse, route, auth, SQL, JSON) and start-up.
bin_PROGRAMS += follow-fcgi
follow_fcgi_SOURCES = %D%/main.c

libfollow_a_SOURCES += \
	%D%/config.c %D%/config.h \
	%D%/log.c %D%/log.h \
	%D%/request.c %D%/request.h \
	%D%/router.c %D%/router.h \
	%D%/response.c %D%/response.h \
	%D%/json_out.c %D%/json_out.h \
	%D%/auth.c %D%/auth.h \
	%D%/db.c %D%/db.h \
	%D%/queries.c %D%/queries.h \
	%D%/handlers.h %D%/handler.c \
	%D%/health.c %D%/follow.c %D%/feed.c %D%/users.c \
	%D%/page.c %D%/page.h \
	%D%/worker.c %D%/worker.h %D%/master.c \
	%D%/service.c %D%/service.h
