"""The shared vocabulary of epiplan in English and Chinese (DESIGN §1): KPI names, rules, stages, coded values
and table columns with their units.

The app (``planner.ui.i18n``), the workbook and the dataset template (``planner.outputs``), the printable summary
(``planner.report``) and the command line look labels up here, by name: a new stage's columns and KPIs get their
headers by adding one line to :data:`COLUMNS` or :data:`KPI_LABELS`, never special code.
"""

from __future__ import annotations

from collections.abc import Mapping

Pair = tuple[str, str]


def pick(pair: Pair, language: str) -> str:
    """The Chinese half of ``pair`` when ``language`` is ``zh``, else the English half."""
    return pair[1] if language == "zh" else pair[0]


KPI_LABELS: dict[str, Pair] = {
    "observation_by_cause": ("Persons to observe by cause", "按原因需集中观察人数"),
    "close_contacts_isolated": ("Close contacts isolated centrally", "集中隔离的密切接触者"),
    "nat_tests_per_week": ("Nucleic acid tests a week at care homes", "养老机构每周核酸检测人次"),
    "nat_tests_planned_by": ("Nucleic acid sampling and labs planned by", "核酸采样与检测能力由以下环节规划"),
    "antigen_kits_target": ("Antigen kits care homes need", "养老机构所需抗原检测试剂"),
    "streets_without_site": ("Streets where no site can be opened", "无可开设观察点的街道"),
    "district": ("District", "区"),
    "observation_placed": ("Persons placed in observation", "集中健康观察已安置人数"),
    "observation_persons": ("Persons needing observation", "需集中健康观察人数"),
    "unmet_observation_disabled": ("Disabled/dementia elderly without a room", "未安置失能失智老人"),
    "unmet_observation_other": ("Others without a room", "未安置其他人员"),
    "sites_open": ("Observation sites open", "开放的集中健康观察点"),
    "sites_opened": ("Sites newly opened", "新启用观察点"),
    "daily_transfers": ("Daily transfers to hospital", "每日转诊人次"),
    "covered_daily_transfers": ("Daily transfers covered", "已覆盖的每日转诊"),
    "covered_share": ("120 transfers covered in time", "120 转运覆盖率"),
    "uncovered_homes": ("Care homes not covered", "未覆盖的养老机构"),
    "longest_covered_trip_minutes": ("Longest covered trip (min)", "最长覆盖转运时间（分钟）"),
    "ambulance_moves": ("Ambulances moved", "调动急救车"),
    "one_to_one_required": ("1:1 nurses required", "需 1:1 陪护人员"),
    "one_to_one_assigned": ("1:1 nurses assigned", "已配 1:1 陪护人员"),
    "one_to_one_coverage": ("1:1 nursing coverage", "1:1 陪护配备率"),
    "nurses_assigned": ("Reserve nurses sent", "调派护理人员"),
    "nursing_unmet_by_tier": ("Nursing needs unmet", "未满足护理需求"),
    "lowest_fill_rate": ("Lowest drug fill rate, homes & clinics", "养老及基层机构药品最低满足率"),
    "hospital_fill_rate": ("Hospital drug need met (lowest class)", "医院药品需求满足率（最低类）"),
    "drug_shortfall": ("Drug packs short", "药品缺口（份）"),
    "drug_shortfall_by_kind": ("Drug packs short by institution kind", "各类机构药品缺口（份）"),
    "reserve_ratio": ("Nursing reserve ratio", "护理储备比例"),
    "districts_short_of_reserve": ("Districts short of nursing reserve", "护理储备不足的区"),
    "care_home_residents": ("Care-home residents", "养老机构老年人数"),
    "compliance_checks": ("Compliance checks", "合规检查项"),
    "compliance_met": ("Compliance checks met", "达标检查项"),
    "seconds_total": ("Solver time, stages summed (s)", "各阶段求解用时合计（秒）"),
}

RULE_KINDS: dict[str, Pair] = {
    "quoted": ("quoted (the number is in the clause)", "原文规定"),
    "interpreted": ("interpreted (epiplan's reading)", "解读"),
    "assumption": ("assumption (set your own)", "假设（可自行设定）"),
}
"""A rule's kind as the rules table says it."""

RULE_IDS: dict[str, Pair] = {
    "nursing_reserve": (
        "District nursing reserve ≥ 10 % of care-home residents",
        "区级护理储备 ≥ 养老机构老年人数的10%",
    ),
    "one_to_one_nursing": (
        "1:1 nurse for every transferred disabled/dementia elder",
        "转运失能失智老人 1:1 配备护理人员",
    ),
    "drug_reserve": ("Drug reserve target at every institution", "各机构药品储备达标"),
    "icu_share": ("ICU beds ≥ the rule's share of beds (hospitals in scope)", "重症床位 ≥ 床位数规定比例（适用医院）"),
    "transfer_2h": ("Transfer to the designated hospital within 2 hours", "2小时内转运至定点医院"),
    "site_per_street": ("An observation site in every street/town", "每个街道（乡镇）至少一个集中健康观察点"),
    "no_site_in_street": (
        "No site can be opened here (the street has no usable site in the data)",
        "本街道（乡镇）无可开设的观察点（数据中无可用观察点）",
    ),
    "site_stock_days": ("30 days of supplies at each open site", "每个观察点储备30天物资"),
    "one_person_per_room": ("One person per room", "单人单间"),
    "barrier_free": (
        "Barrier-free sites (for disabled/dementia elderly, or every care-home person)",
        "无障碍观察点（失能失智老人，或养老机构全部观察人员）",
    ),
    "sampling_points": (
        "3 to 5 sampling points per street/town today (the data's count)",
        "每个街道（乡镇）现有3至5个便民采样点（数据中的数量）",
    ),
    "antigen_test_kits": (
        "Antigen kits for each care home's tests (days of cover and one outbreak round)",
        "养老机构抗原检测试剂满足检测频次（储备天数及一轮全员检测）",
    ),
}

STAGES: dict[str, Pair] = {
    "observation": ("observation sites", "集中健康观察"),
    "ambulance": ("120 ambulances", "120 急救"),
    "nursing": ("reserve nurses", "护理人员"),
    "drugs": ("drugs and supplies", "药品物资"),
}

VALUES: dict[str, dict[str, Pair]] = {
    "level": {
        "normal": ("normal", "非疫情流行"),
        "prevalent": ("prevalent", "疫情流行"),
        "severe": ("severe", "疫情流行严重"),
    },
    "group": {"disabled": ("disabled/dementia", "失能失智"), "other": ("other", "其他")},
    "need": {
        "transfer_1to1": ("1:1 escort", "1:1 陪护"),
        "backfill": ("backfill", "顶岗"),
        "self_care": ("self-care", "自理老人照护"),
    },
    "drug": {
        "antipyretic": ("antipyretic", "解热药"),
        "cough": ("cough medicine", "止咳药"),
        "antiviral": ("antiviral", "抗病毒药"),
        "tcm": ("TCM", "中药"),
        "antigen_kit": ("antigen kit", "抗原检测试剂"),
    },
    "kind": {
        "care_home": ("care home", "养老机构"),
        "clinic": ("primary care centre", "社区卫生服务中心/乡镇卫生院"),
        "hospital": ("hospital", "医院"),
        "site": ("observation site", "集中健康观察点"),
    },
    "status": {
        "open": ("open", "开放"),
        "candidate": ("candidate", "备用"),
        "closed": ("closed", "关闭"),
        "optimal": ("optimal", "最优"),
        "feasible": ("feasible", "可行"),
        "infeasible": ("infeasible", "不可行"),
        "error": ("error", "出错"),
    },
    "reason": {
        "": ("", ""),
        "no_barrier_free_room_in_reach": ("no barrier-free room in reach", "可达范围内无无障碍房间"),
        "no_room_in_reach": ("no room in reach", "可达范围内无房间"),
        "rooms_used_up": ("rooms used up", "房间已满"),
        "no_station_in_reach": ("no station in reach", "可达范围内无急救站"),
        "station_workload": ("station at full workload", "急救站运力已满"),
        "pools_used_up": ("pools used up", "护理队伍已用尽"),
        "no_pool_in_reach": ("no pool in reach", "可达范围内无护理队伍"),
        "stock_short": ("stock short", "库存不足"),
    },
    "severity": {"error": ("error", "错误"), "warning": ("warning", "提示")},
    "direction": {"in": ("into the district", "调入本区"), "out": ("out of the district", "调出本区")},
    "what": {
        "persons": ("persons to observation", "人员（集中健康观察）"),
        "nurses": ("nurses", "护理人员"),
        "antipyretic": ("antipyretic (packs)", "解热药（份）"),
        "cough": ("cough medicine (packs)", "止咳药（份）"),
        "antiviral": ("antiviral (packs)", "抗病毒药（份）"),
        "tcm": ("TCM (packs)", "中药（份）"),
        "antigen_kit": ("antigen kits (packs)", "抗原检测试剂（份）"),
    },
    "scope": {
        "district": ("district", "区"),
        "street": ("street/town", "街道/乡镇"),
        "institution": ("institution", "机构"),
        "care_home": ("care home", "养老机构"),
        "site": ("observation site", "集中健康观察点"),
    },
    "bool": {"True": ("yes", "是"), "False": ("no", "否")},
}

COLUMNS: dict[str, Pair] = {
    "detail_rows": ("Rows in the detail CSV", "明细行数（见CSV）"),
    "day": ("Day", "第几天"),
    "resource": ("Resource", "资源"),
    "needed": ("Needed", "需要"),
    "short": ("Short", "缺口"),
    "cause": ("Cause", "原因"),
    "arrival_day": ("Arrival day", "入住日"),
    "departure_day": ("Departure day", "离开日"),
    "first_short_day": ("First day short", "短缺首日"),
    "stay_days": ("Days of stay", "停留天数"),
    "district_id": ("District", "区"),
    "district": ("District", "区"),
    "street_id": ("Street/town", "街道/乡镇"),
    "home_id": ("Care home", "养老机构"),
    "clinic_id": ("Primary care centre", "社区卫生服务中心"),
    "hospital_id": ("Hospital", "医院"),
    "site_id": ("Observation site", "集中健康观察点"),
    "station_id": ("120 station", "120 急救站"),
    "pool_id": ("Reserve pool", "护理应急支援队伍"),
    "depot_id": ("Depot", "药品物资储备库"),
    "institution_id": ("Institution", "机构"),
    "destination_id": ("Destination", "目的地"),
    "need_id": ("Need", "需求"),
    "scope_id": ("Where", "范围"),
    "name": ("Name", "名称"),
    "rule_id": ("Rule", "规则"),
    "rule": ("Rule", "规则"),
    "scope": ("Scope", "范围类型"),
    "scopes": ("Checked", "检查项"),
    "met": ("Met", "达标"),
    "all_met": ("All met", "全部达标"),
    "not_met": ("Not met", "未达标"),
    "share_met": ("Share met", "达标比例"),
    "source": ("Source clause", "出处条款"),
    "required": ("Required", "需要"),
    "planned": ("Planned", "计划"),
    "assigned": ("Assigned", "已配"),
    "unmet": ("Unmet", "未满足"),
    "reason": ("Why", "原因"),
    "persons": ("Persons", "人数"),
    "persons_disabled": ("Disabled persons", "失能失智人数"),
    "rooms": ("Rooms", "房间数"),
    "free_rooms": ("Free rooms", "空余房间"),
    "barrier_free": ("Barrier-free", "无障碍"),
    "status": ("Status", "状态"),
    "open": ("Open", "开放"),
    "opened": ("Newly opened", "新启用"),
    "group": ("Group", "人群"),
    "minutes": ("Travel time", "路程"),
    "trip_minutes": ("Trip (min)", "转运时间（分钟）"),
    "daily_transfers": ("Daily transfers", "每日转诊"),
    "covered": ("Covered", "已覆盖"),
    "ambulances": ("Ambulances", "急救车"),
    "before": ("Before", "调整前"),
    "after": ("After", "调整后"),
    "workload_minutes": ("Workload (min/day)", "工作量（分钟/天）"),
    "capacity_minutes": ("Capacity (min/day)", "运力（分钟/天）"),
    "nurses": ("Nurses", "护理人员"),
    "used": ("Used", "已调派"),
    "marginal_value": ("Value of one more", "边际价值"),
    "need": ("Tier", "需求类别"),
    "kind": ("Kind", "机构类别"),
    "rule_kind": ("Kind", "依据类型"),
    "drug": ("Drug class", "药品类别"),
    "target": ("Target", "储备目标"),
    "on_hand": ("On hand", "现有"),
    "allocated": ("Allocated", "调拨"),
    "shortfall": ("Shortfall", "缺口"),
    "fill_rate": ("Fill rate", "满足率"),
    "quantity": ("Packs", "数量（份）"),
    "stock": ("Stock", "库存"),
    "shipped": ("Shipped", "已发出"),
    "value": ("Value", "取值"),
    "unit": ("Unit", "单位"),
    "label": ("Rule", "规则"),
    "field": ("Field", "字段"),
    "explanation": ("Explanation", "说明"),
    "stage": ("Stage", "阶段"),
    "size": ("Size", "规模"),
    "file": ("File", "文件"),
    "row": ("Row", "行"),
    "column": ("Column", "列"),
    "message": ("Problem", "问题"),
    "severity": ("Severity", "级别"),
    "multiplier": ("Multiplier", "系数"),
    "met_a": ("Met in A", "A 达标"),
    "met_b": ("Met in B", "B 达标"),
    "scopes_a": ("Checked in A", "A 检查项"),
    "scopes_b": ("Checked in B", "B 检查项"),
    "planned_a": ("Planned in A", "A 计划"),
    "planned_b": ("Planned in B", "B 计划"),
    "required_b": ("Required in B", "B 需要"),
    "a": ("A", "A"),
    "b": ("B", "B"),
    "delta": ("Change", "变化"),
    "kpi": ("Key figure", "指标"),
    "change": ("Change", "变化"),
    "from": ("From", "原为"),
    "to": ("To", "现为"),
    "entity": ("Who", "对象"),
    "direction": ("Direction", "方向"),
    "what": ("What", "内容"),
    "from_district_id": ("From district", "起点所在区"),
    "to_district_id": ("To district", "终点所在区"),
    # dataset columns (the template's headers and the problem table's columns)
    "population": ("Population", "常住人口"),
    "dense": ("Densely populated", "人口稠密"),
    "speed_kmh": ("Road speed", "道路平均车速"),
    "name_zh": ("Chinese name", "中文名称"),
    "lat": ("Latitude", "纬度"),
    "lon": ("Longitude", "经度"),
    "sampling_points": ("Sampling points", "便民采样点"),
    "residents": ("Residents", "在住老年人"),
    "staff": ("Staff", "工作人员"),
    "disabled": ("Disabled/dementia residents", "失能失智老人"),
    "partition": ("Own observation area", "可设院内隔离观察区"),
    "designated_hospital_id": ("Designated hospital", "定点医院"),
    "new_admissions": ("New admissions", "新入住老人"),
    "service_population": ("Service population", "服务人口"),
    "level": ("Level", "等级"),
    "designated": ("Designated", "定点医院"),
    "beds": ("Beds", "床位"),
    "icu_beds": ("ICU beds", "重症床位"),
    "convertible_icu_beds": ("Convertible ICU beds", "可转换重症床位"),
    "opening_cost": ("Opening cost", "启用成本"),
    "stock_days": ("Days of supplies", "物资储备天数"),
    "max_ambulances": ("Most ambulances", "最多可驻急救车"),
    "from_id": ("From", "起点"),
    "to_id": ("To", "终点"),
    "new_infections": ("New infections", "新增感染"),
    # plan columns beyond the contract
    "binding_districts": ("Districts in reach (used up)", "可达的区（已用尽）"),
    "binding_pools": ("Pools in reach (used up)", "可达的护理队伍（已用尽）"),
    "binding_sites": ("Full sites in reach", "可达的已满观察点"),
    "binding_stations": ("Stations in reach (full)", "可达的急救站（运力已满）"),
    "capacity": ("Capacity", "容量"),
    "cost_minutes": ("Cost (min, with district penalty)", "成本（分钟，含跨区惩罚）"),
    "covered_daily_transfers": ("Daily transfers covered", "已覆盖的每日转诊"),
    "covered_homes": ("Care homes covered", "覆盖养老机构"),
    "crosses_district": ("Crosses a district line", "跨区调派"),
    "fill_floor": ("Fill floor", "满足率下限对应数量"),
    "fleet_after": ("Fleet after", "调整后车队"),
    "fleet_before": ("Fleet before", "调整前车队"),
    "in_max_min": ("In the lowest-fill objective", "计入最低满足率"),
    "lowest_fill_rate": ("Lowest fill rate", "最低满足率"),
    "marginal_tier": ("Tier one more nurse helps", "增加护理人员可满足的类别"),
    "moved_in": ("Moved in", "调入"),
    "moves": ("Moves", "调动"),
    "need_district_id": ("Need's district", "需求所在区"),
    "pool_district_id": ("Pool's district", "护理队伍所在区"),
    "open_sites": ("Open sites", "开放观察点"),
    "usable_sites": ("Usable sites", "可用观察点"),
    "rule_min": ("Rule's minimum", "规则最低要求"),
    "pack_minutes": ("Pack-minutes", "配送量×路程"),
    "priority": ("Served first", "优先保障"),
    "priority_institutions": ("Institutions served first", "优先保障机构数"),
    "priority_unreachable": ("Served first but out of reach", "优先但不可达的机构"),
    "remaining": ("Remaining", "剩余"),
    "round_trip_minutes": ("Round trip", "往返时间"),
    "spare": ("Spare", "空闲"),
    "unmet_group": ("Group one more room helps", "增加房间可安置的人群"),
    "unstationed": ("Without a station", "未分配急救站"),
    "resource_id": ("Where", "位置"),
    "resource_kind": ("More of", "增加资源"),
    "units": ("How many more", "增加数量"),
    "entity_id": ("Who", "对象"),
    "en": ("In English", "英文说明"),
    "zh": ("In Chinese", "中文说明"),
    "sense": ("Sense", "方向"),
    "key": ("Key", "项目"),
    "label_zh": ("Rule (Chinese)", "规则（中文）"),
    "phase": ("Phase", "阶段目标"),
    "objective": ("Objective", "目标值"),
    "bound": ("Bound", "界"),
    "gap": ("Gap", "差距"),
    "seconds": ("Seconds", "用时"),
}
"""Header of every column, by name (dataset, plan and view tables share it: one name, one meaning)."""

TABLES: dict[str, Pair] = {
    "observation_sites": ("Observation sites", "集中健康观察点"),
    "observation_assignments": ("Who goes where", "人员安置去向"),
    "observation_unmet": ("Persons without a room", "未安置人员"),
    "observation_streets": ("Sites per street", "各街道观察点"),
    "observation_stays": ("Stays by day", "逐日安置"),
    "observation_occupancy": ("Occupancy by day", "逐日占用"),
    "observation_cohort_unmet": ("Without a room, by day", "逐日未安置"),
    "timeline": ("Day by day", "逐日计划"),
    "run_out": ("Run-out days", "短缺首日"),
    "ambulance_stations": ("120 stations", "120 急救站"),
    "ambulance_handshakes": ("Handshakes", "急救站对接"),
    "ambulance_districts": ("Fleet by district", "各区车队"),
    "nursing_needs": ("Nursing needs", "护理需求"),
    "nursing_assignments": ("Nurses sent", "护理人员调派"),
    "nursing_pools": ("Reserve pools", "护理应急支援队伍"),
    "drugs_targets": ("Drug targets", "药品储备目标"),
    "drugs_allocations": ("Shipments", "药品配送"),
    "drugs_depots": ("Depot stock", "储备库库存"),
    "drugs_fill": ("Fill by drug", "各类药品满足情况"),
    "compliance": ("Compliance", "合规检查"),
    "explanations": ("Why short", "缺口说明"),
    "marginal_values": ("What more would buy", "增加资源的效果"),
    "summary": ("Summary", "概要"),
    "border": ("Across the border", "跨区往来"),
}
"""Sheet and section names of the plan's tables (``<stage>_<table>``); a table without one is named from its
stage's label and its key."""

KNOBS: dict[str, Pair] = {
    "level": ("Response level", "疫情响应等级"),
    "horizon_days": ("Planning horizon (days)", "规划周期（天）"),
    "attack_rate": ("Attack rate", "感染率"),
    "severe_share": ("Severe share", "重症比例"),
    "staff_absence": ("Staff absence", "工作人员缺岗比例"),
    "rotation_share": ("Staff rotation into the closed loop", "闭环轮换工作人员比例"),
    "stock_factor": ("Depot stock factor", "储备库库存系数"),
    "fleet_factor": ("Ambulance fleet factor", "急救车队系数"),
    "closed_sites": ("Closed observation sites", "关闭的集中健康观察点"),
    "demand_multipliers": ("Demand by district", "分区需求系数"),
    "rule_overrides": ("Rules changed", "修改的规则"),
}
"""The scenario's knobs (``planner.rules.scenario.Scenario``)."""
SHARE_KNOBS: frozenset[str] = frozenset({"attack_rate", "severe_share", "staff_absence", "rotation_share"})
FACTOR_KNOBS: frozenset[str] = frozenset({"stock_factor", "fleet_factor"})


def table_label(name: str, language: str) -> str:
    """The name of a plan table (``observation_sites`` -> ``Observation sites``)."""
    if name in TABLES:
        return pick(TABLES[name], language)
    stage, _, key = name.partition("_")
    return f"{stage_label(stage, language)} {key}".strip() if stage in STAGES else name


def knob_label(knob: str, language: str) -> str:
    """The name of a scenario knob."""
    return pick(KNOBS[knob], language) if knob in KNOBS else knob


TABLE_COLUMNS: dict[str, Pair] = {
    "drugs_targets.need": ("Need", "需求"),
    "drugs_fill.need": ("Need", "需求"),
    "nursing_needs.required": ("Nurses required", "需护理人员"),
    "nursing_needs.assigned": ("Nurses assigned", "已配护理人员"),
    "nursing_needs.unmet": ("Nurses short", "护理人员缺口"),
    "nursing_pools.nurses": ("Nurses in the pool", "队伍人数"),
}
"""Where a column means something else in one table: ``"<table>.<column>"`` -> header."""

DRUG_COLUMN_PREFIXES: dict[str, Pair] = {
    "on_hand_": ("On hand", "现有"),
    "stock_": ("Stock", "库存"),
    "daily_use_": ("Daily use", "日均用量"),
}
"""Per-drug columns (``stock_tcm``): the header is the prefix's label and the drug's name."""

UNITS: dict[str, Pair] = {
    **dict.fromkeys(
        ("persons", "persons_disabled", "residents", "staff", "disabled", "new_admissions", "capacity"),
        ("persons", "人"),
    ),
    **dict.fromkeys(("population", "service_population", "new_infections"), ("persons", "人")),
    **dict.fromkeys(("rooms", "free_rooms"), ("rooms", "间")),
    **dict.fromkeys(("nurses", "used", "spare", "nurses_required"), ("nurses", "人")),
    **dict.fromkeys(
        ("quantity", "stock", "shipped", "target", "on_hand", "allocated", "shortfall", "remaining", "fill_floor"),
        ("packs", "份"),
    ),
    **dict.fromkeys(
        ("minutes", "trip_minutes", "round_trip_minutes", "cost_minutes", "workload_minutes", "capacity_minutes"),
        ("min", "分钟"),
    ),
    **dict.fromkeys(("daily_transfers", "covered_daily_transfers"), ("per day", "人次/天")),
    **dict.fromkeys(("fill_rate", "share_met", "lowest_fill_rate", "share"), ("%", "%")),
    **dict.fromkeys(
        ("ambulances", "before", "after", "max_ambulances", "fleet_before", "fleet_after", "moved_in", "moves"),
        ("ambulances", "辆"),
    ),
    **dict.fromkeys(("beds", "icu_beds", "convertible_icu_beds"), ("beds", "张")),
    "speed_kmh": ("km/h", "公里/小时"),
    "lat": ("°", "°"),
    "lon": ("°", "°"),
    "stock_days": ("days", "天"),
    "pack_minutes": ("pack-min", "份·分钟"),
    "seconds": ("s", "秒"),
    "stock_": ("packs", "份"),
    "on_hand_": ("packs", "份"),
    "daily_use_": ("packs a day", "份/天"),
    "drugs_targets.need": ("packs", "份"),
    "drugs_fill.need": ("packs", "份"),
    "nursing_needs.required": ("nurses", "人"),
    "nursing_needs.assigned": ("nurses", "人"),
    "nursing_needs.unmet": ("nurses", "人"),
}
"""The unit of a column (or ``"<table>.<column>"``, or a per-drug prefix), shown in a header: ``Stock (packs)``."""
PERCENT_COLUMNS: frozenset[str] = frozenset(column for column, unit in UNITS.items() if unit[0] == "%")
"""Columns holding shares (0-1), written as percentages."""

VALUE_COLUMNS: dict[str, str] = {
    "level": "level",
    "group": "group",
    "need": "need",
    "drug": "drug",
    "kind": "kind",
    "status": "status",
    "reason": "reason",
    "severity": "severity",
    "scope": "scope",
    "direction": "direction",
    "what": "what",
}
"""Columns whose values are codes translated by :func:`value` (column -> category of ``VALUES``)."""


def kpi_label(key: str, language: str) -> str:
    """The display name of KPI ``key`` (the key itself when unknown)."""
    return pick(KPI_LABELS[key], language) if key in KPI_LABELS else key


def rule_label(rule_id: str, language: str) -> str:
    """The display name of compliance rule ``rule_id``."""
    return pick(RULE_IDS[rule_id], language) if rule_id in RULE_IDS else rule_id


def stage_label(stage: str, language: str) -> str:
    """The display name of a pipeline stage."""
    return pick(STAGES[stage], language) if stage in STAGES else stage


def value(category: str, code: object, language: str) -> str:
    """A coded value (``level``/``severe``, ``drug``/``tcm``, ...) in ``language``; unknown codes as written."""
    pair = VALUES.get(category, {}).get(str(code))
    return pick(pair, language) if pair is not None else str(code)


def _drug_column(column: str) -> tuple[str, str] | None:
    """``(prefix, drug)`` of a per-drug column (``stock_tcm`` -> ``("stock_", "tcm")``), else None."""
    for prefix in DRUG_COLUMN_PREFIXES:
        if column.startswith(prefix) and column.removeprefix(prefix) in VALUES["drug"]:
            return prefix, column.removeprefix(prefix)
    return None


def column_label(column: str, language: str, table: str | None = None) -> str:
    """The header of a table column; ``<id>_name`` columns take their id column's header; per-drug columns name
    the drug (``stock_tcm`` -> ``Stock: TCM``); ``table`` picks a table's own meaning of a column."""
    if table is not None and f"{table}.{column}" in TABLE_COLUMNS:
        return pick(TABLE_COLUMNS[f"{table}.{column}"], language)
    if column in COLUMNS:
        return pick(COLUMNS[column], language)
    drug_column = _drug_column(column)
    if drug_column is not None:
        prefix, drug = drug_column
        separator = "：" if language == "zh" else ": "
        return pick(DRUG_COLUMN_PREFIXES[prefix], language) + separator + value("drug", drug, language)
    id_column = column.removesuffix("_name") + "_id"
    if column.endswith("_name") and id_column in COLUMNS:
        return pick(COLUMNS[id_column], language)
    return column


def unit(column: str, language: str, table: str | None = None) -> str:
    """The unit of a column (``min``, ``份``), or ``""`` when it has none or it varies."""
    drug_column = _drug_column(column)
    for key in (f"{table}.{column}" if table else "", column, drug_column[0] if drug_column else ""):
        if key and key in UNITS:
            return pick(UNITS[key], language)
    return ""


def header(column: str, language: str, table: str | None = None) -> str:
    """A header with its unit: ``Stock: TCM (packs)``, ``库存：中药（份）``; a label that already names its unit
    (``Trip (min)``) is left as it is."""
    label = column_label(column, language, table)
    shown = unit(column, language, table)
    if not shown or unit_named(label, shown, language):
        return label
    return f"{label}（{shown}）" if language == "zh" else f"{label} ({shown})"


def unit_named(label: str, shown: str, language: str) -> bool:
    """True when ``label`` already says its unit (``Trip (min)``, ``Persons``, ``房间数``, ``数量（份）``)."""
    if language != "zh":
        return shown.lower() in label.lower()
    return f"（{shown}" in label or f"({shown}" in label or label.endswith((shown, f"{shown}数"))


def named(code: object, names: Mapping[str, str], language: str = "en") -> str:
    """An id with its name beside it: ``丰台区 (110106)``; a scope ``id:drug`` as ``Name (HP0002): antigen kit``.

    An id without a name (or whose name is the id) stays as it is.
    """
    text = str(code)
    head, colon, tail = text.partition(":")
    if colon and head in names and tail in VALUES["drug"]:
        separator = "：" if language == "zh" else ": "
        return named(head, names, language) + separator + value("drug", tail, language)
    name = names.get(text)
    if name is None or name == text or not name:
        return text
    return f"{name} ({text})"


# The testing stage's words (planner.report.testing_labels), merged in one place.
from planner.report import testing_labels as _testing  # noqa: E402

KPI_LABELS.update(_testing.KPI_LABELS)
RULE_IDS.update(_testing.RULE_IDS)
STAGES["testing"] = _testing.STAGE
VALUES["reason"].update(_testing.REASONS)
TABLES.update(_testing.TABLES)
COLUMNS.update({k: v for k, v in _testing.COLUMNS.items() if k not in COLUMNS})
