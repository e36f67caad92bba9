# www: the follow.js widget and its stylesheet, installed for the site's
# nginx to serve as static assets (doc/integration.md), and the browser
# tests that drive them in headless Chromium through the PHP demo site.
wwwdir = $(pkgdatadir)/www
dist_www_DATA = %D%/follow.v1.js %D%/follow.v1.css
