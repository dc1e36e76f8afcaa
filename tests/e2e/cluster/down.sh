#!/usr/bin/env bash
# Stops the control plane up.sh started in STATE_DIR, only the processes it recorded (by pid file,
# checked against /proc so that a reused pid is left alone), then removes STATE_DIR.
#   down.sh [--keep] STATE_DIR     (--keep: leave the directory, e.g. to read the logs)
set -euo pipefail

keep=false
if [[ ${1:-} == --keep ]]; then keep=true; shift; fi
state=${1:?usage: down.sh [--keep] STATE_DIR}
[[ -d "$state" ]] || exit 0
state=$(cd "$state" && pwd)
if [[ ! -e "$state/.tenantshift-e2e" ]]; then
	echo "down.sh: $state was not made by up.sh; leaving it alone" >&2
	exit 1
fi

# still_ours PID NEEDLE: the process exists, is not a zombie, and its command line has NEEDLE.
still_ours() {
	[[ -r /proc/$1/cmdline ]] || return 1
	[[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]] || return 1
	tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}
stop() { # PID NEEDLE [GROUP]
	local pid=$1 needle=$2 target=$1 i
	[[ ${3:-} == group ]] && target=-$1
	still_ours "$pid" "$needle" || return 0
	kill -TERM -- "$target" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		still_ours "$pid" "$needle" || return 0
		sleep 0.1
	done
	kill -KILL -- "$target" 2>/dev/null || true
}

# Components, newest first: the podrunner, the scheduler and controller manager, the API server,
# etcd. Each was started with a flag naming a path in this directory, which the check looks for.
if [[ -d "$state/pids" ]]; then
	for f in $(ls -r "$state/pids"/*.pid 2>/dev/null); do
		stop "$(cat "$f")" "$state/"
		rm -f "$f"
	done
fi
# Pod processes the podrunner left (it leaves them running on purpose across its own restarts):
# each wrapper leads its own process group.
for f in "$state"/podrunner/pods/*/c/*.pid; do
	[[ -f "$f" ]] || continue
	stop "$(cat "$f")" "${f%.pid}.sh" group
done

$keep || rm -rf -- "$state"
