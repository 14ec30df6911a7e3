"""The Search page (a Streamlit page file; the page itself is ui/views/search.py)."""

from ui import state
from ui.views import search

search.page(state.context())
