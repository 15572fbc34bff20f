#!/bin/sh
# As the official image: redis-server as the redis user with protected mode off; later arguments
# (compose's command) still override it.
set -eu
if [ "${1:-}" = redis-server ]; then
  shift
  exec setpriv --reuid=redis --regid=redis --init-groups redis-server --protected-mode no "$@"
fi
exec "$@"
