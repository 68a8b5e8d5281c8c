#!/usr/bin/env bash
# Usage: scripts/deploy.sh <dev|staging|production>
set -euo pipefail

ENV="${1:?usage: $0 <dev|staging|production>}"
DIR="$(cd "$(dirname "$0")/.." && pwd)"
case "$ENV" in
  dev) PREFIX=dev- ;;
  staging) PREFIX=staging- ;;
  production) PREFIX=prod- ;;
  *) echo "unknown environment: $ENV" >&2; exit 1 ;;
esac

kubectl kustomize "$DIR/kustomize/overlays/$ENV" | kubectl apply --server-side -f -
kubectl -n acme rollout status "deployment/${PREFIX}acme-api" --timeout=5m
