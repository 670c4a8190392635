# Shared by tests/e2e/lib.bash and tests/bench/lib.bash (sourced, never run): ending the
# processes a script started, and only those.

# is_our_child PID: PID is still a child of this script (not an exited one's recycled pid).
is_our_child() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[ "$(cut -d ' ' -f 2 <<<"$st")" = "$$" ]
}

# kill_our_children PID...: SIGKILL to each PID that is still a child of this script, with
# no "Killed" notices from the shell.
kill_our_children() {
	local pid
	disown -a 2>/dev/null
	for pid in "$@"; do
		is_our_child "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	return 0
}
