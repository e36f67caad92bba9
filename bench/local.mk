# bench: the rerunnable benchmark (bench/run) and its tiny smoke run, which
# `make check` runs so the benchmark never rots. See bench/RESULTS.md.
check_PROGRAMS += %D%/bench-sql
bench_bench_sql_SOURCES = %D%/bench-sql.c
TESTS += %D%/test_smoke.py
EXTRA_DIST += %D%/run %D%/cpu-profile %D%/explain %D%/gen.sql %D%/check.sql %D%/test_smoke.py \
	%D%/RESULTS.md
