"""Rewrite the README's schema tables (from `### papers` to the end of the flag table) from nbkit.schema."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

tables = subprocess.run([sys.executable, "-m", "nbkit", "schema"], check=True, capture_output=True,
                        text=True).stdout.strip()
text = README.read_text(encoding="utf-8")
new, count = re.subn(r"### papers\n.*?### flags\n\n(?:\|[^\n]*\n)+", lambda _: tables + "\n", text, flags=re.S)
if count != 1:
    sys.exit("README: schema section not found")
README.write_text(new, encoding="utf-8")
