# Integration tests: Python (Debian's python3) against a real tests/stack.
integration_tests =
TESTS += $(integration_tests)
EXTRA_DIST += $(integration_tests) %D%/followtest.py tests/stack
