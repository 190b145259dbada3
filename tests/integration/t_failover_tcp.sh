#!/bin/bash
# t_failover_tcp -- t_failover with both upstreams on TCP (and the
# caller on TCP): killing a also kills centinela's connection to it;
# INVITEs sent toward a before it is marked down find the connection
# refused and must fail over to b; once a is back, centinela connects
# to it again. Same assertions and bounds as t_failover (>= 95 % of
# 120 calls, a down within 5 s, up again within 3 s of its restart, the
# revived a completes calls).
TEST_ID=20
TP=tcp
. "$(dirname "$0")/failover_body.sh"
