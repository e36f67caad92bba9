# Unit tests for src/parse.mk modules.
unit_tests += tests/unit/test_qs tests/unit/test_params tests/unit/test_cursor
tests_unit_test_qs_SOURCES = tests/unit/test_qs.c
tests_unit_test_params_SOURCES = tests/unit/test_params.c
tests_unit_test_cursor_SOURCES = tests/unit/test_cursor.c
unit_tests += tests/unit/test_pgtime
tests_unit_test_pgtime_SOURCES = tests/unit/test_pgtime.c
