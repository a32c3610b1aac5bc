"""The Jupyter kernel nbkit's runs start: IPython's kernel without the debugger.

ipykernel imports debugpy's server (the debugger behind JupyterLab's debug panel) at every kernel start when debugpy
is installed, whatever the kernel spec or configuration says: ~0.5 s of CPU and ~0.6 s of wall time on 2 busy cores,
the largest single import of a kernel start. A batch run (`nbkit run`, `--store-outputs`) has no front end that
could ever attach a debugger, so its kernels start as if debugpy were not installed; ipykernel supports that case
(the kernel just does not offer debugging). Notebook code can still import debugpy: it is hidden only while the
kernel is built. Kernels started by Jupyter itself (a user's JupyterLab, nbval) are ordinary ones.
"""

from __future__ import annotations

from typing import Any

from ipykernel.ipkernel import IPythonKernel

from nbkit.lazyimport import hidden_modules


class BatchKernel(IPythonKernel):
    """IPythonKernel built with debugpy hidden: `IPKernelApp.kernel_class` in nbkit.run.KERNEL_ARGUMENTS."""

    def __new__(cls, *args: Any, **kwargs: Any) -> BatchKernel:
        # traitlets imports ipykernel.debugger here, before __init__, to resolve the `debugger_class` trait; with
        # debugpy hidden, its `import debugpy` fails and ipykernel records that there is no debugger to start
        with hidden_modules({"debugpy"}):
            return super().__new__(cls, *args, **kwargs)
