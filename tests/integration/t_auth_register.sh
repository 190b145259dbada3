#!/bin/bash
# t_auth_register -- digest authentication and the registrar, end to end
# against the real daemon, from a public source (127.0.0.2):
# accounts made with centinelactl; 401 with one challenge per algorithm
# (SHA-256 first); REGISTER with SHA-256 and with MD5; wrong secret;
# replayed nonce-count; nonce from another address; someone else's AOR
# (403); 423 below min_expires; expiry and re-registration; stale nonce
# (stale=true, then 200); "*" unregister; 407 for an INVITE. The events
# behind each answer are checked in the metrics.
TEST_ID=30
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl

EXTRA='registrar = { mode = "local"; min_expires = 2; max_expires = 3600;
  default_expires = 300; max_contacts = 10; };
auth = { nonce_lifetime = 10; };'
write_conf "$T/centinela.conf"
CTL=$(dirname "$BIN")/centinelactl
ctl() { "$CTL" user -c "$T/centinela.conf" "$@"; }

SECRET=$(user_add "$T/centinela.conf" 100) || fail "user add 100 failed"
[ ${#SECRET} -ge 22 ] || fail "no device secret written: $(cat "$T/add-100.out")"
ok "user add 100 wrote a ${#SECRET}-character device secret to a 0600 file"
ctl add 101 >/dev/null || fail "user add 101 failed"

start_centinela
python3 "$ITEST/sipauth.py" suite --port "$SIP_PORT" --user 100 \
    --secret "$SECRET" --other 101 --bind 127.0.0.2 --lifetime 10 \
    --min-expires 2 || fail "sipauth suite failed"

ev() { echo "event=\"$1\",reason=\"$2\""; }
expect_metric centinela_events_total "$(ev auth_ok none)" -ge 8
expect_metric centinela_events_total "$(ev auth_failed wrong_secret)" -ge 1
expect_metric centinela_events_total "$(ev auth_failed replay)" -ge 1
expect_metric centinela_events_total "$(ev auth_failed bad_nonce)" -ge 1
expect_metric centinela_events_total "$(ev auth_failed stale_nonce)" -ge 1
expect_metric centinela_events_total "$(ev auth_failed auth_required)" -ge 8
expect_metric centinela_events_total "$(ev register none)" -ge 4
expect_metric centinela_events_total "$(ev unregister none)" -ge 1
expect_metric centinela_events_total "$(ev binding_expired none)" -ge 1
expect_metric centinela_rejects_total 'reason="identity_mismatch"' -eq 1
expect_metric centinela_rejects_total 'reason="interval_too_brief"' -eq 1
grep -q 'event=auth_failed.*reason=replay' "$LOG" ||
    fail "no auth_failed/replay log line"
ok "auth_failed lines carry their sub-reason"
