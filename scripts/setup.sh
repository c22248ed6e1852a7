#!/usr/bin/env bash
# Setup + the main job on a fresh Debian machine (root): install what the runtime needs (asks first;
# `--yes` to skip the question), build, bring up the built-in lab (a simulated KVM host in network
# namespaces) and show `status` and `audit` on it. Test-only packages: scripts/test.sh installs them.
#   scripts/setup.sh [--yes]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh "$@"
npm run --silent build
./bin/offloadctl lab up --name demo
lab_json=$(./bin/offloadctl lab status --name demo --json)
field() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$lab_json" "$1"; }
ns=$(field hypervisor)
# The lab writes libvirt/Proxmox records for its simulated VMs; point status at them.
echo "== offloadctl --netns $ns status --libvirt-dir $(field libvirtDir) --proxmox-dir $(field proxmoxDir)"
./bin/offloadctl --netns "$ns" status --libvirt-dir "$(field libvirtDir)" --proxmox-dir "$(field proxmoxDir)"
echo "== offloadctl --netns $ns audit --profile tso-gso-off"
./bin/offloadctl --netns "$ns" audit --profile tso-gso-off --libvirt-dir "$(field libvirtDir)" --proxmox-dir "$(field proxmoxDir)" || true
echo "== offloadctl --netns $ns plan --profile tso-gso-off"
./bin/offloadctl --netns "$ns" plan --profile tso-gso-off || true
echo
echo "The lab stays up for you to explore; remove it with: ./bin/offloadctl lab down --name demo"
