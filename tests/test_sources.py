"""The sources register and the rule presets, read against the work plans' own text.

Only yaml and the standard library: these tests run before (and without) the planner code.
Every quote must occur in its work plan (whitespace removed on both sides) inside the clause its
id names; every rule states its kind and cites clauses of the register; the two presets differ
where the plans differ.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TEXTS = DATA / "sources" / "texts"
REGISTER = DATA / "sources.yaml"
PRESETS = ("beijing-2023", "containment-2021")
LEVELS = ("normal", "prevalent", "severe")
MANAGEMENTS = ("open", "closed")
DRUGS = ("antipyretic", "cough", "antiviral", "tcm", "antigen_kit")
KINDS = ("quoted", "interpreted", "assumption")
RULE_KEYS = {"value", "unit", "kind", "clauses", "note", "label", "label_zh"}
DOCUMENT_KEYS = {"id", "file", "sha256", "title", "title_en", "title_zh", "issuer", "date", "regime", "language"}
CLAUSE_KEYS = {"id", "document", "clause", "quote", "summary_en", "summary_zh"}
MAX_WORDS = 25  # English quotes
MAX_CHARS = 60  # Chinese quotes, whitespace aside
CJK = re.compile(r"[\u4e00-\u9fff]")
WHITESPACE = re.compile(r"\s+")

# Issue 10 item 1 and DESIGN §2: the rules whose values must differ between the two regimes.
DIFFERING_RULES = (
    "contacts_isolated",
    "contacts_per_case",
    "contact_central_isolation_days",
    "contact_home_health_days",
    "contact_nat_tests",
    "contact_antibody_tests",
    "inbound_isolation_days",
    "inbound_nat_tests",
    "inbound_antibody_tests",
    "observation_stay_days",
    "post_discharge_observation_days",
    "infected_to_designated_hospital",
    "sites_per_street_min",
    "icu_scope",
    "icu_count_convertible",
    "full_round_required",
    "barrier_free_for_all",
    "resident_antigen_share",
    "clinic_drugs",
)


def squeeze(text: str) -> str:
    """The text with every whitespace character removed."""
    return WHITESPACE.sub("", text)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def register() -> dict[str, Any]:
    data: dict[str, Any] = load(REGISTER)
    return data


@pytest.fixture(scope="module")
def presets() -> dict[str, dict[str, Any]]:
    return {name: load(DATA / "rules" / f"{name}.yaml") for name in PRESETS}


def document_texts(register: dict[str, Any]) -> dict[str, str]:
    return {doc["id"]: (TEXTS / doc["file"]).read_text(encoding="utf-8") for doc in register["documents"]}


# --- where a quote stands: the clause numbering of each document ------------------------------

_SECTIONS_000 = {"I.": "§1", "Second,": "§2", "Third,": "§3", "Fourth,": "§4", "Five,": "§5", "Sixth,": "§6"}
_CN = "一二三四五六七八九十"


def _clause_000(lines: list[str], row: int, col: int) -> str:
    found = ""
    for line in lines[: row + 1]:
        for marker, section in _SECTIONS_000.items():
            if line.startswith(marker):
                found = section
    return found


def _clause_001(lines: list[str], row: int, col: int) -> str:
    found = ""
    for i, line in enumerate(lines[: row + 1]):
        for match in re.finditer(r"\(([ivx]+)\)", line if i < row else line[:col]):
            found = f"({match.group(1)})"
    return found


def _clause_002(lines: list[str], row: int, col: int) -> str:
    found = ""
    for line in lines[: row + 1]:
        match = re.match(r"(\d)\.(?!\d)", line)
        if match:
            found = f"§{match.group(1)}"
    return found


def _clause_003(lines: list[str], row: int, col: int) -> str:
    section = sub = item = ""
    for line in lines[: row + 1]:
        if match := re.match(rf"([{_CN}]+)[、.]", line):
            section, sub, item = match.group(1), "", ""
        elif match := re.match(rf"\((\d+|[{_CN}]+)\)", line):
            sub, item = match.group(1), ""
        elif match := re.match(r"(\d+)\.", line):
            item = match.group(1)
    return f"{section}({sub}){item}"


def _clause_004(lines: list[str], row: int, col: int) -> str:
    found = ""
    for line in lines[: row + 1]:
        match = re.match(rf"\(([{_CN}]+)\)", line)
        if match:
            found = f"({match.group(1)})"
    return found


CLAUSE_AT: dict[str, Callable[[list[str], int, int], str]] = {
    "000": _clause_000,
    "001": _clause_001,
    "002": _clause_002,
    "003": _clause_003,
    "004": _clause_004,
}


def locate(text: str, quote: str) -> tuple[list[str], int, int] | None:
    """The squeezed lines of ``text`` and the (row, column) where ``quote`` starts, or None."""
    lines = [squeeze(line) for line in text.split("\n")]
    needle = squeeze(quote)
    for row, line in enumerate(lines):
        col = line.find(needle)
        if col >= 0:
            return lines, row, col
    return None


def quote_problems(register: dict[str, Any], texts: dict[str, str]) -> list[str]:
    """Every way a clause of the register fails its work plan's text (empty when all hold)."""
    problems: list[str] = []
    languages = {doc["id"]: doc["language"] for doc in register["documents"]}
    for clause in register["clauses"]:
        cid, doc = clause["id"], clause["document"]
        if doc not in texts:
            problems.append(f"{cid}: unknown document {doc!r}")
            continue
        quote, text = clause["quote"], texts[doc]
        count = squeeze(text).count(squeeze(quote))
        if count != 1:
            problems.append(f"{cid}: quote found {count} times in {doc} (whitespace aside), expected once")
            continue
        where = locate(text, quote)
        if where is None:
            problems.append(f"{cid}: quote runs across paragraphs of {doc}")
            continue
        lines, row, col = where
        clause_there = CLAUSE_AT[doc](lines, row, col)
        if clause_there != clause["clause"]:
            problems.append(f"{cid}: quote stands in clause {clause_there!r} of {doc}, not {clause['clause']!r}")
        heading = clause.get("heading")
        if heading is not None and not lines[row].startswith(squeeze(heading)):
            problems.append(f"{cid}: the paragraph of the quote does not open with its heading")
        if languages[doc] == "en" and len(quote.split()) > MAX_WORDS:
            problems.append(f"{cid}: quote of {len(quote.split())} words (at most {MAX_WORDS})")
        if languages[doc] == "zh" and len(squeeze(quote)) > MAX_CHARS:
            problems.append(f"{cid}: quote of {len(squeeze(quote))} characters (at most {MAX_CHARS})")
    return problems


# --- documents -----------------------------------------------------------------------------------


def test_every_document_text_is_in_the_repository_as_registered(register: dict[str, Any]) -> None:
    ids = [doc["id"] for doc in register["documents"]]
    assert ids == ["000", "001", "002", "003", "004"]
    for doc in register["documents"]:
        assert set(doc) >= DOCUMENT_KEYS, doc["id"]
        path = TEXTS / doc["file"]
        assert path.is_file(), path
        assert doc["file"].startswith(f"{doc['id']}_") and doc["file"].endswith(".txt")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == doc["sha256"], doc["file"]
        assert doc["regime"] in ("mitigation", "containment")
        assert doc["language"] in ("en", "zh")
        assert re.fullmatch(r"\d{4}(-\d{2}-\d{2})?", doc["date"]), doc["date"]
        assert CJK.search(doc["title_zh"]) and doc["title_en"] and doc["issuer"]
    assert (TEXTS / "README.md").is_file()


def test_document_titles_are_written_as_the_text_writes_them(register: dict[str, Any]) -> None:
    texts = document_texts(register)
    for doc in register["documents"]:
        assert squeeze(doc["title"]) in squeeze(texts[doc["id"]]), doc["id"]


def test_regimes_and_languages_follow_the_seeds_readme(register: dict[str, Any]) -> None:
    regimes = {doc["id"]: doc["regime"] for doc in register["documents"]}
    languages = {doc["id"]: doc["language"] for doc in register["documents"]}
    assert regimes == {"000": "mitigation", "001": "containment", "002": "mitigation", "003": "containment",
                       "004": "mitigation"}  # fmt: skip
    assert languages == {"000": "en", "001": "en", "002": "en", "003": "zh", "004": "zh"}
    readme = (TEXTS / "README.md").read_text(encoding="utf-8")
    for doc in register["documents"]:
        assert doc["file"] in readme


def test_copies_are_byte_for_byte_the_shared_seeds_when_present(register: dict[str, Any]) -> None:
    seeds = next((p / "shared" / "seeds" for p in ROOT.parents if (p / "shared" / "seeds").is_dir()), None)
    if seeds is None:
        pytest.skip("no shared seeds beside this clone (CI): the sha256 test pins the copies")
    for name in [doc["file"] for doc in register["documents"]] + ["README.md"]:
        assert (TEXTS / name).read_bytes() == (seeds / name).read_bytes(), name


# --- clauses -------------------------------------------------------------------------------------


def test_clause_ids_are_unique_and_name_document_and_clause(register: dict[str, Any]) -> None:
    ids = [clause["id"] for clause in register["clauses"]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    documents = {doc["id"] for doc in register["documents"]}
    for clause in register["clauses"]:
        assert set(clause) >= CLAUSE_KEYS, clause["id"]
        assert clause["document"] in documents, clause["id"]
        prefix = f"{clause['document']} {clause['clause']}"
        assert clause["id"] == prefix or clause["id"].startswith(prefix + " "), clause["id"]
        assert clause["summary_en"] and CJK.search(clause["summary_zh"]), clause["id"]


def test_every_quote_occurs_in_its_clause_of_the_work_plan(register: dict[str, Any]) -> None:
    assert quote_problems(register, document_texts(register)) == []


@pytest.mark.parametrize(
    ("clause_id", "mutate"),
    [
        ("000 §4 reserve", lambda q: q.replace("10%", "15%")),
        ("004 (十九) primary", lambda q: q.replace("15%-20%", "15%-25%")),
        ("003 三(二)10 contacts", lambda q: q.replace("14天", "21天")),
        ("001 (xvi) transfer", lambda q: q.replace("two hours", "three hours")),
    ],
)
def test_a_typo_in_a_quote_is_caught(register: dict[str, Any], clause_id: str, mutate: Callable[[str], str]) -> None:
    broken = copy.deepcopy(register)
    clause = next(c for c in broken["clauses"] if c["id"] == clause_id)
    clause["quote"] = mutate(clause["quote"])
    problems = quote_problems(broken, document_texts(register))
    assert problems and problems[0].startswith(f"{clause_id}: quote found 0 times")


def test_a_quote_cited_under_the_wrong_clause_is_caught(register: dict[str, Any]) -> None:
    broken = copy.deepcopy(register)
    clause = next(c for c in broken["clauses"] if c["id"] == "003 三(二)10 point")
    clause["clause"] = "三(二)4"
    problems = quote_problems(broken, document_texts(register))
    assert problems == ["003 三(二)10 point: quote stands in clause '三(二)10' of 003, not '三(二)4'"]


def test_every_clause_of_the_register_is_cited(register: dict[str, Any], presets: dict[str, dict[str, Any]]) -> None:
    cited = {cid for preset in presets.values() for rule in preset["rules"].values() for cid in rule["clauses"]}
    levels = load(DATA / "levels.yaml")
    cited |= {cid for entry in levels["level_names"].values() for cid in entry["clauses"]}
    cited |= set(levels["graded_by"]["clauses"])
    cited |= {cid for knob in levels["knobs"].values() for cid in knob["clauses"]}
    assert sorted({c["id"] for c in register["clauses"]} - cited) == []


# --- presets -------------------------------------------------------------------------------------


def test_presets_name_the_same_rules_with_the_same_units(presets: dict[str, dict[str, Any]]) -> None:
    beijing, containment = (presets[name]["rules"] for name in PRESETS)
    assert list(beijing) == list(containment)
    for name in beijing:
        assert beijing[name]["unit"] == containment[name]["unit"], name


@pytest.mark.parametrize("preset", PRESETS)
def test_every_rule_has_kind_unit_labels_and_clauses_that_exist(
    preset: str, register: dict[str, Any], presets: dict[str, dict[str, Any]]
) -> None:
    data = presets[preset]
    assert data["preset"] == preset
    clause_doc = {c["id"]: c["document"] for c in register["clauses"]}
    regime = {doc["id"]: doc["regime"] for doc in register["documents"]}
    own = set(data["documents"])
    assert own == {d for d, r in regime.items() if r == data["regime"]}
    for name, rule in data["rules"].items():
        where = f"{preset}: {name}"
        assert set(rule) == RULE_KEYS, f"{where}: keys {sorted(set(rule) ^ RULE_KEYS)}"
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), where
        assert rule["kind"] in KINDS, where
        assert rule["unit"] and rule["label"] and CJK.search(rule["label_zh"]), where
        assert rule["note"], f"{where}: no note"
        cited = rule["clauses"]
        assert len(cited) == len(set(cited)), f"{where}: a clause cited twice"
        unknown = [cid for cid in cited if cid not in clause_doc]
        assert unknown == [], f"{where}: clauses not in the register {unknown}"
        if rule["kind"] == "quoted":
            assert any(clause_doc[cid] in own for cid in cited), f"{where}: quoted without a clause of {sorted(own)}"
        if rule["kind"] == "interpreted":
            assert cited, f"{where}: interpreted without a clause"
            if not any(clause_doc[cid] in own for cid in cited):
                assert "carried over" in rule["note"].lower(), f"{where}: from the other regime, note must say so"


@pytest.mark.parametrize("preset", PRESETS)
def test_rule_values_have_the_shapes_the_planner_reads(preset: str, presets: dict[str, dict[str, Any]]) -> None:
    rules = presets[preset]["rules"]
    for name, rule in rules.items():
        value = rule["value"]
        if isinstance(value, dict):
            assert tuple(value) in (LEVELS, MANAGEMENTS), f"{preset}: {name} keyed by {list(value)}"
        if name.endswith("_drugs"):
            assert value and set(value) <= set(DRUGS), f"{preset}: {name}"
    assert set(rules["care_home_management"]["value"].values()) <= set(MANAGEMENTS)
    for name in ("tests_per_week_staff", "tests_per_week_residents", "staff_entry_antigen_tests_per_week"):
        assert tuple(rules[name]["value"]) == MANAGEMENTS, name
    assert 0 <= rules["resident_antigen_share"]["value"] <= 1


def test_presets_differ_where_the_plans_differ(presets: dict[str, dict[str, Any]]) -> None:
    beijing, containment = (presets[name]["rules"] for name in PRESETS)
    same = [name for name in DIFFERING_RULES if beijing[name]["value"] == containment[name]["value"]]
    assert same == []


# --- the numbers the texts give (issue 10) -------------------------------------------------------


def test_containment_isolates_contacts_and_arrivals_as_003_says(presets: dict[str, dict[str, Any]]) -> None:
    rules = presets["containment-2021"]["rules"]
    values = {name: rule["value"] for name, rule in rules.items()}
    assert values["contacts_isolated"] is True
    assert (values["contact_central_isolation_days"], values["contact_home_health_days"]) == (14, 7)
    assert (values["contact_nat_tests"], values["contact_antibody_tests"]) == (3, 1)
    assert values["inbound_isolation_days"] == 14
    assert (values["inbound_nat_tests"], values["inbound_antibody_tests"]) == (2, 1)
    assert values["observation_stay_days"] == 14 and values["post_discharge_observation_days"] == 14
    assert rules["contact_persons_per_room"]["clauses"] == ["001 (xv)"] and values["contact_persons_per_room"] == 1
    assert rules["contacts_per_case"]["kind"] == "assumption"
    assert values["sites_per_street_min"] == 1 and values["site_stock_days_min"] == 30
    assert (values["full_round_days"], values["full_round_required"]) == (2, True)
    assert values["full_round_city_population_max"] == 5_000_000


def test_beijing_identifies_no_contacts_and_quarantines_no_arrivals(presets: dict[str, dict[str, Any]]) -> None:
    rules = presets["beijing-2023"]["rules"]
    assert rules["contacts_isolated"]["value"] is False
    assert "004 (二十二)" in rules["contacts_isolated"]["clauses"]
    for name in ("contacts_per_case", "contact_central_isolation_days", "inbound_isolation_days"):
        assert rules[name]["value"] == 0, name
    assert rules["full_round_required"]["value"] is False
    assert rules["observation_stay_days"]["kind"] == "assumption"


def test_persons_per_room_no_longer_rests_on_the_own_bathroom_clause(presets: dict[str, dict[str, Any]]) -> None:
    for preset in PRESETS:
        rule = presets[preset]["rules"]["persons_per_room"]
        assert not any(cid.startswith("003 三(二)4") for cid in rule["clauses"]), preset
    assert presets["beijing-2023"]["rules"]["persons_per_room"]["kind"] == "assumption"


def test_care_home_tests_follow_000_by_type_and_management(presets: dict[str, dict[str, Any]]) -> None:
    rules = presets["beijing-2023"]["rules"]
    assert rules["tests_per_week_staff"]["value"] == {"open": 2, "closed": 7}
    assert rules["tests_per_week_residents"]["value"] == {"open": 2, "closed": 2}
    assert rules["care_home_management"]["value"] == {"normal": "open", "prevalent": "closed", "severe": "closed"}
    assert "nucleic acid" in rules["tests_per_week_staff"]["unit"]
    assert presets["containment-2021"]["rules"]["resident_antigen_share"]["value"] == 0


def test_drug_classes_follow_the_clauses(presets: dict[str, dict[str, Any]]) -> None:
    rules = presets["beijing-2023"]["rules"]
    assert rules["care_home_drugs"]["value"] == ["antipyretic", "cough"]
    assert set(rules["hospital_drugs"]["value"]) == {"tcm", "antiviral", "antipyretic", "cough"}
    assert set(rules["clinic_drugs"]["value"]) == {"antipyretic", "cough", "tcm", "antigen_kit"}
    assert (rules["drug_reserve_per_served"]["value"], rules["drug_reserve_per_served_dense"]["value"]) == (0.15, 0.2)
    assert rules["drug_reserve_per_served"]["clauses"] == ["004 (十九) primary"]


def test_icu_scope_per_regime(presets: dict[str, dict[str, Any]]) -> None:
    beijing, containment = (presets[name]["rules"] for name in PRESETS)
    assert containment["icu_scope"]["value"] == ["designated"]
    assert containment["icu_count_convertible"]["value"] is False
    assert set(beijing["icu_scope"]["value"]) == {"designated", "level_3", "level_2_general", "children"}
    assert beijing["icu_count_convertible"]["value"] is True
    assert beijing["icu_share_min"]["kind"] == "interpreted"


def test_one_to_one_nurses_include_the_homes_own_isolation_area(presets: dict[str, dict[str, Any]]) -> None:
    for preset in PRESETS:
        assert "home_isolation_area" in presets[preset]["rules"]["nurses_1to1_destinations"]["value"], preset


# --- levels --------------------------------------------------------------------------------------


def test_level_defaults_are_marked_assumptions_with_existing_clauses(register: dict[str, Any]) -> None:
    levels = load(DATA / "levels.yaml")
    clause_ids = {c["id"] for c in register["clauses"]}
    assert tuple(levels["levels"]) == LEVELS and tuple(levels["level_names"]) == LEVELS
    knobs = {knob for values in levels["levels"].values() for knob in values}
    assert set(levels["knobs"]) == knobs
    for knob, entry in levels["knobs"].items():
        assert entry["kind"] in KINDS and entry["note"], knob
        assert set(entry["clauses"]) <= clause_ids, knob
    for level, entry in levels["level_names"].items():
        assert CJK.search(entry["zh"]) and set(entry["clauses"]) <= clause_ids, level
    assert set(levels["graded_by"]["clauses"]) <= clause_ids


# --- the review --------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    """A rule value as docs/rules-review.md writes it in its tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, int) and value >= 100_000:
        return f"{value:,}".replace(",", " ")
    return str(value)


def test_the_review_has_a_section_per_rule_matching_the_presets(presets: dict[str, dict[str, Any]]) -> None:
    review = (ROOT / "docs" / "rules-review.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### `([a-z0-9_]+)`\n(.*?)(?=^#{2,3} )", review, flags=re.S | re.M))
    assert list(sections) == list(presets[PRESETS[0]]["rules"])
    for preset in PRESETS:
        for name, rule in presets[preset]["rules"].items():
            row = f"| {preset} | `{_shown(rule['value'])}` | {rule['kind']} |"
            assert row in sections[name], f"{name}: the review's row for {preset} is stale"
            for cid in rule["clauses"]:
                assert f"`{cid}`" in sections[name], f"{name}: the review does not quote {cid}"
