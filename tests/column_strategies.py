"""Hypothesis strategies for a table column's cells, shared by the tests of the writers that format them."""

from __future__ import annotations

from hypothesis import strategies as st


def column_cells(text_size: int | None = None, extra: tuple[object, ...] = ()) -> st.SearchStrategy[list[object]]:
    """Lists of one column's cells: booleans, large integers, floats with NaN and infinities, text, or a mix with
    ``None``; with ``extra`` cells (e.g. ``0.0`` and ``-0.0``) as a list of their own."""
    text = st.text(max_size=text_size) if text_size is not None else st.text()
    kinds = [
        st.lists(st.booleans()),
        st.lists(st.integers(-(2**62), 2**62)),
        st.lists(st.floats(allow_nan=True, allow_infinity=True)),
        st.lists(text),
        st.lists(st.one_of(st.none(), text, st.integers(-5, 5), st.floats(allow_nan=True), st.booleans())),
    ]
    if extra:
        kinds.append(st.lists(st.sampled_from(list(extra))))
    return st.one_of(*kinds)
