# Unit tests: one TAP program per module, linked against libfollow.a.
EXTRA_DIST += %D%/tap.h
unit_tests =
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)
