"""The product's own testing helpers, shared by tests/, bench/ and data/make_samples.py: readable
deterministic fakes (fakes.py), document generators (docgen.py, formatgen.py) and real servers
started on 127.0.0.1 (servers.py: Chroma, PostgreSQL; browser.py: the page in headless Chromium).
Nothing here runs at import time; heavy imports happen inside the functions."""
