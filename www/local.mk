# www: the follow.js widget and its stylesheet, installed for the site's
# nginx to serve as static assets (doc/integration.md), and the browser
# tests that drive them in headless Chromium through the PHP demo site.
wwwdir = $(pkgdatadir)/www
dist_www_DATA = %D%/follow.v1.js %D%/follow.v1.css

# The PHP demo host site (demo/site/up STATE serves it over HTTPS).
EXTRA_DIST += demo/site/lib.php demo/site/nginx.conf demo/site/seed.sql \
	demo/site/public/index.php demo/site/public/profile.php \
	demo/site/public/list.php demo/site/public/feed.php \
	demo/site/public/login.php demo/site/public/logout.php \
	demo/site/static/demo.js demo/site/static/demo.css
dist_noinst_SCRIPTS += demo/site/up demo/site/down

# Headless Chromium through python3-selenium against the demo site; it
# leaves screenshots of the profile, list and feed pages next to its log.
browser_tests = tests/browser/test_browser.py
TESTS += $(browser_tests)
EXTRA_DIST += $(browser_tests)
clean-local: clean-browser-screenshots
clean-browser-screenshots:
	-rm -rf tests/browser/screenshots
.PHONY: clean-browser-screenshots
