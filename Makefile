# kigo-tui - hand-written Makefile.  `make V=1` shows the commands.
#
#   make            build ./kigo-tui
#   make deps       install missing Debian packages and test tools
#   make check      unit (Criterion) and integration tests
#   make asan       the same under AddressSanitizer + UBSan, leaks fail
#   make demo       run the client against the built-in local stand-ins
#   make bench      benchmarks (print figures)
#   make fuzz       libFuzzer targets, longer runs
#   make analyze    cppcheck + clang-tidy, both must report nothing
#   make valgrind   every unit test and every integration test (each kigo-tui
#                   and sn_tool process) under valgrind memcheck; reports fail
#   make crash      kill -9 at 200 points of `sync` and of the full-screen client
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/kigo-tui
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
DESTDIR ?=

VERSION := 0.1.0
BUILD   ?= build
CC      ?= cc
PKG_CONFIG ?= pkg-config
PKGS    := ncursesw libcurl json-c libsecret-1 sqlite3 libqrencode

WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings -Wvla -Wimplicit-fallthrough
CFLAGS  ?= -O2 -g
ifeq ($(WERROR),1)
WARN    += -Werror
endif
ifeq ($(SAN),1)
CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
# libFuzzer builds (scripts/fuzz.sh): clang, the library instrumented for coverage
ifeq ($(SAN),fuzz)
CC      := clang
CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link \
           -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

KG_CPPFLAGS := -Iinclude -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -D_XOPEN_SOURCE_EXTENDED \
               -DKG_VERSION='"$(VERSION)"' -MMD -MP
PKG_CFLAGS  = $(filter-out -D_XOPEN_SOURCE=% -D_DEFAULT_SOURCE,$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null))
PKG_LIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CRIT_LIBS   = $(shell $(PKG_CONFIG) --libs criterion 2>/dev/null)
ALL_CFLAGS  = -std=c11 $(WARN) $(CFLAGS) $(KG_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

SRCS      := $(wildcard src/*.c)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/src/%.o)
MAIN_OBJ  := $(BUILD)/src/main.o
LIB       := $(BUILD)/libkigo.a
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Small programs integration tests drive (they link libkigo.a).
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)
TEST_SUPPORT_SRCS := $(wildcard tests/unit/support/*.c)
TEST_SUPPORT_OBJS := $(TEST_SUPPORT_SRCS:tests/unit/support/%.c=$(BUILD)/tests/support/%.o)
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/fuzz/%)
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
PROG      := $(if $(filter build,$(BUILD)),kigo-tui,$(BUILD)/kigo-tui)

.PHONY: fuzzers all deps check unit integration asan demo bench fuzz install uninstall \
        clean lint compile_commands.json tidy cppcheck analyze valgrind crash

all: deps $(PROG)

# Installs what is missing; quick no-op when everything is there.
deps:
	$(Q)scripts/deps.sh

$(PROG): $(MAIN_OBJ) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB) $(PKG_LIBS) -lm

$(LIB): $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $(LIB_OBJS)

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/support/%.o: tests/unit/support/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(TEST_SUPPORT_OBJS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJS) $(LIB) \
		$(PKG_LIBS) $(CRIT_LIBS) -lm

$(BUILD)/fuzz/%: fuzz/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Ifuzz -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lm

fuzzers: $(FUZZ_BINS)

$(BUILD)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lm

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  BENCH   $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lm

# `make check`: every unit test binary, then the integration suite.
check: deps $(PROG) $(TEST_BINS) $(TOOL_BINS)
	$(Q)BUILD=$(BUILD) PROG=$(PROG) SAN=$(SAN) tests/run-tests.sh

unit: $(PROG) $(TEST_BINS)
	$(Q)BUILD=$(BUILD) PROG=$(PROG) SAN=$(SAN) tests/run-tests.sh unit

integration: $(PROG) $(TEST_BINS) $(TOOL_BINS)
	$(Q)BUILD=$(BUILD) PROG=$(PROG) SAN=$(SAN) tests/run-tests.sh integration

# `make crash`: test_crash.py at full size (KG_CRASH_SEED=N replays a run)
crash: deps $(PROG) $(TOOL_BINS)
	$(Q)LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC BUILD=$(BUILD) PROG=$(abspath $(PROG)) \
	  KG_CRASH_POINTS=$${KG_CRASH_POINTS:-200} KG_CRASH_TUI_POINTS=$${KG_CRASH_TUI_POINTS:-200} \
	  /usr/bin/python3 tests/integration/test_crash.py

asan: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan SAN=1 check

demo: deps $(PROG)
	$(Q)scripts/demo.sh $(if $(TICKET),$(TICKET),)

bench: deps $(PROG) $(BENCH_BINS)
	$(Q)BUILD=$(BUILD) PROG=$(PROG) scripts/bench.sh

fuzz: deps
	$(Q)scripts/fuzz.sh $(if $(FUZZ_SECONDS),$(FUZZ_SECONDS),60)

lint:
	$(Q)mandoc -T lint -W warning man/kigo-tui.1 man/kigo-tui.conf.5

compile_commands.json:
	$(Q)$(MAKE) clean && bear -- $(MAKE) all $(TEST_BINS)

# `make analyze`: cppcheck and clang-tidy (the committed .clang-tidy) on
# src/*.c; either reporting anything fails.  `make valgrind`: the whole
# suite under valgrind (scripts/valgrind.sh says how each process is reached).
analyze: cppcheck tidy

tidy:
	$(Q)printf '%s\n' $(SRCS) | xargs -P 2 -I{} clang-tidy --quiet {} -- -std=c11 \
		$(filter-out -MMD -MP,$(KG_CPPFLAGS)) $(PKG_CFLAGS) 2>/dev/null \
		|| { echo "clang-tidy: findings above (or run it by hand: it failed)"; exit 1; }
	@echo "  TIDY    clean"

cppcheck:
	$(Q)cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
		--inline-suppr --suppress=missingIncludeSystem -Iinclude \
		'-D_Noreturn=__attribute__((noreturn))' -D_DEFAULT_SOURCE src \
		&& echo "  CPPCHECK clean"

valgrind: $(PROG) $(TEST_BINS) $(TOOL_BINS)
	$(Q)BUILD=$(BUILD) scripts/valgrind.sh $(BUILD)

install: $(PROG)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(PROG) $(DESTDIR)$(BINDIR)/kigo-tui
	install -m 0644 man/kigo-tui.1 $(DESTDIR)$(MANDIR)/man1/kigo-tui.1
	install -m 0644 man/kigo-tui.conf.5 $(DESTDIR)$(MANDIR)/man5/kigo-tui.conf.5
	install -m 0644 kigo-tui.conf.example $(DESTDIR)$(DOCDIR)/kigo-tui.conf.example
	[ ! -f completions/kigo-tui.bash ] || install -m 0644 completions/kigo-tui.bash $(DESTDIR)$(BASHCOMPDIR)/kigo-tui
	[ ! -f completions/_kigo-tui ] || install -m 0644 completions/_kigo-tui $(DESTDIR)$(ZSHCOMPDIR)/_kigo-tui

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kigo-tui $(DESTDIR)$(MANDIR)/man1/kigo-tui.1 \
		$(DESTDIR)$(MANDIR)/man5/kigo-tui.conf.5 $(DESTDIR)$(DOCDIR)/kigo-tui.conf.example \
		$(DESTDIR)$(BASHCOMPDIR)/kigo-tui $(DESTDIR)$(ZSHCOMPDIR)/_kigo-tui

clean:
	rm -rf build build-asan build-fuzz kigo-tui

# test support objects are not intermediate files to delete
.SECONDARY:

-include $(wildcard $(BUILD)/src/*.d $(BUILD)/tests/*.d $(BUILD)/tests/support/*.d \
	$(BUILD)/fuzz/*.d $(BUILD)/tools/*.d $(BUILD)/bench/*.d)
