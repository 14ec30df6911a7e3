"""The Ask page (a Streamlit page file; the page itself is ui/views/ask.py)."""

from ui import state
from ui.views import ask

ask.page(state.context())
