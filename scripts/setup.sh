#!/usr/bin/env bash
# Setup + the main job on a fresh Debian machine (root): install what is missing, build, bring up
# the built-in lab (a simulated KVM host in network namespaces) and show `status` and `audit` on it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent build
./bin/offloadctl lab up --name demo
ns=$(./bin/offloadctl lab status --name demo --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).hypervisor))')
echo "== offloadctl --netns $ns status"
./bin/offloadctl --netns "$ns" status
echo "== offloadctl --netns $ns audit --profile tso-gso-off"
./bin/offloadctl --netns "$ns" audit --profile tso-gso-off || true
echo
echo "The lab stays up for you to explore; remove it with: ./bin/offloadctl lab down --name demo"
