#!/usr/bin/env bash
# Restarts the podrunner of the plane in STATE_DIR (as a kubelet restart would), leaving the pod
# processes it started running: the new podrunner adopts them. Returns once the new one serves its
# kubelet API. Used by the e2e suite.
#   restart-podrunner.sh STATE_DIR
set -euo pipefail
state=$(cd "${1:?usage: restart-podrunner.sh STATE_DIR}" && pwd)
[[ -e "$state/.tenantshift-e2e" && -f "$state/podrunner.cmd" ]] || { echo "restart-podrunner.sh: $state is no plane of up.sh" >&2; exit 1; }
pidfile=$(ls "$state"/pids/*-podrunner.pid)
pid=$(cat "$pidfile")
if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$state/"; then
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do
		[[ -r /proc/$pid/stat && $(awk '{ print $3 }' "/proc/$pid/stat") != Z ]] || break
		sleep 0.1
	done
fi
mapfile -t cmd <"$state/podrunner.cmd"
setsid "${cmd[@]}" >>"$state/logs/podrunner.log" 2>&1 </dev/null &
echo "$!" >"$pidfile"
# Return once the new podrunner serves its kubelet API (an anonymous request is refused: 401).
port=$(sed -n "s/^export E2E_KUBELET_PORT='\(.*\)'$/\1/p" "$state/env")
for ((i = 0; i < 300; i++)); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$state/pki/ca.crt" "https://127.0.0.1:$port/pods" || true)
	[[ $code == 401 ]] && exit 0
	sleep 0.1
done
echo "restart-podrunner.sh: the podrunner does not serve its kubelet API on 127.0.0.1:$port; see $state/logs/podrunner.log" >&2
exit 1
