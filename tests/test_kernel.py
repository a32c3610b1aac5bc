"""The kernel nbkit's runs start: IPython's kernel, built without importing the debugger."""

from __future__ import annotations

import json

from jupyter_client import KernelManager

from nbkit.run import KERNEL_ARGUMENTS

PROBE = """
import json, sys
import ipykernel.debugger
before = "debugpy" in sys.modules
import debugpy  # hidden only while the kernel was built: notebook code can still use it
print(json.dumps([type(get_ipython().kernel).__name__, ipykernel.debugger._is_debugpy_available, before,
                  debugpy.__name__]))
"""


def run_in_kernel(arguments: list[str], code: str) -> str:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=arguments)
    client = km.client()
    client.start_channels()
    printed: list[str] = []
    try:
        client.wait_for_ready(timeout=60)
        client.execute_interactive(code, timeout=60, output_hook=lambda msg: printed.append(
            msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
    return "".join(printed)


def test_the_kernels_nbkit_starts_skip_the_debugger_import_but_not_debugpy_itself():
    assert json.loads(run_in_kernel(list(KERNEL_ARGUMENTS), PROBE)) == ["BatchKernel", False, False, "debugpy"]


def test_an_ordinary_kernel_imports_the_debugger():
    """The check above can fail: without nbkit's kernel class, ipykernel loads debugpy as it starts."""
    stock = [a for a in KERNEL_ARGUMENTS if "kernel_class" not in a]
    assert json.loads(run_in_kernel(stock, PROBE)) == ["IPythonKernel", True, True, "debugpy"]
