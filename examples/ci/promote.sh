#!/usr/bin/env bash
# A CI pipeline step: apply AI resources, deploy them to staging, check that staging holds exactly
# what the control plane says, then promote to production. Every decision uses exit codes and
# `-o json`, never screen text.
#
#   AGENTGW_SERVER=https://agentgw.internal:8080 AGENTGW_TOKEN=… examples/ci/promote.sh examples/resources/*.yaml
#
# Exit codes of agentgw (agentgw help exit-codes): 0 ok, 1 a target failed, 2 usage / drift found
# (diff --exit-code), 3 daemon unreachable, 4 auth, 5 conflict, 6 unhealthy (gateway health).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 MANIFEST.yaml…" >&2
  exit 2
fi

resources=()
for manifest in "$@"; do
  # apply prints the stored resources; keep their Kind/name references.
  while IFS= read -r ref; do resources+=("$ref"); done < <(agentgw apply -f "$manifest" -o json | jq -r '.resources[] | "\(.kind)/\(.name)"')
done

for ref in "${resources[@]}"; do
  echo "deploying $ref to staging" >&2
  if ! agentgw deploy "$ref" --env staging -o json > "deploy-staging.json"; then
    echo "staging deploy of $ref failed on:" >&2
    jq -r '.results[] | select(.status == "FAILED") | "  \(.gateway): \(.error)"' deploy-staging.json >&2
    exit 1
  fi
done

# Drift: exit 2 when any staging gateway holds something other than what was deployed.
if ! agentgw diff --env staging --exit-code -o json > drift-staging.json; then
  echo "staging drifted from the control plane; not promoting" >&2
  jq . drift-staging.json >&2
  exit 1
fi

for ref in "${resources[@]}"; do
  echo "promoting $ref to production" >&2
  agentgw deploy "$ref" --env production -o json > "deploy-production.json"
done
agentgw diff --env production --exit-code
echo "promoted ${#resources[@]} resource(s) to production" >&2
