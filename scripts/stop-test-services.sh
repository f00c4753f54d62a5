#!/usr/bin/env bash
# Stops the DynamoDB Local, cognito-local, versitygw, mailpit and stripe-mock that the integration tests started.
cd "$(dirname "$0")/.."
for f in .local/test-services/*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  rm -f "$f"
  case "$f" in
  */dynamodb-*.pid)
    # Its database on the memory file system (localcloud.DynamoDBLocal's memoryDir).
    port=${f##*-}
    rm -rf "/dev/shm/issuetracker-dynamodb-$(id -u)-${port%.pid}"
    ;;
  esac
done
exit 0
