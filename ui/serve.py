"""`kb serve` runs this in place of `python -m streamlit`: the shared service is built and its
models and indexes are loaded before Streamlit starts listening, so the first question of a fresh
server is as fast as the tenth (the page scripts then find it in `ui.state`'s cache).

    python -m ui.serve run ui/app.py --server.port 8501 ...   (the arguments of `streamlit`)
"""

from __future__ import annotations

import sys
import time


def main(argv: list[str]) -> None:
    from streamlit.web import cli

    from ui import state

    started = time.perf_counter()
    state.warm_up()
    print(f"kb serve: models and indexes loaded in {time.perf_counter() - started:.1f} s",
          file=sys.stderr, flush=True)
    sys.argv = ["streamlit", *argv]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
