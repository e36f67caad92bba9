# tests/reliability: faults under load, hostile HTTP and hardening checks
# against a private tests/stack (Python, TAP), plus check-tool-logs, which
# .ci/run uses to count sanitizer and valgrind reports.
reliability_tests = \
	%D%/test_faults.py \
	%D%/test_hostile.py \
	%D%/test_hardening.py
TESTS += $(reliability_tests)
EXTRA_DIST += $(reliability_tests) %D%/reltest.py %D%/check-tool-logs
EXTRA_DIST += tests/RELIABILITY.md
