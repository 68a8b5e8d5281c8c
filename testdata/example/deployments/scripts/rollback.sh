#!/usr/bin/env bash
# Usage: scripts/rollback.sh <prefix> [revision]
#   e.g. scripts/rollback.sh prod-        # back to the previous revision
set -euo pipefail

PREFIX="${1:?usage: $0 <prefix> [revision]}"
REVISION="${2:-}"

kubectl -n acme rollout history "deployment/${PREFIX}acme-api"
if [[ -n "$REVISION" ]]; then
  kubectl -n acme rollout undo "deployment/${PREFIX}acme-api" --to-revision="$REVISION"
else
  kubectl -n acme rollout undo "deployment/${PREFIX}acme-api"
fi
kubectl -n acme rollout status "deployment/${PREFIX}acme-api" --timeout=5m
