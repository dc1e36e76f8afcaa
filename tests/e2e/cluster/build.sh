#!/usr/bin/env bash
# Builds the control-plane binaries (kube-apiserver, kube-controller-manager, kube-scheduler, etcd)
# from this Go module and the pod runner from its own (podrunner/), once per version:
#   build.sh OUT_DIR   ->   OUT_DIR/bin/<k8s version>/{kube-apiserver,...}
# A second run with the same go.mod/go.sum and sources finds the binaries and does nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd) # the builds below run in the module directories

source "$here/../go-env.sh"

version=$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$here/go.mod")
[[ -n "$version" ]] || { echo "build.sh: no k8s.io/kubernetes version in $here/go.mod" >&2; exit 1; }
# The pod runner and etcd are keyed by the hash of their sources and the module files too, so that
# an edit to them rebuilds them (the k8s binaries only depend on the version).
runner_key=$(cat "$here/go.mod" "$here/go.sum" "$here"/cmd/*/*.go \
	"$here/podrunner/go.mod" "$here/podrunner/go.sum" "$here"/podrunner/*.go | sha256sum | cut -c1-12)
bin="$out/bin/$version"
mkdir -p "$bin"

k8s=(kube-apiserver kube-controller-manager kube-scheduler)
missing=()
for b in "${k8s[@]}"; do [[ -x "$bin/$b" ]] || missing+=("$b"); done

ldflags="-s -w"
major=${version#v}; major=${major%%.*}
minor=${version#v*.}; minor=${minor%%.*}
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=$major -X $p.gitMinor=$minor"
	ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

cd "$here"
start=$SECONDS
if ((${#missing[@]})); then
	echo "build.sh: building ${missing[*]} $version (first build on a fresh machine takes a while)"
	for b in "${missing[@]}"; do
		go build -p "$go_jobs" -trimpath -ldflags "$ldflags" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b"
		mv "$bin/$b.tmp" "$bin/$b"
	done
fi
# etcd from this module; the pod runner (virtual-kubelet and its provider) from its own module,
# whose dependencies must not move the control plane's (see podrunner/go.mod).
for b in etcd podrunner; do
	if [[ ! -x "$bin/$b-$runner_key" ]]; then
		rm -f "$bin/$b"-*
		src=./cmd/$b
		[[ $b == podrunner ]] && src=./podrunner
		(cd "$src" && go build -p "$go_jobs" -trimpath -ldflags "-s -w" -o "$bin/$b-$runner_key.tmp" .)
		mv "$bin/$b-$runner_key.tmp" "$bin/$b-$runner_key"
	fi
	ln -sfn "$b-$runner_key" "$bin/$b"
done
ln -sfn "$version" "$out/bin/current"
echo "build.sh: binaries in $bin ($((SECONDS - start)) s)"
