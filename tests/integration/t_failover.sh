#!/bin/bash
# t_failover -- two upstreams of equal priority, a and b (SIPp UAS
# with -aa, so they answer the OPTIONS probes). 120 calls at 10 cps;
# after 25 have completed, a is killed (SIGKILL, by PID). Asserts:
#   - at least 114 of 120 calls (95 %) succeed. Why this bound: new
#     INVITEs to a dead upstream fail over to b after
#     transaction.failover_timeout (1 s here), so they succeed; what
#     cannot be saved is a dialog already set up with a when it dies
#     (its ACK/BYE go to a's Contact), i.e. the calls in progress on a
#     at that instant: about rate x call length / 2 = 10 x 0.25 / 2,
#     one or two; 6 leaves room for a slow (ASan) daemon;
#   - a is marked down (centinela_upstream_up{upstream="a"} 0, log line)
#     within 5 s (two failed probes at a 500 ms interval: ~1.5 s);
#   - a is started again: within two probe intervals (plus slack) it is
#     marked up again (metric 1, log line), and the new a completes
#     calls again before the run ends.
TEST_ID=15
TP=udp
. "$(dirname "$0")/failover_body.sh"
