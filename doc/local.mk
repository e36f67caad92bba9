# doc: the manual pages and the OpenAPI document, installed by make install
# and checked by make check (tests/browser/test_docs.py: mandoc -Tlint,
# openapi.json equals openapi.yaml, the document is valid OpenAPI 3.1 /
# JSON Schema 2020-12).  The whole doc/ folder is in the tarball (top Makefile.am).
dist_man_MANS = %D%/follow-fcgi.8 %D%/followctl.1

# nginx serves openapi.json at /api/openapi.json (doc/integration.md).
openapidir = $(pkgdatadir)
dist_openapi_DATA = %D%/openapi.yaml %D%/openapi.json

# Its test is not in doc/: the whole folder goes into the tarball, and
# so would the test's log.
TESTS += tests/browser/test_docs.py
EXTRA_DIST += tests/browser/test_docs.py

# After editing openapi.yaml: make openapi-json, and commit both files.
openapi-json:
	$(PYTHON3) -c 'import json, sys, yaml; \
	json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"), \
	indent=1, sort_keys=False); open(sys.argv[2], "a").write("\n")' \
	    $(srcdir)/doc/openapi.yaml $(srcdir)/doc/openapi.json
.PHONY: openapi-json
