"""Quick exits: gc.freeze as the last exit handler, in nbkit's own process and in the kernels `nbkit run` starts."""

from __future__ import annotations

import subprocess
import sys

import nbformat

from nbkit.run import run_batch
from tests.conftest import FIXTURES

EXIT_HANDLER = FIXTURES / "notebooks" / "exit_handler.ipynb"

PROBE = """
import atexit, gc
state = lambda when: print(when, "frozen" if gc.get_freeze_count() else "not frozen")
atexit.register(state, "registered before:")
from nbkit.teardown import skip_teardown_at_exit
skip_teardown_at_exit()
skip_teardown_at_exit()  # a second call changes nothing
atexit.register(state, "registered after:")
"""


def test_gc_freeze_runs_after_the_handlers_registered_later_and_before_earlier_ones():
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True)
    assert out.stdout.splitlines() == ["registered after: not frozen", "registered before: frozen"]


def test_a_kernel_loads_the_extension_and_still_runs_the_notebooks_exit_handlers(tmp_path):
    """The handler the notebook registered has written its file by the time the run is over: the kernel ran it and
    exited cleanly."""
    marker = tmp_path / "marker.txt"
    [(_, record)] = run_batch([EXIT_HANDLER], parameters={"marker": str(marker)}, out_dir=tmp_path / "out")
    assert record.status == "ok"
    executed = nbformat.read(tmp_path / "out" / "exit_handler.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0].text == "True\n"
    assert marker.read_text() == "exited\n"


def test_the_kernel_a_sweep_reuses_loads_the_extension_too(tmp_path):
    records = run_batch([EXIT_HANDLER], parameters={"marker": [str(tmp_path / "a"), str(tmp_path / "b")]},
                        out_dir=tmp_path / "out")
    for _, record in records:
        executed = nbformat.read(record.folder / "exit_handler.ipynb", as_version=4)
        assert executed.cells[-1].outputs[0].text == "True\n"



PROBE_CALLER = """
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0, flush=True))
from nbkit.cli import console, main
sys.argv = ["nbkit", "schema"]
{call}
"""


def test_only_the_console_command_skips_the_teardown_not_an_in_process_call_of_main():
    """The handler registered first runs last: after gc.freeze when the command registered it, never for main()."""
    def frozen(call: str) -> str:
        out = subprocess.run([sys.executable, "-c", PROBE_CALLER.format(call=call)], check=True,
                             capture_output=True, text=True)
        return out.stdout.splitlines()[-1]

    assert frozen('main(["schema"])') == "frozen at exit: False"
    assert frozen("console()") == "frozen at exit: True"
