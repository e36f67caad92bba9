# The nginx snippet and its FastCGI parameters, installed for the admin to
# copy beside the site's config (e.g. /etc/nginx/snippets/).
nginxdir = $(pkgdatadir)/nginx
dist_nginx_DATA = %D%/follow-fcgi.conf %D%/follow-fcgi-params.conf
