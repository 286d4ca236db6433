"""Every label of the front end in English and Chinese, with the terms of DESIGN §1.

``t("kpi_covered_share", "zh")`` gives ``"120 转运覆盖率"``. Labels with fields
take them as keyword arguments: ``t("n_problems", "en", n=3)``. Table columns and
coded values (levels, groups, drug classes, reason codes) have their own
dictionaries so a table can be shown in the reader's language with
:func:`localize`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from planner.report.labels import (
    COLUMNS,
    KPI_LABELS,
    PERCENT_COLUMNS,
    RULE_IDS,
    STAGES,
    VALUE_COLUMNS,
    VALUES,
    Pair,
    column_label,
    header,
    kpi_label,
    named,
    pick,
    rule_label,
    stage_label,
    value,
)

LANGUAGES: tuple[str, ...] = ("en", "zh")
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "zh": "中文"}

LABELS: dict[str, Pair] = {
    # page and sidebar
    "app_title": ("epiplan — district epidemic resource plan", "epiplan — 区级疫情防控资源统筹方案"),
    "app_caption": (
        "Reserve nurses, observation rooms, 120 ambulances and drug stocks, allocated by the work-plan rules.",
        "按工作方案规则统筹护理应急支援队伍、集中健康观察点房间、120 急救车和药品物资。",
    ),
    "language": ("Language", "语言"),
    "dataset": ("Dataset", "数据"),
    "sample_city": ("Sample city (synthetic, Beijing-shaped)", "示例城市（虚构数据，北京区划）"),
    "upload": ("Upload a district dataset (.xlsx or .zip of CSVs)", "上传区级数据（.xlsx 或 CSV 压缩包 .zip）"),
    "upload_help": (
        "One sheet or CSV file per table: districts, streets, care_homes, clinics, hospitals, sites, stations, "
        "pools, depots.",
        "每张表一个工作表或 CSV 文件：districts、streets、care_homes、clinics、hospitals、"
        "sites、stations、pools、depots。",
    ),
    "using_dataset": (
        "Planning **{name}**: {districts} districts, {homes} care homes",
        "当前数据 **{name}**：{districts} 个区，{homes} 家养老机构",
    ),
    "dataset_problems": (
        "The dataset has {errors} error(s) and {warnings} warning(s); nothing is planned until the errors are fixed.",
        "数据有 {errors} 处错误、{warnings} 处提示；错误修正前不做规划。",
    ),
    "dataset_warnings": ("The dataset has {warnings} warning(s).", "数据有 {warnings} 处提示。"),
    "rules": ("Rules", "规则"),
    "preset": ("Rules preset", "规则预设"),
    "edit_rules": ("Edit rules (each with its source clause)", "编辑规则（附出处条款）"),
    "rules_bad": ("These rule values cannot be used: {problems}", "以下规则取值无效：{problems}"),
    "rules_changed": ("{n} rule(s) changed from the preset.", "已修改 {n} 条规则。"),
    "rules_as_preset": ("Every rule as the preset sets it.", "所有规则均按预设取值。"),
    "rules_dialog_caption": (
        "Change a value (lists and mappings in JSON), then Apply: the plan is solved again with it.",
        "修改取值（列表与映射用 JSON 书写）后点击“应用”，方案将按新取值重新求解。",
    ),
    "apply": ("Apply", "应用"),
    "undo": ("Undo", "撤销"),
    "reset": ("Reset", "全部重置"),
    "reset_help": (
        "Back to the dataset as loaded and the preset's rules: table edits, rule changes, demand multipliers and "
        "closed sites go (the scenario's knobs stay).",
        "恢复为载入时的数据和预设规则：撤销表格修改、规则修改、分区需求系数和关闭的观察点（情景参数保持不变）。",
    ),
    "undone": ("The last what-if change is undone.", "已撤销上一次修改。"),
    "reset_done": ("Every what-if edit is reset (Undo brings them back).", "已全部重置（可撤销）。"),
    "edits_count": ("What-if edits: {n} table cell(s) changed.", "假设分析：已修改 {n} 个表格单元格。"),
    "template_blank": ("Blank template", "空白数据模板"),
    "template_filled": ("This dataset as template", "当前数据（模板格式）"),
    "template_help": (
        "An Excel workbook to fill in: one sheet per table, what each column holds, an example row and "
        "drop-down lists. Upload it here when filled in.",
        "供填写的 Excel 模板：每张表一个工作表，附各列说明、示例行和下拉选项。填好后在此上传。",
    ),
    "district_view": ("Show", "显示范围"),
    "all_districts": ("All districts", "全部区"),
    "district_help": (
        "One district's part of the plan: its care homes, sites, stations, pools and depots, and what crosses its "
        "border. The plan is still solved for every district; the downloads follow this choice.",
        "只看一个区的方案：本区的养老机构、观察点、急救站、护理队伍、储备库及跨区往来。"
        "方案仍按全市统筹求解；下载内容随此选择。",
    ),
    "level": ("Response level", "疫情响应等级"),
    "knobs": ("Scenario", "情景参数"),
    "more_knobs": ("Attack rate, shares and factors", "感染率、比例与系数"),
    "attack_rate": ("Attack rate (share of residents infected)", "感染率（老年人感染比例）"),
    "severe_share": ("Severe share (of infected, to hospital)", "重症比例（感染者中需转诊）"),
    "staff_absence": ("Staff absence", "工作人员缺岗比例"),
    "rotation_share": ("Staff rotation into the closed loop", "闭环轮换工作人员比例"),
    "stock_factor": ("Depot stock factor", "储备库库存系数"),
    "fleet_factor": ("Ambulance fleet factor", "急救车队系数"),
    "horizon_days": ("Planning horizon (days)", "规划周期（天）"),
    "horizon_help": (
        "Days planned: at most {most} for the day-by-day plan; the snapshot plan takes longer horizons.",
        "规划的天数：逐日计划最多 {most} 天；更长的周期请用快照计划。",
    ),
    "plan_kind": ("Plan", "计划方式"),
    "plan_daily": ("Day by day", "逐日计划"),
    "plan_snapshot": ("Snapshot", "快照计划"),
    "plan_help": (
        "Day by day: infections follow the epidemic curve (or the dataset's forecast) and every day's rooms, nurses, "
        "ambulances and stock are planned. Snapshot: every need of the horizon at once, to compare.",
        "逐日计划：感染按流行曲线（或数据中的预测表）逐日发生，逐日安排房间、护理人员、急救车和药品。"
        "快照计划：整个周期的需求同时计算，便于对比。",
    ),
    "curve": ("Epidemic curve (day-by-day plan)", "流行曲线（逐日计划）"),
    "peak_day": ("Peak day (0 = the first day)", "高峰日（0 为首日）"),
    "peak_day_auto": ("mid-horizon", "周期中点"),
    "wave_days": ("Wave length (days to 95 % of infections)", "流行持续天数（95% 感染发生的天数）"),
    "wave_days_auto": ("the horizon", "规划周期"),
    "curve_snapshot": (
        "The snapshot plan has no curve: every need of the horizon at once.",
        "快照计划不使用流行曲线：整个周期的需求同时计算。",
    ),
    "closed_sites": ("Closed observation sites", "关闭的集中健康观察点"),
    "choose": ("Choose", "请选择"),
    "demand": ("Demand by district (× attack rate)", "分区需求系数（乘以感染率）"),
    "multiplier": ("Multiplier", "系数"),
    "time_limit": ("Time limit per stage (s)", "每阶段求解时限（秒）"),
    "scenarios": ("Scenarios", "情景"),
    "scenario_name": ("Scenario name", "情景名称"),
    "save_scenario": ("Keep this scenario", "保存当前情景"),
    "saved": ("Kept scenario **{name}**.", "已保存情景 **{name}**。"),
    "load_scenario": ("Load", "载入"),
    "kept_scenarios": ("Kept scenarios", "已保存的情景"),
    "download_scenario": ("Download scenario (.yaml)", "下载情景（.yaml）"),
    "upload_scenario": ("Upload a scenario (.yaml)", "上传情景（.yaml）"),
    "scenario_bad": ("This scenario cannot be used: {problems}", "该情景无法使用：{problems}"),
    "too_large": (
        "This data is too dense to plan at once: {problems}",
        "该数据过于密集，无法一次规划：{problems}",
    ),
    "edits_unknown": (
        "Edits of places not in this dataset (ignored): {ids}",
        "本数据中没有这些修改的对象（已忽略）：{ids}",
    ),
    "closed_unknown": (
        "Closed sites not in this dataset (ignored): {sites}",
        "本数据中没有这些关闭的观察点（已忽略）：{sites}",
    ),
    "plan_warnings": ("The plan notes {count} warning(s) on its inputs.", "本方案对输入有 {count} 处提示。"),
    "scenario_loaded": ("Loaded scenario **{name}**.", "已载入情景 **{name}**。"),
    "current": ("current", "当前"),
    # solving
    "solving": ("Solving the plan…", "正在求解方案……"),
    "solving_stage": ("{done} of {n} stages solved; solving: {stages}", "已完成 {done}/{n} 个阶段；正在求解：{stages}"),
    "solved": ("Plan ready in {seconds:.1f} s", "方案已生成，用时 {seconds:.1f} 秒"),
    "from_cache": ("Plan ready (same inputs as before: shown at once)", "方案已生成（输入未变，直接显示）"),
    "status_line": ("Solver status: {statuses}", "求解状态：{statuses}"),
    # tabs
    "tab_overview": ("Overview", "总览"),
    "tab_timeline": ("Day by day", "逐日计划"),
    "tab_observation": ("Observation", "集中健康观察"),
    "tab_ambulance": ("Ambulances", "120 急救"),
    "tab_nursing": ("Nurses", "护理人员"),
    "tab_drugs": ("Drugs", "药品物资"),
    "tab_testing": ("Testing", "核酸检测"),
    "tab_map": ("Map", "地图"),
    "tab_compare": ("Compare", "情景对比"),
    "tab_risk": ("Risk", "风险分析"),
    # overview
    "compliance": ("Compliance checklist", "合规检查清单"),
    "compliance_caption": (
        "One line per rule of the work plan: how many districts, streets or institutions meet it.",
        "每条工作方案规则一行：达标的区、街道（乡镇）或机构数量。",
    ),
    "met": ("met", "达标"),
    "not_met": ("not met", "未达标"),
    "unmet_rows": ("Where a rule is not met", "未达标明细"),
    "shortfalls": ("Largest shortfalls", "最主要的缺口"),
    "no_shortfalls": ("No shortfall: every need is met.", "无缺口：所有需求均已满足。"),
    "marginal": ("What more resources would buy", "增加资源的效果"),
    "marginal_caption": (
        "Each line adds enough of one resource in one place and solves that stage again; best first by the "
        "stage's own priorities (disabled persons, then everyone; 1:1 before backfill; the lowest fill rate first).",
        "每行在一处增加足量的某种资源并重新求解该阶段；按该阶段的优先次序排列（先失能失智老人再其他人员；"
        "先1:1陪护再顶岗；先最低满足率）。",
    ),
    "no_marginal": (
        "No scarce resource: more would not change the plan.",
        "无紧缺资源：增加资源不会改变方案。",
    ),
    "no_need": ("— (no need)", "无需求"),
    "help_placed": (
        "Persons from care homes without their own observation area (and staff rotating in), placed in an "
        "observation site within the transfer limit. {persons} need a place; {sites} sites are open.",
        "无院内隔离观察区的养老机构人员（及闭环轮换人员）安置到转运时限内的集中健康观察点。"
        "共需安置 {persons} 人；开放观察点 {sites} 个。",
    ),
    "help_unmet_persons": (
        "Persons needing observation for whom no room within the transfer limit is left: {disabled} "
        "disabled/dementia elderly (placed first, barrier-free rooms only) and {other} others.",
        "转运时限内无房可住的需观察人员：失能失智老人 {disabled} 人（优先安置，仅限无障碍房间），其他人员 {other} 人。",
    ),
    "help_covered": (
        "Share of the daily transfers to hospital whose 120 station reaches the home and its designated hospital "
        "within the limit, with ambulance time to spare: {covered} of {daily} a day.",
        "每日转诊中，对接急救站可在时限内到达养老机构并送达定点医院、且运力充足的比例：每日 {covered} / {daily} 人次。",
    ),
    "help_uncovered": (
        "Care homes whose handshake station cannot take them to hospital within the limit (see the Ambulances view).",
        "对接急救站无法在时限内将其送达医院的养老机构（见“120 急救”页）。",
    ),
    "help_one_to_one": (
        "1:1 nurses for transferred disabled/dementia elderly, at hospitals and at observation sites: "
        "{assigned} of {required} assigned.",
        "转运的失能失智老人在医院和集中健康观察点按1:1配备护理人员：已配 {assigned} / 需 {required} 人。",
    ),
    "help_nurses": (
        "Nurses sent from the reserve pools to every need: 1:1 escorts, backfill at care homes, self-care.",
        "从护理应急支援队伍调派的护理人员总数：1:1 陪护、养老机构顶岗、自理老人照护。",
    ),
    "help_nursing_unmet": (
        "Nursing needs no pool can meet, by tier (served in this order): {tiers}.",
        "护理队伍无法满足的需求，按优先级：{tiers}。",
    ),
    "help_reserve": (
        "Districts whose pools hold fewer nurses than the reserve rule asks for their {residents} care-home "
        "residents (the rule is checked in the Overview's checklist).",
        "护理应急支援队伍人数低于储备规则要求的区（全市养老机构老年人 {residents} 人；见总览合规清单）。",
    ),
    "help_fill_care": (
        "Lowest share of its reserve target that a care home or primary care centre gets, per drug class: "
        "{drugs}. The plan raises this first; a class they do not need shows no figure.",
        "养老机构和基层医疗卫生机构中药品储备目标满足率的最低值，按药品类别：{drugs}。方案优先提高此值；无需求的类别不显示。",
    ),
    "help_fill_hospital": (
        "Share of the hospitals' drug need (days of use) that is allocated, per class: {drugs}. Hospitals are served "
        "after care homes and primary care centres; the card shows the lowest class.",
        "医院药品需求（按使用天数）的满足比例，按类别：{drugs}。医院在养老机构和基层医疗卫生机构之后保障；卡片显示最低的类别。",
    ),
    "help_drug_shortfall": (
        "Packs short of the reserve targets: care homes and primary care centres {care}, hospitals {hospitals}. "
        "By class: {drugs}.",
        "距储备目标的缺口（份）：养老机构和基层医疗卫生机构 {care}，医院 {hospitals}。按类别：{drugs}。",
    ),
    "help_compliance": (
        "Checks of the work-plan rules (per district, street or institution) that the plan meets: {met} of {checks}.",
        "方案满足的工作方案规则检查项（按区、街道或机构）：{met} / {checks}。",
    ),
    "downloads": ("Downloads", "下载"),
    "download_xlsx": ("Plan (.xlsx)", "方案（.xlsx）"),
    "download_pdf": ("One-page summary (.pdf)", "一页摘要（.pdf）"),
    "download_json": ("Plan (.json)", "方案（.json）"),
    "download_zip": ("Plan (.zip of CSVs)", "方案（CSV 压缩包）"),
    "download_dispatch": ("Dispatch sheet by district (.xlsx)", "分区调度单（.xlsx）"),
    # stage views
    "whatif_caption": (
        "What-if: edit the cells with a pencil — the plan is solved again at once.",
        "假设分析：修改带铅笔标记的单元格，方案即时重新求解。",
    ),
    "sites": ("Observation sites", "集中健康观察点"),
    "observation_assignments": ("Who goes where", "人员安置去向"),
    "unmet_persons": ("Persons without a room", "未安置人员"),
    "site_occupancy": ("Site occupancy (open sites)", "观察点入住情况（开放点位）"),
    "stations": ("120 ambulance stations: before and after", "120 急救站：调整前后"),
    "handshakes": ("Handshake: each care home's station", "养老机构与急救站对接"),
    "uncovered": ("Care homes not covered within the limit", "超时限未覆盖的养老机构"),
    "coverage_chart": ("Daily transfers covered, by district", "各区每日转运覆盖情况"),
    "pools": ("Reserve pools (nursing emergency support teams)", "护理应急支援队伍"),
    "nursing_needs": ("Nursing needs by tier", "分级护理需求"),
    "nursing_assignments": ("Nurses sent", "护理人员调派"),
    "fill_rates": ("Fill rate by drug class and institution kind", "各类药品、各类机构的满足率"),
    "drug_targets": ("Shortfalls by institution", "各机构缺口"),
    "drug_allocations": ("Shipments", "配送"),
    "depots": ("Depots (drug and supplies reserves)", "药品物资储备库"),
    "nothing_here": ("Nothing to show.", "暂无内容。"),
    "border": ("Across the district's border", "跨区往来"),
    "border_caption": (
        "What the plan sends into the district and out of it: persons to observation sites, nurses, drug packs.",
        "方案中调入、调出本区的资源：集中健康观察人员、护理人员、药品。",
    ),
    # map
    "map_layers": ("Layers", "图层"),
    "map_caption": (
        "No basemap (works offline): district names mark the way. Red dots: care homes not covered within the limit.",
        "无底图（离线可用）：以区名标示方位。红点：超时限未覆盖的养老机构。",
    ),
    "layer_homes": ("Care homes", "养老机构"),
    "layer_sites": ("Observation sites", "集中健康观察点"),
    "layer_stations": ("120 stations", "120 急救站"),
    "layer_pools": ("Reserve pools", "护理应急支援队伍"),
    "layer_depots": ("Depots", "药品物资储备库"),
    "layer_observation_arcs": ("Persons to sites", "人员至观察点"),
    "layer_handshake_arcs": ("Station handshakes", "急救站对接"),
    "layer_nursing_arcs": ("Nurses to destinations", "护理人员调派"),
    "layer_drug_arcs": ("Drug shipments", "药品配送"),
    # compare
    "compare_caption": (
        "Keep scenarios in the sidebar, then pick any two.",
        "在侧边栏保存情景，然后任选两个对比。",
    ),
    "compare_need_two": (
        "Keep at least one scenario (sidebar → Scenarios) to compare it with the current one.",
        "请先在侧边栏“情景”中保存至少一个情景，再与当前情景对比。",
    ),
    "scenario_a": ("Scenario A", "情景 A"),
    "scenario_b": ("Scenario B", "情景 B"),
    "kpi_deltas": ("Key figures: B − A", "关键指标：B − A"),
    "compliance_changes": ("Compliance that changed", "合规变化"),
    "moved": ("Assignments that moved", "调整的分配"),
    "no_change": ("No change.", "无变化。"),
    "other_dataset": (
        "Scenario {name} was kept for another dataset; it is solved on the current one.",
        "情景 {name} 保存时使用的是另一份数据，现按当前数据求解。",
    ),
    # table columns in the compare view
    "kpi": ("Key figure", "指标"),
    "delta": ("Change", "变化"),
}


def t(key: str, language: str, **fields: object) -> str:
    """The label ``key`` in ``language`` (``en`` or ``zh``), with ``fields`` filled in."""
    text = pick(LABELS[key], language)
    return text.format(**fields) if fields else text


def _translated(codes: pd.Series, category: str, language: str) -> pd.Series:
    return codes.map(lambda code: value(category, code, language))


ID_COLUMNS_WITHOUT_NAMES: frozenset[str] = frozenset({"need_id", "rule_id"})


def localize(frame: pd.DataFrame, language: str, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` ready to show: names beside ids (``丰台区 (110106)``), codes translated, shares as percentages,
    decimals rounded to 2 places, headers with their units in ``language`` (``Travel time (min)``).

    Parameters
    ----------
    frame
        A table whose id columns end in ``_id`` (``site_id``, ...); ``scope_id`` may be ``id:drug``.
    language
        ``en`` or ``zh``.
    names
        Entity id -> display name; ids with no name are kept as they are.
    """
    shown = frame.copy()
    for column in shown.columns:
        if column in PERCENT_COLUMNS and pd.api.types.is_float_dtype(shown[column]):
            shown[column] = 100.0 * shown[column]
    floats = shown.select_dtypes(include="float").columns
    shown[floats] = shown[floats].round(2)
    for column in shown.columns:
        if names is not None and str(column).endswith("_id") and column not in ID_COLUMNS_WITHOUT_NAMES:
            shown[column] = shown[column].map(lambda i: named(i, names, language))
        elif column in VALUE_COLUMNS:
            shown[column] = _translated(shown[column], VALUE_COLUMNS[str(column)], language)
        elif shown[column].dtype == bool:
            shown[column] = shown[column].map(lambda b: value("bool", str(b), language))
    shown.columns = pd.Index([header(str(c), language) for c in shown.columns])
    return shown


def percent(share: float | None) -> str:
    """``0.8734`` -> ``"87.3 %"``; ``None`` -> ``"–"``."""
    return "–" if share is None else f"{100.0 * share:.1f} %"


__all__ = [
    "COLUMNS",
    "KPI_LABELS",
    "LABELS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "RULE_IDS",
    "STAGES",
    "VALUES",
    "VALUE_COLUMNS",
    "column_label",
    "kpi_label",
    "localize",
    "percent",
    "rule_label",
    "stage_label",
    "t",
    "value",
]
