#!/usr/bin/env bash
# Restarts the podrunner of the plane in STATE_DIR (as a kubelet restart would), leaving the pod
# processes it started running: the new podrunner adopts them. Used by the e2e suite.
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
