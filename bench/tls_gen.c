/*
 * bench/tls_gen.c -- TLS load generator (placeholder).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
int
main(void)
{
	return 2;
}
