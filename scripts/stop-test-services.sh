#!/usr/bin/env bash
# Stops the DynamoDB Local, cognito-local, versitygw, mailpit and stripe-mock that the integration tests started.
cd "$(dirname "$0")/.."
for f in .local/test-services/*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  rm -f "$f"
done
exit 0
