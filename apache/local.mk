# apache: example configurations for Apache httpd (mod_fcgid vhost,
# mod_proxy_fcgi vhost, shared-hosting .htaccess) and their tests, which
# run a real Apache built from these very files (tests/apache).
apachedir = $(pkgdatadir)/apache
dist_apache_DATA = %D%/follow-fcgid.conf %D%/follow-proxy-fcgi.conf \
	%D%/htaccess

apache_tests = \
	tests/apache/test_apache_api.py \
	tests/apache/test_apache_retire.py \
	tests/apache/test_apache_install.py
TESTS += $(apache_tests)
EXTRA_DIST += $(apache_tests) tests/apache/apachetest.py
