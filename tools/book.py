"""Build helpers that `make book` and `make test` call; not part of elu_lib.

    python tools/book.py execute      run every chapter into the Jupyter cache,
                                      two at a time (the build then reuses it)
    python tools/book.py test-config  print the path of a copy of _config.yml
                                      that renders the committed outputs

Jupyter Book 1 executes cached notebooks one after another. `execute` fills the
same cache (_build/.jupyter_cache) with jupyter-cache's parallel executor
first, so a clean `make book` uses both cores. A chapter that fails here is
left out of the cache; the build then runs it again and stops with the
notebook and cell that raised.

`make test` builds the book from the outputs committed in the notebooks instead
of executing every chapter a second time: strict nbval, in the same run,
proves those outputs are what the code produces now.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
CACHE = ROOT / "_build" / ".jupyter_cache"
TEST_BUILD = ROOT / "_build" / "test"


def execute() -> int:
    from jupyter_cache import get_cache
    from jupyter_cache.executors import load_executor

    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    cache = get_cache(CACHE)
    for record in cache.list_project_records():
        if not Path(record.uri).exists():  # a renamed or removed chapter
            cache.remove_nb_from_project(record.pk)
    for path in chapters:
        cache.add_nb_to_project(str(path))
    executor = load_executor("local-parallel", cache)
    result = executor.run_and_cache(timeout=CONFIG["execute"]["timeout"])
    for uri in result.errored + result.excepted:
        print(f"tools/book.py: {uri} failed; the build will show where")
    return 0


def write_test_config() -> int:
    config = dict(CONFIG)
    config["execute"] = {**CONFIG["execute"], "execute_notebooks": "off"}
    # Jupyter Book resolves local extensions against the config file's folder.
    sphinx = dict(config.get("sphinx", {}))
    extensions = sphinx.get("local_extensions") or {}
    sphinx["local_extensions"] = {
        name: os.fspath(ROOT / path) for name, path in extensions.items()
    }
    config["sphinx"] = sphinx
    TEST_BUILD.mkdir(parents=True, exist_ok=True)
    target = TEST_BUILD / "_config.yml"
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    print(target)
    return 0


if __name__ == "__main__":
    commands = {"execute": execute, "test-config": write_test_config}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python tools/book.py {{{'|'.join(commands)}}}")
    sys.exit(commands[sys.argv[1]]())
