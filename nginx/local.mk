# Deployment files.  The nginx snippet and its FastCGI parameters, and the
# example site, installed for the admin to copy beside the site's config
# (e.g. /etc/nginx/snippets/); the systemd unit and the start/stop script
# for hosts without systemd (dist/), with this build's paths filled in.
nginxdir = $(pkgdatadir)/nginx
dist_nginx_DATA = %D%/follow-fcgi.conf %D%/follow-fcgi-params.conf \
	%D%/example-site.conf

deploydistdir = $(pkgdatadir)/dist
deploydist_DATA = dist/follow-fcgi.service
deploydist_SCRIPTS = dist/follow-fcgictl
EXTRA_DIST += dist/follow-fcgi.service.in dist/follow-fcgictl.in
CLEANFILES += dist/follow-fcgi.service dist/follow-fcgictl

deploy_subst = sed -e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g'

dist/follow-fcgi.service: $(srcdir)/dist/follow-fcgi.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && \
	$(deploy_subst) $(srcdir)/dist/follow-fcgi.service.in >$@.tmp && \
	mv $@.tmp $@

dist/follow-fcgictl: $(srcdir)/dist/follow-fcgictl.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && \
	$(deploy_subst) $(srcdir)/dist/follow-fcgictl.in >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@
