"""The run directory (a trainer's OUTPUT_DIR) and everything read from it.

- `layout`: every file name in a run directory and the small readers of ftui's own records (one place).
- `liveness`: whether a run's processes live, and its status (events + pid liveness).
- `series`: the bounded chart histories a monitor draws (loss, LR, eval, rewards, throughput).
- `state`: `RunState`, one run followed incrementally from its events.
- `listing`: finding runs under a workspace and summarising them for the runs list.
Starting and stopping the processes that write a run directory is core/launch.py.
"""
