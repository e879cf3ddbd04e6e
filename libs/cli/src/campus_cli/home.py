"""Where the development stack keeps its state: ``$CAMPUS_HOME`` or the nearest ``.campus/``."""

from __future__ import annotations

import os
from pathlib import Path


def campus_home(create: bool = False) -> Path:
    if os.environ.get("CAMPUS_HOME"):
        return Path(os.environ["CAMPUS_HOME"]).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".campus").is_dir():
            return folder / ".campus"
    if create:
        (here / ".campus").mkdir()
    return here / ".campus"
