# Background process helpers shared by up.sh and down.sh (sourced, not run).
# Each process runs in its own session (setsid) so its whole tree (uv run -> python) can be stopped
# as one process group; its pid is in .local/run/<name>.pid and its output in .local/log/<name>.log.

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run_dir="$repo/.local/run"
log_dir="$repo/.local/log"

say() { echo "$(basename "$0" .sh): $*" >&2; }

# The pid of <name> if its pid file names a live process (pid reuse aside: we check the group).
proc_pid() {
    local pid_file="$run_dir/$1.pid" pid
    [[ -f $pid_file ]] || return 1
    pid="$(<"$pid_file")"
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    # Still the leader of the group we started (setsid makes pid == pgid)?
    [[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" == "$pid" ]] || return 1
    echo "$pid"
}

# start_bg <name> <command...>: start in the background unless already running.
start_bg() {
    local name=$1
    shift
    mkdir -p "$run_dir" "$log_dir"
    local pid
    if pid="$(proc_pid "$name")"; then
        say "$name already running (pid $pid)"
        return
    fi
    say "starting $name: $* (log: $log_dir/$name.log)"
    setsid nohup "$@" </dev/null >>"$log_dir/$name.log" 2>&1 &
    echo $! >"$run_dir/$name.pid"
}

# wait_http <name> <url> [timeout_s]: until the URL answers 2xx; fail with the log if the process dies.
wait_http() {
    local name=$1 url=$2 timeout=${3:-90}
    local deadline=$((SECONDS + timeout))
    until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
        if ! proc_pid "$name" >/dev/null; then
            say "$name exited before $url answered; last lines of $log_dir/$name.log:"
            tail -n 25 "$log_dir/$name.log" >&2 || true
            say "fix the error above, then run 'make up' again (full log: $log_dir/$name.log)"
            exit 1
        fi
        if ((SECONDS > deadline)); then
            say "$name did not answer $url within ${timeout}s; see $log_dir/$name.log"
            exit 1
        fi
        sleep 0.5
    done
    say "$name ready at $url"
}

# stop_bg <name>: SIGTERM the process group, wait up to 15 s, then SIGKILL. No-op if not running.
stop_bg() {
    local name=$1 pid
    if ! pid="$(proc_pid "$name")"; then
        rm -f "$run_dir/$name.pid"
        return
    fi
    say "stopping $name (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS > deadline)); then
            say "$name ignored SIGTERM for 15 s; killing it"
            kill -KILL -- "-$pid" 2>/dev/null || true
            break
        fi
        sleep 0.3
    done
    rm -f "$run_dir/$name.pid"
}
