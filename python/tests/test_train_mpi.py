"""rnnkit.train under mpirun (data-parallel, docs/DISTRIBUTED.md): the ranks stop together."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(MPIRUN is None, reason="no mpirun (Open MPI) on PATH")

TEXT = pathlib.Path(__file__).resolve().parents[2] / "README.md"

SCRIPT = """
import os, sys, rnnkit
rank = os.environ["OMPI_COMM_WORLD_RANK"]
out = sys.argv[1] + ("/run" if rank == "0" else "/rank1_has_no_such_directory/run")

def callback(record):
    if record.get("step", 0) >= 3:
        raise ValueError("stop from the callback")

try:
    r = rnnkit.train("lm", text_path=sys.argv[2], max_tokens=20000, embedding=8, hidden=16,
                     layers=1, batch=8, steps=100000, threads=1, log_every=1, out_dir=out,
                     callback=callback)
    print("rank", rank, "returned", r.interrupted, len(r.metrics), flush=True)
except ValueError as e:
    print("rank", rank, "raised", e, flush=True)
"""


def test_a_callback_s_exception_stops_every_rank_then_is_raised(tmp_path):
    # It once ended rank 0's run at once, leaving rank 1 waiting in a collective for ever.
    (tmp_path / "t.py").write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1",
           "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}
    done = subprocess.run([MPIRUN, "--allow-run-as-root", "--oversubscribe", "-np", "2",
                           sys.executable, str(tmp_path / "t.py"), str(tmp_path), str(TEXT)],
                          capture_output=True, text=True, timeout=120, env=env)
    lines = sorted(line for line in done.stdout.splitlines() if line.startswith("rank"))
    assert done.returncode == 0, done.stdout + done.stderr
    # Rank 1's machine has no run directory: its result holds no records.
    assert lines == ["rank 0 raised stop from the callback", "rank 1 returned True 0"]
    assert (tmp_path / "run" / "state.bin").exists()  # the stop's checkpoint
