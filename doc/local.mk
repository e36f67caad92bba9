# doc: build rules and tests (see the files in this folder).
