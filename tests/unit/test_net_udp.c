/*
 * tests/unit/test_net_udp.c -- the pause of UDP interrupt coalescing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>

#include "net/tp_int.h"

/* Off (max 0), or the sockets not drained: never a pause. */
static void
test_pause_off(void **state)
{
	(void)state;
	assert_int_equal(udp_pause_us(100000, true, 0), 0);
	assert_int_equal(udp_pause_us(100000, false, 1000), 0);
	assert_int_equal(udp_pause_us(0, true, 1000), 0);
}

/* Below UDP_PACE_MIN_GATHER per longest pause: no delay at all. */
static void
test_pause_low_rate(void **state)
{
	(void)state;
	/* 1000 us gathers 8 datagrams from 8000/s on: 7999/s is below
	 * (REGISTER at 3000/s, 6000 datagrams/s in, never pauses). */
	assert_int_equal(udp_pause_us(6000, true, 1000), 0);
	assert_int_equal(udp_pause_us(7999, true, 1000), 0);
	assert_int_equal(udp_pause_us(8000, true, 1000), 1000);
	/* 200 us needs 40000/s. */
	assert_int_equal(udp_pause_us(39999, true, 200), 0);
	assert_int_equal(udp_pause_us(40000, true, 200), 200);
}

/* Above it: as long as a batch takes to arrive, at most max. */
static void
test_pause_batch(void **state)
{
	(void)state;
	/* 16000/s: a batch of 32 takes 2 ms, clipped to max. */
	assert_int_equal(udp_pause_us(16000, true, 1000), 1000);
	assert_int_equal(udp_pause_us(16000, true, 2000), 2000);
	/* 64000/s: 500 us; 320000/s: 100 us. */
	assert_int_equal(
	    udp_pause_us(64000, true, 1000), TP_UDP_BATCH * 1000000u / 64000);
	assert_int_equal(
	    udp_pause_us(320000, true, 1000), TP_UDP_BATCH * 1000000u / 320000);
	/* An absurd rate: a pause shorter than a microsecond is none. */
	assert_int_equal(udp_pause_us(UINT64_C(1) << 40, true, 2000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause_off),
		cmocka_unit_test(test_pause_low_rate),
		cmocka_unit_test(test_pause_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
