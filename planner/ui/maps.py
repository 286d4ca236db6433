"""The plan on a map (pydeck), drawn without a basemap so that it works on a closed network.

Layers: care homes (red when not covered within the transfer limit), observation
sites, 120 stations, reserve pools, depots, and the assignments as arcs coloured
by resource (persons to sites, station handshakes, nurses, drug shipments). With
no basemap, what orients a reader is drawn here: each district's name at its
centre. Every point and arc carries ``name`` and ``info`` for the tooltip.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk

from planner.report.plan import Plan
from planner.ui import i18n

Colour = list[int]

COLOURS: dict[str, Colour] = {
    "care_home": [70, 110, 200, 200],
    "uncovered": [220, 30, 30, 255],
    "site": [30, 160, 90, 220],
    "station": [240, 140, 20, 230],
    "pool": [150, 60, 190, 230],
    "depot": [110, 80, 40, 230],
    "observation_arcs": [30, 160, 90, 140],
    "handshake_arcs": [240, 140, 20, 120],
    "nursing_arcs": [150, 60, 190, 140],
    "drug_arcs": [110, 80, 40, 120],
    "district_label": [60, 60, 60, 255],
}
"""RGBA colour of each layer; an arc has the colour of the resource it moves."""

POINT_LAYERS: tuple[str, ...] = ("homes", "sites", "stations", "pools", "depots")
ARC_LAYERS: tuple[str, ...] = ("observation_arcs", "handshake_arcs", "nursing_arcs", "drug_arcs")
LAYERS: tuple[str, ...] = POINT_LAYERS + ARC_LAYERS
DEFAULT_LAYERS: tuple[str, ...] = ("homes", "sites", "stations", "observation_arcs")

_POINT_KIND = {"homes": "care_home", "sites": "site", "stations": "station", "pools": "pool", "depots": "depot"}
_UNITS = {
    "observation_arcs": ("persons", "人"),
    "nursing_arcs": ("nurses", "名护理人员"),
    "drug_arcs": ("packs", "份"),
}


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "zh" else pair[0]


def layer_label(layer: str, language: str) -> str:
    """The display name of a map layer."""
    key = f"layer_{layer}"
    return i18n.t(key, language) if key in i18n.LABELS else layer


def point_frame(plan: Plan, located: pd.DataFrame, layer: str, language: str) -> pd.DataFrame:
    """The points of ``layer``: ``id, name, info, lon, lat, colour, radius``."""
    kind = _POINT_KIND[layer]
    points = located[located["kind"] == kind][["id", "name", "district", "lat", "lon"]].reset_index(drop=True)
    colour = [COLOURS[kind]] * len(points)
    radius = np.full(len(points), 250.0)
    info = points["district"].astype(str)
    if layer == "homes":
        hand = plan.stage("ambulance").table("handshakes")
        uncovered = set(hand.loc[~hand["covered"].astype(bool), "home_id"].astype(str))
        is_uncovered = points["id"].isin(uncovered).to_numpy()
        colour = [COLOURS["uncovered"] if u else COLOURS["care_home"] for u in is_uncovered]
        radius = np.where(is_uncovered, 600.0, 250.0)
        note = i18n.t("uncovered", language)
        info = info.where(~is_uncovered, info + " · " + note)
    elif layer == "sites":
        sites = plan.stage("observation").table("sites").set_index("site_id")
        persons = points["id"].map(sites["persons"]).fillna(0).astype(int)
        rooms = points["id"].map(sites["rooms"]).fillna(0).astype(int)
        is_open = points["id"].map(sites["open"]).fillna(False).astype(bool)
        label_persons = i18n.column_label("persons", language)
        label_rooms = i18n.column_label("rooms", language)
        status = is_open.map(lambda o: i18n.value("status", "open" if o else "closed", language))
        info = info + f" · {label_persons} " + persons.astype(str) + f" / {label_rooms} " + rooms.astype(str)
        info = info + " · " + status
        radius = np.where(is_open.to_numpy(), 400.0, 200.0)
        colour = [COLOURS["site"] if o else [150, 150, 150, 160] for o in is_open]
    elif layer == "stations":
        stations = plan.stage("ambulance").table("stations").set_index("station_id")
        before = points["id"].map(stations["before"]).fillna(0).astype(int)
        after = points["id"].map(stations["after"]).fillna(0).astype(int)
        label = i18n.column_label("ambulances", language)
        info = info + f" · {label} " + before.astype(str) + " → " + after.astype(str)
    elif layer == "pools":
        pools = plan.stage("nursing").table("pools").set_index("pool_id")
        used = points["id"].map(pools["used"]).fillna(0).astype(int)
        nurses = points["id"].map(pools["nurses"]).fillna(0).astype(int)
        info = info + f" · {i18n.column_label('used', language)} " + used.astype(str) + " / " + nurses.astype(str)
    points["info"] = info.to_numpy()
    points["colour"] = colour
    points["radius"] = radius
    return points


def _arc_frame(
    frame: pd.DataFrame, source: str, target: str, quantity: str | None, located: pd.DataFrame, unit: str
) -> pd.DataFrame:
    """Arcs ``source -> target`` summed over ``quantity`` with coordinates, ``name`` and ``info``."""
    if frame.empty:
        return pd.DataFrame(columns=["name", "info", "from_lon", "from_lat", "to_lon", "to_lat", "width"])
    if quantity is None:
        grouped = frame[[source, target]].astype(str).drop_duplicates().assign(amount=1.0)
    else:
        rows = frame[frame[quantity] > 0]
        sums = rows.groupby([rows[source].astype(str), rows[target].astype(str)])[quantity].sum()
        grouped = sums.rename("amount").reset_index()
    known = grouped[grouped[source].isin(located.index) & grouped[target].isin(located.index)]
    start = located.loc[known[source]]
    end = located.loc[known[target]]
    amount = known["amount"].astype(float).to_numpy()
    arcs = pd.DataFrame(
        {
            "name": (start["name"].to_numpy() + " → " + end["name"].to_numpy()),
            "info": [f"{a:g} {unit}".strip() for a in amount] if quantity is not None else "",
            "from_lon": start["lon"].to_numpy(),
            "from_lat": start["lat"].to_numpy(),
            "to_lon": end["lon"].to_numpy(),
            "to_lat": end["lat"].to_numpy(),
            "width": np.clip(1.0 + np.log1p(amount), 1.0, 6.0),
        }
    )
    return arcs


def arc_frame(plan: Plan, located: pd.DataFrame, layer: str, language: str) -> pd.DataFrame:
    """The arcs of ``layer`` with ``name, info, from_lon, from_lat, to_lon, to_lat, width``."""
    if layer == "observation_arcs":
        table = plan.stage("observation").table("assignments")
        return _arc_frame(table, "home_id", "site_id", "persons", located, _pick(_UNITS[layer], language))
    if layer == "handshake_arcs":
        return _arc_frame(plan.stage("ambulance").table("handshakes"), "station_id", "home_id", None, located, "")
    if layer == "nursing_arcs":
        assignments = (
            plan.stage("nursing")
            .table("assignments")
            .merge(plan.stage("nursing").table("needs")[["need_id", "destination_id"]], on="need_id", how="left")
        )
        return _arc_frame(assignments, "pool_id", "destination_id", "nurses", located, _pick(_UNITS[layer], language))
    if layer == "drug_arcs":
        table = plan.stage("drugs").table("allocations")
        return _arc_frame(table, "depot_id", "institution_id", "quantity", located, _pick(_UNITS[layer], language))
    raise KeyError(f"unknown arc layer {layer!r} (known: {', '.join(ARC_LAYERS)})")


WORLD_PX = 512.0
"""deck.gl's world width at zoom 0, in pixels (Web Mercator)."""
MAP_WIDTH_PX, MAP_HEIGHT_PX = 900.0, 860.0
"""About the map's size in the app's main area at a 1400-pixel-wide window (the view is framed for it)."""
FRAME_MARGIN = 0.88
"""Share of the map the located entities fill (room for the labels at the edges)."""
LABEL_SIZE_PX = 15


def view_state(
    located: pd.DataFrame, width_px: float = MAP_WIDTH_PX, height_px: float = MAP_HEIGHT_PX
) -> pdk.ViewState:
    """A view that frames every located entity in a map of about ``width_px`` x ``height_px``."""
    if located.empty:
        return pdk.ViewState(latitude=39.9, longitude=116.4, zoom=8)
    latitude = float(located["lat"].mean())
    lon_span = max(float(located["lon"].max() - located["lon"].min()), 0.005)
    # Web Mercator stretches latitude by 1 / cos(latitude)
    lat_span = max(float(located["lat"].max() - located["lat"].min()), 0.005) / np.cos(np.radians(latitude))
    pixels_per_degree = FRAME_MARGIN * min(width_px / lon_span, height_px / lat_span)
    zoom = float(np.clip(np.log2(pixels_per_degree * 360.0 / WORLD_PX), 3.0, 14.0))
    return pdk.ViewState(latitude=latitude, longitude=float(located["lon"].mean()), zoom=zoom, pitch=0)


def _text_width_px(text: str, size: float) -> float:
    return sum(size if ord(char) > 0x2E80 else 0.6 * size for char in text)


def label_offsets(labels: pd.DataFrame, zoom: float, size: float = LABEL_SIZE_PX) -> list[list[float]]:
    """Pixel offsets that keep district labels from overlapping at ``zoom``: each label, in the order given, takes
    the first offset (none, then up and down by a line, two lines, ...) whose box meets no label placed before."""
    degree = WORLD_PX * 2.0**zoom / 360.0
    boxes: list[tuple[float, float, float, float]] = []
    offsets: list[list[float]] = []
    line = size + 4.0
    steps = [(0.0, 0.0)] + [(0.0, sign * k * line) for k in range(1, 6) for sign in (-1.0, 1.0)]
    for row in labels.itertuples(index=False):
        lon, lat = float(row.lon), float(row.lat)  # type: ignore[arg-type]
        x, y = lon * degree, -float(np.degrees(np.arcsinh(np.tan(np.radians(lat))))) * degree
        half_w, half_h = _text_width_px(str(row.name), size) / 2 + 3.0, line / 2
        for dx, dy in steps:
            box = (x + dx - half_w, y + dy - half_h, x + dx + half_w, y + dy + half_h)
            if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in boxes):
                break
        boxes.append(box)
        offsets.append([dx, dy])
    return offsets


def _point_layer(layer: str, points: pd.DataFrame) -> pdk.Layer:
    return pdk.Layer(
        "ScatterplotLayer",
        data=points,
        id=layer,
        get_position=["lon", "lat"],
        get_fill_color="colour",
        get_radius="radius",
        radius_min_pixels=2,
        radius_max_pixels=12,
        pickable=True,
    )


def _arc_layer(layer: str, arcs: pd.DataFrame) -> pdk.Layer:
    colour = COLOURS[layer]
    return pdk.Layer(
        "ArcLayer",
        data=arcs,
        id=layer,
        get_source_position=["from_lon", "from_lat"],
        get_target_position=["to_lon", "to_lat"],
        get_source_color=colour,
        get_target_color=colour,
        get_width="width",
        pickable=True,
    )


def district_label_layer(located: pd.DataFrame, zoom: float = 8.0, focus: str | None = None) -> pdk.Layer:
    """District names at their centres (the only orientation without a basemap), moved apart where they would
    overlap at the map's first zoom; the district in focus first (it keeps its place) and in bold."""
    districts = located[located["kind"] == "district"][["id", "name", "district", "lon", "lat"]]
    if focus:
        districts = pd.concat([districts[districts["id"] == focus], districts[districts["id"] != focus]])
    districts = districts.reset_index(drop=True)
    districts["info"] = ""
    districts["offset"] = label_offsets(districts, zoom)
    districts["colour"] = [
        [20, 20, 20, 255] if focus and i == focus else COLOURS["district_label"] for i in districts["id"]
    ]
    layer = pdk.Layer(
        "TextLayer",
        data=districts,
        id="district_labels",
        get_position=["lon", "lat"],
        get_text="name",
        get_color="colour",
        get_pixel_offset="offset",
        get_size=LABEL_SIZE_PX,
        get_alignment_baseline="'center'",
        background=True,
        get_background_color=[255, 255, 255, 215],
        background_padding=[4, 2, 4, 2],
        font_weight=600,
        parameters={"depthTest": False},
        pickable=False,
    )
    # Set after construction: pydeck would turn these plain strings into accessor expressions.
    layer.character_set = "auto"  # Chinese names need glyphs beyond ASCII
    layer.font_family = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
    return layer


def plan_deck(
    plan: Plan, located: pd.DataFrame, layers: Iterable[str], language: str = "en", focus: str | None = None
) -> pdk.Deck:
    """A pydeck map of ``plan`` with the chosen ``layers`` (see :data:`LAYERS`), no basemap; ``focus``: a district
    whose points alone are drawn (arcs across its border keep their far end) and which the view frames."""
    chosen = [layer for layer in LAYERS if layer in set(layers)]
    points = located if not focus else located[(located["district_id"] == focus) | (located["kind"] == "district")]
    framed = points[points["kind"] != "district"]
    view = view_state(framed if not framed.empty else located[located["kind"] != "district"])
    deck_layers: list[Any] = []
    for layer in chosen:
        if layer in ARC_LAYERS:
            deck_layers.append(_arc_layer(layer, arc_frame(plan, located, layer, language)))
    for layer in chosen:
        if layer in POINT_LAYERS:
            deck_layers.append(_point_layer(layer, point_frame(plan, points, layer, language)))
    deck_layers.append(district_label_layer(located, float(view.zoom), focus))
    # No basemap: map_provider=None with pydeck's default map_style sentinel. (An explicit map_style=None makes
    # Streamlit 1.67 fall back to a CARTO style fetched from the internet; the sentinel is dropped instead.)
    return pdk.Deck(
        layers=deck_layers,
        initial_view_state=view,
        map_provider=None,
        tooltip={"html": "<b>{name}</b><br/>{info}", "style": {"fontSize": "12px"}},
    )
