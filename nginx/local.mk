nginxdir = $(pkgdatadir)/nginx
dist_nginx_DATA = %D%/follow-fcgi.conf %D%/follow-fcgi-params.conf
