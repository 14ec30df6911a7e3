"""The Insights page (a Streamlit page file; the page itself is ui/views/insights.py)."""

from ui import state
from ui.views import insights

insights.page(state.context())
