"""Axolotl's own verdict on config files: `validate_config` from the installed Axolotl, on every YAML below
a folder. NOT runnable from ftui's venv (it imports Axolotl); check_examples.py runs it with --axolotl-python.

    /work/venvs/axolotl-0.19/bin/python bench/axolotl/validate_with_axolotl.py EXAMPLES_DIR OUT.json

Each file is read as Axolotl's CLI reads it (PyYAML safe_load into DictDefault, plugins registered, then
validate_config without GPU capabilities). OUT.json maps the relative path to {ok, error}.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

os.environ.update(AXOLOTL_DO_NOT_TRACK="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


def main() -> None:
    import yaml
    from axolotl.cli.config import prepare_plugins
    from axolotl.utils.config import validate_config
    from axolotl.utils.dict import DictDefault

    logging.disable(logging.WARNING)
    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    results = {}
    for path in sorted(root.rglob("*.y*ml")):
        rel = str(path.relative_to(root))
        try:
            cfg = DictDefault(yaml.safe_load(path.read_text()))
            if cfg.plugins:
                prepare_plugins(cfg)
            validate_config(cfg)
            results[rel] = {"ok": True}
        except Exception as exc:  # Axolotl raises many kinds; each means "refused"
            results[rel] = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    import axolotl

    payload = {"axolotl": getattr(axolotl, "__version__", "?"), "results": results}
    out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"Axolotl accepts {sum(r['ok'] for r in results.values())} of {len(results)}")


if __name__ == "__main__":
    main()
