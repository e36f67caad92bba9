# Unit tests for src/core.mk modules.
unit_tests += tests/unit/test_router tests/unit/test_config
tests_unit_test_router_SOURCES = tests/unit/test_router.c
tests_unit_test_config_SOURCES = tests/unit/test_config.c
unit_tests += tests/unit/test_json_out
tests_unit_test_json_out_SOURCES = tests/unit/test_json_out.c
