# tests/fuzz: libFuzzer harnesses for every parser of untrusted input.
#
# make check: each harness is linked with replay.c by the normal compiler
# and replays its corpus (tests/fuzz/corpus/TARGET, seeds and every crash
# input ever found), one TAP check per input.
#
# make fuzz: builds each harness with clang -fsanitize=fuzzer,address,
# undefined from the sources it needs and runs it for FUZZ_SECONDS (30)
# seconds; results (one .trs per target, counted by scripts/count-results)
# and crash inputs land in FUZZ_OUT (tests/fuzz/out).  A crash fails.

fuzz_targets = fuzz_qs fuzz_params fuzz_cursor fuzz_jwt fuzz_keys fuzz_router \
	fuzz_cookie fuzz_pgtime

fuzz_replays = tests/fuzz/replay_qs tests/fuzz/replay_params \
	tests/fuzz/replay_cursor tests/fuzz/replay_jwt tests/fuzz/replay_keys \
	tests/fuzz/replay_router tests/fuzz/replay_cookie \
	tests/fuzz/replay_pgtime
check_PROGRAMS += $(fuzz_replays)
TESTS += $(fuzz_replays)

tests_fuzz_replay_qs_SOURCES = %D%/replay.c %D%/fuzz_qs.c
tests_fuzz_replay_qs_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"fuzz_qs"'
tests_fuzz_replay_params_SOURCES = %D%/replay.c %D%/fuzz_params.c
tests_fuzz_replay_params_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_TARGET='"fuzz_params"'
tests_fuzz_replay_cursor_SOURCES = %D%/replay.c %D%/fuzz_cursor.c
tests_fuzz_replay_cursor_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_TARGET='"fuzz_cursor"'
tests_fuzz_replay_jwt_SOURCES = %D%/replay.c %D%/fuzz_jwt.c
tests_fuzz_replay_jwt_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"fuzz_jwt"'
tests_fuzz_replay_keys_SOURCES = %D%/replay.c %D%/fuzz_keys.c
tests_fuzz_replay_keys_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"fuzz_keys"'
tests_fuzz_replay_router_SOURCES = %D%/replay.c %D%/fuzz_router.c
tests_fuzz_replay_router_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_TARGET='"fuzz_router"'
tests_fuzz_replay_cookie_SOURCES = %D%/replay.c %D%/fuzz_cookie.c
tests_fuzz_replay_cookie_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_TARGET='"fuzz_cookie"'
tests_fuzz_replay_pgtime_SOURCES = %D%/replay.c %D%/fuzz_pgtime.c
tests_fuzz_replay_pgtime_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_TARGET='"fuzz_pgtime"'

EXTRA_DIST += %D%/corpus %D%/run-fuzz

FUZZ_SECONDS = 30
FUZZ_CC = clang
FUZZ_OUT = $(abs_top_builddir)/tests/fuzz/out

# Not part of all or check: needs clang and libclang-rt (scripts/deps.d).
fuzz: all
	FUZZ_CC='$(FUZZ_CC)' FUZZ_SECONDS='$(FUZZ_SECONDS)' \
	FUZZ_CPPFLAGS='$(PQ_CFLAGS) $(JSONC_CFLAGS) $(SODIUM_CFLAGS)' \
	FUZZ_LIBS='$(PQ_LIBS) $(JSONC_LIBS) $(SODIUM_LIBS)' \
	    $(SHELL) $(top_srcdir)/tests/fuzz/run-fuzz '$(top_srcdir)' \
	    '$(FUZZ_OUT)' $(fuzz_targets)

clean-local: clean-fuzz
clean-fuzz:
	rm -rf '$(FUZZ_OUT)'

.PHONY: fuzz clean-fuzz
