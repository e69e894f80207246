"""Lessons page: every exercise of the course notes as a card, one click to start. Each card says what the
exercise asks and where the notes teach it, trains its runs (several seeds where it compares), and when they
end writes what they show from their own numbers, beside their curves (dashboard/lesson_cards.py)."""
import streamlit as st

from dashboard.lesson_cards import card
from protscope.lessons.catalog import LESSONS, TOPICS

st.title("Lessons")
st.write("Each card is one exercise of the course notes. **Start** queues its runs on this server (they train one "
         "after another, and keep going if you leave the page); when they end, the card says what they show, "
         "with their own numbers, and **Open these runs in Compare** lays them side by side. Times are for the "
         "class size, on a 2-core CPU; `python -m protscope lessons run NAME --full` trains the notes' own sizes.")
for tab, names in zip(st.tabs(list(TOPICS)), TOPICS.values()):
    with tab:
        for name in names:
            card(LESSONS[name])
