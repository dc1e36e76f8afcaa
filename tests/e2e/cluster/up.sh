#!/usr/bin/env bash
# Stands up a real Kubernetes control plane on loopback for tenantshift's e2e tests: etcd,
# kube-apiserver (Node,RBAC), kube-controller-manager, kube-scheduler, and the podrunner (the
# kubelet: virtual-kubelet's node library with a provider that runs the tenantshift binary for pods
# of the project's image; its kubelet API serves `kubectl logs`).
#
#   up.sh --bin-dir DIR --tenantshift PATH [--state-dir DIR] [--image NAME]
#
# --bin-dir holds the binaries build.sh made. The state dir (default: a new temp dir) receives
# certificates, kubeconfigs, logs, pid files and env, a file to source:
#   KUBECONFIG            admin kubeconfig (client certificate in system:masters)
#   E2E_STATE_DIR, E2E_API_SERVER, E2E_NODE, E2E_PODRUNNER_STATE, E2E_CA_FILE, E2E_KUBELET_PORT
#   E2E_ETCD_URL          etcd's client URL (plain http on loopback), e.g. to compact it
# The state dir's path is the last line printed. Stop everything with down.sh STATE_DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${E2E_BIN_DIR:-}
state=${E2E_STATE_DIR:-}
tenantshift=${TENANTSHIFT_BINARY:-}
image=${E2E_IMAGE:-tenantshift}
node=e2e-node
while (($#)); do
	case $1 in
	--bin-dir) bin=$2; shift 2 ;;
	--state-dir) state=$2; shift 2 ;;
	--tenantshift) tenantshift=$2; shift 2 ;;
	--image) image=$2; shift 2 ;;
	*) echo "up.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ -n "$bin" && -n "$tenantshift" ]] || { echo "usage: up.sh --bin-dir DIR --tenantshift PATH [--state-dir DIR] [--image NAME]" >&2; exit 2; }
bin=$(cd "$bin" && pwd)
tenantshift=$(realpath "$tenantshift")
for b in etcd kube-apiserver kube-controller-manager kube-scheduler podrunner; do
	[[ -x "$bin/$b" ]] || { echo "up.sh: $bin/$b missing: run build.sh first" >&2; exit 1; }
done
[[ -x "$tenantshift" ]] || { echo "up.sh: $tenantshift is not an executable" >&2; exit 1; }

if [[ -z "$state" ]]; then
	state=$(mktemp -d "${TMPDIR:-/tmp}/tenantshift-e2e.XXXXXX")
elif [[ -e "$state" ]]; then
	# A plane left from an earlier run (crashed before down): stop it and start afresh.
	"$here/down.sh" "$state"
fi
mkdir -p "$state"/{pki,pids,logs}
state=$(cd "$state" && pwd)
touch "$state/.tenantshift-e2e"
log() { echo "up.sh: $*" >&2; }

on_error() {
	log "failed; last log lines:"
	for f in "$state"/logs/*.log; do
		[[ -f "$f" ]] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
	done
	log "stopping what was started"
	"$here/down.sh" --keep "$state" || true
}
trap on_error ERR

mapfile -t ports < <("$bin/podrunner" freeports 6)
etcd_port=${ports[0]} peer_port=${ports[1]} api_port=${ports[2]} kcm_port=${ports[3]} sched_port=${ports[4]}
kubelet_port=${ports[5]}
api="https://127.0.0.1:$api_port"

# --- certificates and the service-account signing key -------------------------------------------
pki=$state/pki
ssl() { openssl "$@" 2>>"$state/logs/openssl.log"; }
ssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tenantshift-e2e-ca" \
	-keyout "$pki/ca.key" -out "$pki/ca.crt"
# cert NAME SUBJECT [SAN]
cert() {
	local ext="$pki/$1.ext"
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		if [[ -n "${3:-}" ]]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$3"; else echo "extendedKeyUsage=clientAuth"; fi
	} >"$ext"
	ssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr"
	ssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-days 2 -extfile "$ext" -out "$pki/$1.crt"
}
cert apiserver "/CN=kube-apiserver" \
	"IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert admin "/O=system:masters/CN=kubernetes-admin"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert node "/O=system:nodes/CN=system:node:$node"
# The kubelet API: its serving certificate (the API server checks it against the CA, at the node's
# InternalIP), and the client certificate the API server presents to it (authorized by RBAC below).
cert kubelet "/O=system:nodes/CN=system:node:$node" "IP:127.0.0.1,DNS:$node"
cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client"
ssl genrsa -out "$pki/sa.key" 2048
ssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

kubeconfig() { # NAME CERT
	local f="$state/$1.kubeconfig"
	kubectl config --kubeconfig="$f" set-cluster e2e --server="$api" \
		--certificate-authority="$pki/ca.crt" --embed-certs=true >/dev/null
	kubectl config --kubeconfig="$f" set-credentials "$2" --client-certificate="$pki/$2.crt" \
		--client-key="$pki/$2.key" --embed-certs=true >/dev/null
	kubectl config --kubeconfig="$f" set-context e2e --cluster=e2e --user="$2" >/dev/null
	kubectl config --kubeconfig="$f" use-context e2e >/dev/null
}
kubeconfig admin admin
kubeconfig controller-manager controller-manager
kubeconfig scheduler scheduler
kubeconfig node node

# start NAME BINARY ARGS...: in its own session, logs to logs/NAME.log, pid to pids/NAME.pid.
# (A background job of a non-interactive shell is no group leader, so setsid execs in place and
# $! is the component's own pid.)
n_started=0
start() {
	local name=$1
	shift
	setsid "$@" >"$state/logs/$name.log" 2>&1 </dev/null &
	n_started=$((n_started + 1))
	echo "$!" >"$state/pids/$n_started-$name.pid"
}
# wait_for WHAT SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
	local what=$1 deadline=$((SECONDS + $2))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then log "timed out waiting for $what"; return 1; fi
		sleep 0.2
	done
}

# --- etcd --------------------------------------------------------------------------------------
start etcd "$bin/etcd" --name e2e --data-dir "$state/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
	--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
	--initial-cluster "e2e=http://127.0.0.1:$peer_port" --listen-metrics-urls "" \
	--unsafe-no-fsync --log-level warn
wait_for "etcd" 30 curl -sf "http://127.0.0.1:$etcd_port/health"

# --- kube-apiserver ----------------------------------------------------------------------------
start kube-apiserver "$bin/kube-apiserver" \
	--etcd-servers="http://127.0.0.1:$etcd_port" \
	--bind-address=127.0.0.1 --secure-port="$api_port" --advertise-address=127.0.0.1 \
	--cert-dir="$pki" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
	--client-ca-file="$pki/ca.crt" \
	--authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
	--service-cluster-ip-range=10.0.0.0/24 --endpoint-reconciler-type=none \
	--kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
	--kubelet-client-key="$pki/apiserver-kubelet-client.key" \
	--kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
	--allow-privileged=true --profiling=false --v=1
curl_api() { curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$api$1"; }
wait_for "kube-apiserver /readyz" 120 curl_api /readyz
export KUBECONFIG="$state/admin.kubeconfig" KUBECACHEDIR="$state/kube-cache"
# The kubelet authorizes the API server's requests (kubectl logs) with a SubjectAccessReview on
# nodes/proxy, nodes/log, ...: the built-in role for that, bound as kubeadm binds it.
kubectl create clusterrolebinding e2e:apiserver-kubelet-client --clusterrole=system:kubelet-api-admin \
	--user=kube-apiserver-kubelet-client >/dev/null

# --- kube-controller-manager and kube-scheduler ------------------------------------------------
start kube-controller-manager "$bin/kube-controller-manager" \
	--kubeconfig="$state/controller-manager.kubeconfig" \
	--authentication-kubeconfig="$state/controller-manager.kubeconfig" \
	--authorization-kubeconfig="$state/controller-manager.kubeconfig" \
	--bind-address=127.0.0.1 --secure-port="$kcm_port" --cert-dir="$state/pki/kcm" \
	--controllers='*' --use-service-account-credentials=true \
	--service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
	--cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
	--leader-elect=false --allocate-node-cidrs=false --profiling=false --v=1
start kube-scheduler "$bin/kube-scheduler" \
	--kubeconfig="$state/scheduler.kubeconfig" \
	--authentication-kubeconfig="$state/scheduler.kubeconfig" \
	--authorization-kubeconfig="$state/scheduler.kubeconfig" \
	--bind-address=127.0.0.1 --secure-port="$sched_port" --cert-dir="$state/pki/scheduler" \
	--leader-elect=false --profiling=false --v=1

# --- the kubelet ---------------------------------------------------------------------------------
podrunner_cmd=("$bin/podrunner" run --kubeconfig "$state/node.kubeconfig"
	--state-dir "$state/podrunner" --binary "$tenantshift" --node "$node" --image "$image"
	--listen "127.0.0.1:$kubelet_port" --tls-cert "$pki/kubelet.crt" --tls-key "$pki/kubelet.key"
	--client-ca "$pki/ca.crt")
printf '%s\n' "${podrunner_cmd[@]}" >"$state/podrunner.cmd" # for restart-podrunner.sh
start podrunner "${podrunner_cmd[@]}"

wait_for "node $node" 60 kubectl get node "$node"
kubectl wait --for=condition=Ready "node/$node" --timeout=60s >/dev/null
# The controller manager is working once it has made the default service account and CA bundle.
wait_for "default service account" 60 kubectl -n default get serviceaccount default
wait_for "kube-root-ca.crt" 60 kubectl -n default get configmap kube-root-ca.crt
wait_for "kube-scheduler /healthz" 60 curl -skf "https://127.0.0.1:$sched_port/healthz"

cat >"$state/env" <<EOF
export KUBECONFIG='$state/admin.kubeconfig'
export KUBECACHEDIR='$state/kube-cache'
export E2E_STATE_DIR='$state'
export E2E_API_SERVER='$api'
export E2E_CA_FILE='$pki/ca.crt'
export E2E_NODE='$node'
export E2E_PODRUNNER_STATE='$state/podrunner'
export E2E_ETCD_URL='http://127.0.0.1:$etcd_port'
export E2E_KUBELET_PORT='$kubelet_port'
EOF
trap - ERR
log "control plane up at $api; source $state/env (KUBECONFIG=$state/admin.kubeconfig)"
echo "$state"
