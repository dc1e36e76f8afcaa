#!/usr/bin/env bash
# Builds the e2e tests' tools from this Go module (a module of its own, so that its dependencies
# never move the control plane's in ../cluster/go.mod):
#   helm           helm.sh/helm/v4: lints, renders and installs charts/tenantshift
#   kstatus        ./kstatus: the health Flux reads (sigs.k8s.io/cli-utils' kstatus)
#   argocd-health  ./argocd-health: runs an Argo CD health check (Lua) as Argo CD runs it
#
#   build.sh OUT_DIR  ->  OUT_DIR/tools/<key>/{helm,kstatus,argocd-health}, OUT_DIR/tools/current
#
# <key> is a hash of go.mod, go.sum and the sources: a second run with the same ones finds the
# binaries and does nothing; an edit builds them again (Go's cache makes that seconds).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build.sh OUT_DIR}
mkdir -p "$out/tools"
out=$(cd "$out/tools" && pwd) # the build below runs in the module directory

source "$here/../go-env.sh"
export CGO_ENABLED=0

helm_version=$(awk '$1 == "helm.sh/helm/v4" { print $2; exit }' "$here/go.mod")
[[ -n "$helm_version" ]] || { echo "tools/build.sh: no helm.sh/helm/v4 in $here/go.mod" >&2; exit 1; }
key=$(cat "$here/build.sh" "$here/../go-env.sh" "$here/go.mod" "$here/go.sum" "$here"/*/*.go | sha256sum | cut -c1-12)
bin="$out/$key"

tools=(helm kstatus argocd-health)
missing=0
for t in "${tools[@]}"; do [[ -x "$bin/$t" ]] || missing=1; done
if ((missing)); then
	echo "tools/build.sh: building helm $helm_version, kstatus and argocd-health into $bin"
	start=$SECONDS
	# Tools of an older key are of no use to this checkout: remove them (helm is ~60 MB).
	find "$out" -mindepth 1 -maxdepth 1 ! -name current -exec rm -rf {} +
	mkdir -p "$bin.tmp"
	cd "$here"
	go build -p "$go_jobs" -trimpath \
		-ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version" \
		-o "$bin.tmp/" helm.sh/helm/v4/cmd/helm ./kstatus ./argocd-health
	rm -rf "$bin"
	mv "$bin.tmp" "$bin"
	echo "tools/build.sh: built in $((SECONDS - start)) s"
fi
ln -sfn "$key" "$out/current"
echo "tools/build.sh: $out/current -> $key: helm $("$bin/helm" version --short), kstatus, argocd-health"
