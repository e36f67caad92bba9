# Unit tests for src/auth.mk modules: base64url, the key file, JWT.
unit_tests += tests/unit/test_b64
tests_unit_test_b64_SOURCES = tests/unit/test_b64.c

unit_tests += tests/unit/test_keys
tests_unit_test_keys_SOURCES = tests/unit/test_keys.c

unit_tests += tests/unit/test_jwt
tests_unit_test_jwt_SOURCES = tests/unit/test_jwt.c
