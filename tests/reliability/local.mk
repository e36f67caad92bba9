# tests/reliability: build rules and tests (see the files in this folder).
