#!/bin/sh
# The namespace Riposte works in, made once. The server's port answers before its services are ready, so this waits
# for the cluster to report healthy first (at most two minutes).
set -eu
namespace="${TEMPORAL_NAMESPACE:-default}"
address="${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS}"
tries=0
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "Temporal at $address did not become healthy" >&2; exit 1; }
  sleep 2
done
if temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  # Closed incidents stay in the Temporal UI for 30 days; Riposte's own audit trail keeps the record after that.
  temporal operator namespace create --address "$address" --namespace "$namespace" --retention 720h
fi
