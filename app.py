"""epiplan in the browser: pick a dataset, rules and a response level; see the plan; change one thing; compare.

Run with ``make run`` (``streamlit run app.py``). The view pieces live in ``planner/ui``.
"""

import streamlit as st

from planner.dataset.limits import PlanTooLargeError
from planner.dataset.names import names
from planner.ui import cache, downloads, overview, views
from planner.ui.places import places
from planner.ui.sidebar import draw_sidebar

st.set_page_config(page_title="epiplan", page_icon="🏥", layout="wide")
inputs = draw_sidebar()
views.draw_header(inputs)
views.draw_problems(inputs)
if not inputs.ready:
    st.stop()
assert inputs.planned is not None and inputs.rules is not None and inputs.scenario is not None
try:
    plan, key, _seconds = cache.solve_plan(
        st.session_state, inputs.planned, inputs.rules, inputs.scenario, inputs.time_limit_s, inputs.language
    )
except PlanTooLargeError as too_large:  # a dataset validation accepts, too dense to plan within memory
    views.draw_too_large(too_large.problems, inputs.language)
    st.stop()
views.draw_plan_warnings(plan, inputs.language)
located = places(inputs.planned, inputs.language)
shown, border = views.district_part(plan, inputs)
overview.draw_kpis(shown, overview.remember_shown(st.session_state, key, shown.kpis, inputs.district), inputs.language)
downloads.draw_downloads(shown, located, inputs.language, names(inputs.planned, inputs.language), border)
views.draw_tabs(shown, inputs, located, border)
