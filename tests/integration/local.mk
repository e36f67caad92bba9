# Integration tests: Python (Debian's python3) against a real tests/stack.
# Each file starts its own stack, so they run in parallel under make -j.
integration_tests = \
	%D%/test_http.py \
	%D%/test_fastcgi.py \
	%D%/test_tokens.py \
	%D%/test_follow.py \
	%D%/test_lists.py \
	%D%/test_feed.py \
	%D%/test_outage.py \
	%D%/test_counters.py \
	%D%/test_totals.py \
	%D%/test_tag_names.py \
	%D%/test_feed_totals.py \
	%D%/test_active_counts.py \
	%D%/test_migrate.py \
	%D%/test_php_token.py \
	%D%/test_nginx_conf.py
TESTS += $(integration_tests)
EXTRA_DIST += $(integration_tests) %D%/followtest.py %D%/fcgiwire.py tests/stack
