"""Run a command and print its peak resident memory, from a parent process that stays small.

``python -S bench/peak_rss.py COMMAND...`` prints one JSON object: ``max_rss_mib`` (the child's
``ru_maxrss`` as ``wait4`` reports it, in MiB as Linux counts them), ``returncode`` and the last
line of the child's output (``stdout_tail``). Linux carries the resident size of the process that
forks into the child's ``ru_maxrss`` (recorded when the child calls exec), so a large parent (a
benchmark holding recordings) would inflate the figure: this one imports nothing but the standard
library's basics, and is what bench/decode.py starts its probes through.
"""

import json
import os
import sys


def main() -> int:
    command = sys.argv[1:]
    if not command:
        print("usage: peak_rss.py COMMAND...", file=sys.stderr)
        return 2
    read_end, write_end = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, write_end, 1), (os.POSIX_SPAWN_CLOSE, read_end)]
    pid = os.posix_spawnp(command[0], command, os.environ, file_actions=actions)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    _, status, usage = os.wait4(pid, 0)
    lines = b"".join(chunks).decode("utf-8", "replace").strip().splitlines()
    print(
        json.dumps(
            {
                "max_rss_mib": usage.ru_maxrss / 1024,
                "returncode": os.waitstatus_to_exitcode(status),
                "stdout_tail": lines[-1] if lines else "",
                "parent_rss_mib": _own_rss_mib(),  # what it can have carried into the child
            }
        )
    )
    return 0


def _own_rss_mib() -> float:
    """This parent's resident size now (as when it spawned the child): its own ``ru_maxrss``
    would show what its own parent carried into it, not what it carries."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    sys.exit(main())
