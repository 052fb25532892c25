#!/bin/sh
# Run a cmocka test and pass its TAP output on, with cmocka 1.1.5's line
# for a skipped test, "not ok N # SKIP name", written as the TAP spec and
# meson read it: "ok N # SKIP name" (cmocka 1.1.6 prints that itself; TAP
# readers count any "not ok" as a failure). Everything else, stderr and
# the exit status included, is the test's own.
set -u
rc_file=$(mktemp) || exit 99
trap 'rm -f "$rc_file"' EXIT
{
	"$@"
	echo $? >"$rc_file"
} | sed -u 's/^not ok \([0-9][0-9]*\) # SKIP/ok \1 # SKIP/'
exit "$(cat "$rc_file")"
