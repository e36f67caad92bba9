# tests/deploy: production deployment (issue 4).  The nginx configurations,
# TLS through the shipped snippet, worker supervision under load (kill -9,
# SIGHUP key rotation, nginx reload) and the demo command.  Each file starts
# what it needs and stops it; each is bounded in time.
deploy_tests = \
	%D%/test_nginx_configs.py \
	%D%/test_tls.py \
	%D%/test_supervision.py \
	%D%/test_dist.py \
	%D%/test_run.py
TESTS += $(deploy_tests)
EXTRA_DIST += $(deploy_tests) %D%/deploytest.py demo/community.sql
