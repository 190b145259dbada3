# tests/fuzz/fuzz.mk -- libFuzzer harnesses of the SIP and SDP parsers.
# Run from the repository root:
#
#   make -f tests/fuzz/fuzz.mk                     build build/fuzz/fuzz_*
#   make -f tests/fuzz/fuzz.mk run FUZZ_SECONDS=60  fuzz each target
#
# "run" fuzzes every target for FUZZ_SECONDS seconds on a working copy
# of its seed corpus (build/fuzz/corpus-<name>), with leak detection on,
# and fails on any crash, leak, timeout or out-of-memory. Reproducers
# land in build/fuzz/artifacts-<name>/, logs in build/fuzz/<name>.log.

CLANG		?= clang
FUZZ_SECONDS	?= 30
FUZZ_DIR	:= build/fuzz
TARGETS		:= sip_parse sip_frame sdp
BINS		:= $(TARGETS:%=$(FUZZ_DIR)/fuzz_%)
SIP_SRC		:= $(sort $(wildcard src/sip/*.c)) src/core/str.c
SIP_HDR		:= $(wildcard src/sip/*.h) src/core/str.h src/core/poison.h
FUZZ_CFLAGS	:= -std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=all -Isrc -include src/core/poison.h
FUZZ_ARGS	 = -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=5 \
		   -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
		   -dict=tests/fuzz/sip.dict

.PHONY: all run clean

all: $(BINS)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(SIP_SRC) $(SIP_HDR)
	@mkdir -p $(FUZZ_DIR)
	$(CLANG) $(FUZZ_CFLAGS) $< $(SIP_SRC) -o $@

# The SDP parser (media/sdp.c) needs only the string views.
SDP_SRC		:= src/media/sdp.c src/core/str.c
$(FUZZ_DIR)/fuzz_sdp: tests/fuzz/fuzz_sdp.c $(SDP_SRC) src/media/sdp.h \
		src/core/str.h src/core/poison.h
	@mkdir -p $(FUZZ_DIR)
	$(CLANG) $(FUZZ_CFLAGS) $< $(SDP_SRC) -o $@

# Seeds: tests/fuzz/corpus/<name>, or the sip_parse seeds when a target
# has none of its own.
run: $(BINS)
	@set -e; \
	for t in $(TARGETS); do \
		corpus=$(FUZZ_DIR)/corpus-$$t; art=$(FUZZ_DIR)/artifacts-$$t; \
		seeds=tests/fuzz/corpus/$$t; \
		[ -d $$seeds ] || seeds=tests/fuzz/corpus/sip_parse; \
		mkdir -p $$corpus $$art; \
		cp -n $$seeds/* $$corpus/ 2>/dev/null || true; \
		log=$(FUZZ_DIR)/$$t.log; \
		rc=0; \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		    $(FUZZ_DIR)/fuzz_$$t $(FUZZ_ARGS) -artifact_prefix=$$art/ \
		    $$corpus >$$log 2>&1 || rc=$$?; \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
		cov=$$(grep -o 'cov: [0-9]*' $$log | tail -n 1); \
		echo "fuzz_$$t: $${FUZZ_SECONDS}s execs: $${execs:-?} $${cov:-cov: ?} rc=$$rc"; \
		if [ $$rc -ne 0 ]; then \
			grep -E 'ERROR|SUMMARY|Test unit written' $$log | head -n 5; \
			echo "fuzz_$$t: FAILED, see $$log and $$art/"; \
			exit 1; \
		fi; \
	done

clean:
	rm -rf $(FUZZ_DIR)
