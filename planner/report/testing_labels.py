"""Labels of the testing stage (KPIs, rules, tables, columns, reasons) in English and Chinese.

``planner.report.labels`` merges them into its dictionaries, so the testing stage's words live beside
the stage rather than in the shared tables.
"""

from __future__ import annotations

Pair = tuple[str, str]

STAGE: Pair = ("testing", "核酸检测")

KPI_LABELS: dict[str, Pair] = {
    "sampling_points_planned": ("Sampling points planned", "规划便民采样点"),
    "streets_short_of_points": ("Streets short of sampling points", "采样点不足的街道"),
    "full_round_days_needed": ("Days for a full round of testing", "全员核酸检测所需天数"),
    "full_round_met": ("Full round within the rule's days", "全员检测按时完成"),
    "full_round_binding": ("Full round limited by", "全员检测的制约资源"),
    "tubes_unrouted_per_day": ("NAT tubes a day beyond lab capacity", "每日超出实验室能力的核酸样本（管）"),
    "care_home_tests_on_site_per_day": ("Care-home NAT samples a day taken on site", "养老机构每日上门核酸采样数"),
    "care_home_tests_unsampled_per_day": (
        "Care-home NAT samples a day with no sampling team",
        "养老机构每日无上门采样队伍的核酸样本",
    ),
    "sampling_teams_short": ("More sampling teams needed", "需增加的上门采样队伍"),
}

RULE_IDS: dict[str, Pair] = {
    "testing_points_per_street": ("3 to 5 planned sampling points per street/town", "每个街道（乡镇）规划3至5个采样点"),
    "full_round_days": ("Everyone sampled and tested within the round's days", "在规定天数内完成全员核酸检测"),
    "care_home_sampling_visits": (
        "Sampling personnel take a care home's NAT samples on site",
        "核酸采样人员上门为养老机构采样",
    ),
}

REASONS: dict[str, Pair] = {
    "too_few_candidates": ("too few candidate points", "候选采样点不足"),
    "labs": ("labs", "检测实验室"),
    "sampling_points": ("sampling points", "采样点"),
    "sampling_teams_short": ("too few sampling teams", "上门采样队伍不足"),
}

TABLES: dict[str, Pair] = {
    "testing_points": ("Sampling points", "便民采样点"),
    "testing_streets": ("Sampling points per street", "各街道采样点"),
    "testing_labs": ("Lab load", "实验室负荷"),
    "testing_round": ("Full round", "全员检测"),
    "testing_districts": ("Sampling by district", "各区采样能力"),
    "testing_flows": ("Samples to labs", "样本送检"),
    "testing_teams": ("Sampling teams to care homes", "上门采样队伍派驻"),
    "testing_team_homes": ("Care homes sampled on site", "上门采样的养老机构"),
    "testing_team_districts": ("Sampling teams by district", "各区上门采样队伍"),
}

COLUMNS: dict[str, Pair] = {
    "point_id": ("Sampling point", "采样点"),
    "candidate_id": ("Candidate point", "候选采样点"),
    "desks": ("Desks", "采样台数"),
    "tests_per_day": ("Samples a day", "日采样能力"),
    "points": ("Points", "采样点数"),
    "required_min": ("At least", "不少于"),
    "required_max": ("At most", "不多于"),
    "lab_id": ("Lab", "检测实验室"),
    "nat_tests_per_day": ("NAT tests a day", "日核酸检测能力"),
    "load_per_day": ("Tubes a day", "日送检量（管）"),
    "capacity_per_day": ("Capacity a day", "日检测能力"),
    "days_needed": ("Days needed", "所需天数"),
    "days_required": ("Days allowed", "规定天数"),
    "binding": ("Limited by", "制约资源"),
    "binding_where": ("Where", "制约所在"),
    "extra_per_day": ("More needed a day", "每日需增加"),
    "sampling_days": ("Sampling days", "采样天数"),
    "lab_days": ("Lab days", "检测天数"),
    "need_per_day": ("Need a day", "每日需求"),
    "tubes_per_day": ("Tubes a day", "每日样本（管）"),
    "sampling_teams": ("Sampling teams", "采样队伍"),
    "short_per_day": ("Short a day", "每日缺口"),
    "teams": ("Teams (team-days a day)", "采样队伍（支·日）"),
    "home_district_id": ("Home's district", "机构所在区"),
    "backup": ("Backup team", "跨区支援"),
    "sampled": ("Sampled a day", "每日已采样"),
    "unsampled": ("Unsampled a day", "每日未采样"),
    "teams_available": ("Teams available", "现有队伍"),
    "teams_needed": ("Teams needed", "所需队伍"),
    "teams_short": ("Teams short", "队伍缺口"),
    "extra_teams": ("More teams to cover the unsampled", "需增加队伍"),
    "tests_needed": ("Samples needed a day", "每日需采样"),
    "tests_sampled": ("Samples taken a day", "每日已采样"),
    "lent": ("Samples a day in other districts", "支援外区（每日）"),
    "borrowed": ("Samples a day by other districts", "外区支援（每日）"),
}
