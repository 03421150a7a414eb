"""Child of the kill -9 test: log events as fast as possible and print, after each commit,
how many are committed. The parent kills it with SIGKILL at a random moment.

    python killed_writer.py LOG RUN_ID
"""

import sys

from museokit.core.events import Event
from museokit.ops.interactions import InteractionLog


def main() -> None:
    path, run = sys.argv[1], sys.argv[2]
    committed = [0]

    def said(n: int) -> None:
        committed[0] += n
        print(committed[0], flush=True)

    log = InteractionLog(path, node=run, interval=0.002, on_commit=said, lossless=True,
                         max_pending=5000, keep_days=None)
    value = {"zone": "left", "count": 3, "pad": "x" * 40}
    seq = 0
    while True:
        log.record(Event("door", "pressed", value, 1_767_607_200.0 + seq * 0.001, seq, run))
        seq += 1


if __name__ == "__main__":
    main()
