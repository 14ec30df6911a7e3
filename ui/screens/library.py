"""The Library page (a Streamlit page file; the page itself is ui/views/library.py)."""

from ui import state
from ui.views import library

library.page(state.context())
