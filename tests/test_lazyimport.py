"""Lazy packages, hidden modules and on-demand modules, on a small package written for each test; and BERTopic
imported through them in a fresh process (nothing heavy loaded, everything still reachable)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from nbkit.lazyimport import OnDemandModule, hidden_modules, lazy_packages, reexports

INIT = '''\
from ._light import light
from ._light import shadowed
from lazyfix_pkg._other import other as renamed
try:
    from ._heavy import heavy
except ModuleNotFoundError:
    heavy = None
shadowed = "rebound"
__all__ = ["light", "heavy"]
'''


@pytest.fixture
def package(tmp_path, monkeypatch):
    """lazyfix_pkg: an __init__ that re-exports from _light and _other and tries _heavy, which logs its import."""
    folder = tmp_path / "lazyfix_pkg"
    folder.mkdir()
    (folder / "__init__.py").write_text(INIT)
    (folder / "_light.py").write_text("def light():\n    return 'light'\n\nshadowed = 'original'\n")
    (folder / "_other.py").write_text("other = 42\n")
    (folder / "_heavy.py").write_text("import lazyfix_log\nlazyfix_log.events.append('heavy')\nheavy = 'heavy'\n")
    (tmp_path / "lazyfix_log.py").write_text("events = []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lazyfix_pkg"
    for name in [m for m in sys.modules if m.startswith(("lazyfix_pkg", "lazyfix_log"))]:
        del sys.modules[name]


def test_reexports_are_names_bound_once_by_a_top_level_from_import():
    assert reexports(INIT, "lazyfix_pkg") == {
        "light": ("lazyfix_pkg._light", "light"),
        "renamed": ("lazyfix_pkg._other", "other"),
    }  # shadowed is bound twice, heavy inside a try: neither is taken from a submodule alone


def test_a_lazy_package_imports_only_the_submodule_a_name_comes_from(package):
    import lazyfix_log

    with lazy_packages({package}):
        import lazyfix_pkg
    assert "lazyfix_pkg._light" not in sys.modules  # nothing of the __init__ has run yet
    assert lazyfix_pkg.light() == "light" and lazyfix_pkg.renamed == 42
    assert "lazyfix_pkg._light" in sys.modules and "lazyfix_pkg._heavy" not in sys.modules
    assert lazyfix_log.events == []


def test_any_other_name_runs_the_real_init(package):
    import lazyfix_log

    with lazy_packages({package}):
        import lazyfix_pkg
    assert lazyfix_pkg.shadowed == "rebound"  # as the __init__ leaves it, not the submodule's value
    assert lazyfix_log.events == ["heavy"] and lazyfix_pkg.heavy == "heavy"
    assert lazyfix_pkg.__all__ == ["light", "heavy"]
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        lazyfix_pkg.missing  # noqa: B018


def test_all_triggers_the_real_init_for_star_imports(package):
    with lazy_packages({package}):
        pass
    namespace: dict = {}
    exec("from lazyfix_pkg import *", namespace)
    assert namespace["light"]() == "light" and namespace["heavy"] == "heavy"
    assert "renamed" not in namespace  # __all__ decides, as without laziness


def test_outside_the_block_packages_import_as_usual(package):
    with lazy_packages({package}):
        pass
    import lazyfix_pkg

    assert type(lazyfix_pkg).__name__ == "module" and lazyfix_pkg.heavy == "heavy"


def test_a_hidden_module_looks_absent_only_inside_the_block(package):
    with hidden_modules({package}):
        with pytest.raises(ModuleNotFoundError, match="lazyfix_pkg"):
            import lazyfix_pkg
        with pytest.raises(ModuleNotFoundError, match="hidden"):
            import lazyfix_pkg._light
    import lazyfix_pkg

    with hidden_modules({package}):  # already imported: unaffected
        import lazyfix_pkg._light
    assert lazyfix_pkg.light() == "light"


def test_an_on_demand_module_imports_on_first_attribute(package):
    import lazyfix_log

    stand_in = OnDemandModule("lazyfix_pkg._heavy")
    assert "lazyfix_pkg._heavy" not in sys.modules and lazyfix_log.events == []
    assert stand_in.heavy == "heavy" and lazyfix_log.events == ["heavy"]
    assert sys.modules["lazyfix_pkg._heavy"] is not stand_in


BERTOPIC_PROBE = textwrap.dedent('''
    import json, sys
    from nbkit.topics import import_bertopic, stable_bertopic
    import_bertopic()
    stable_bertopic()
    heavy = ["torch", "umap", "numba", "transformers", "sentence_transformers", "plotly", "nbformat", "huggingface_hub"]
    before = sorted(m for m in heavy if m in sys.modules)
    import bertopic._save_utils as save_utils
    from bertopic import plotting
    plotting.visualize_documents  # one view: its own module and plotly.graph_objects only
    after_view = sorted(m for m in ("umap", "numba", "plotly.express", "plotly.figure_factory") if m in sys.modules)
    from bertopic.representation import TextGeneration
    from bertopic.backend import MultiModalBackend
    print(json.dumps({"before": before, "after_view": after_view, "torch_ready": save_utils._has_torch,
                      "hub": save_utils._has_hf_hub,
                      "real": [TextGeneration.__module__, MultiModalBackend.__module__],
                      "from_numpy": save_utils.torch.from_numpy.__name__}))
''')


def test_bertopic_imports_without_its_heavy_integrations_and_keeps_them_reachable():
    out = subprocess.run([sys.executable, "-c", BERTOPIC_PROBE], check=True, capture_output=True, text=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["before"] == [] and found["after_view"] == []
    assert found["torch_ready"] and found["from_numpy"] == "from_numpy"
    assert found["hub"] is False  # BERTopic's Hub functions stay off, as they are when imported plainly (below)
    # the names bertopic's __init__ files bind in a try are the real classes, not "not installed" stand-ins
    assert found["real"] == ["bertopic.representation._textgeneration", "bertopic.backend._multimodal"]


HUB_PROBE = "import bertopic._save_utils as save_utils; print(save_utils._has_hf_hub)"


def test_bertopic_imported_plainly_has_no_hub_either():
    """import_bertopic hides huggingface_hub because the locked version lacks one of the six functions
    bertopic._save_utils imports, so BERTopic turns its Hub upload and download off anyway. If a new lock brings
    them back, this fails: then import_bertopic takes the Hub away, and must not."""
    out = subprocess.run([sys.executable, "-c", HUB_PROBE], check=True, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
