"""The words of the brief in both languages (`zh`, `en`): section titles, column headers and the
values of the marts' coded columns.

Column headers come from the table registry: its Chinese label (`label_zh`) in Chinese, a short
English header in English. Coded values (verdict, decision, confidence class, ...) stay as the
marts spell them in English, the vocabulary SPEC documents, and read in Chinese as a provincial
office writes them (达标, 批准退出, ...).
"""

from __future__ import annotations

from pipeline.errors import InputError
from pipeline.schemas.registry import FAIL_LABELS, TABLES

LANGS = ("en", "zh")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


# --- section titles ----------------------------------------------------------------------

TITLES = {
    "summary": {"en": "Summary", "zh": "汇总"},
    "announcement": {"en": "Announcement", "zh": "公告"},
    "counties": {"en": "County verdicts", "zh": "各县评估结论"},
    "agencies": {
        "en": "Agencies' findings on their own households (agency_findings)",
        "zh": "各第三方评估机构对其调查户的评估结果",
    },
    "history": {"en": "History of the province (province_progress)", "zh": "全省历年进展"},
    "trajectory": {
        "en": "Persons in poverty at the end of each year, from {batch_id}'s registry",
        "zh": "各年末贫困人口（据 {batch_id} 建档立卡数据）",
    },
    "rectification": {"en": "Rectification list", "zh": "整改清单"},
    "monitoring": {"en": "Monitoring list", "zh": "防返贫监测名单"},
    "rejected": {"en": "Quarantined input rows", "zh": "隔离的输入行"},
}


# The workbook's sheets (an Excel sheet name: at most 31 characters, none of []:*?/\\).
SHEETS = {
    "summary": {"en": "summary", "zh": "汇总"},
    "counties": {"en": "counties", "zh": "各县评估"},
    "rectification": {"en": "rectification", "zh": "整改清单"},
    "monitoring": {"en": "monitoring", "zh": "监测名单"},
    "rejected": {"en": "rejected_rows", "zh": "隔离行"},
}


def title(key: str, lang: str, **values) -> str:
    return TITLES[key][lang].format(**values)


# --- column headers ----------------------------------------------------------------------

# Short English headers; a column not named here reads as its name with spaces.
HEADERS_EN = {
    "batch_id": "batch",
    "province_code": "province",
    "province_name": "province name",
    "assessment_year": "year",
    "poverty_line_yuan": "poverty line",
    "county_code": "county",
    "county_name": "name",
    "prefecture_code": "prefecture",
    "prefecture_name": "prefecture name",
    "rural_population": "rural population",
    "registered_persons": "registered persons",
    "remaining_poor": "remaining poor",
    "exited_persons": "exited persons",
    "non_registered_population": "non-registered population",
    "sampled_exited_households": "exited households sampled",
    "sampled_exited_persons": "exited persons sampled",
    "sampled_exited_persons_failing": "wrong-exit persons",
    "wrong_exit_rate": "wrong-exit",
    "wrong_exit_rate_max": "wrong-exit max",
    "passes_wrong_exit_rate": "wrong-exit passes",
    "sampled_non_registered_households": "non-registered households sampled",
    "sampled_non_registered_persons": "non-registered persons sampled",
    "sampled_non_registered_persons_failing": "missed persons",
    "missed_rate": "missed",
    "missed_rate_max": "missed max",
    "passes_missed_rate": "missed passes",
    "comprehensive_incidence": "incidence",
    "incidence_max": "incidence max",
    "passes_incidence": "incidence passes",
    "registry_incidence": "registry incidence",
    "surveyed_households": "households surveyed",
    "accepting_households": "households accepting",
    "acceptance_rate": "accept",
    "acceptance_rate_min": "accept min",
    "passes_acceptance_rate": "accept passes",
    "mean_county_acceptance": "mean county accept",
    "exited_sample_income": "income",
    "income_over_line": "over the line",
    "province_registry_income": "province registry income",
    "income_over_province": "over the province",
    "verdict": "verdict",
    "verdict_confidence": "confidence",
    "decision": "decision",
    "decision_reason": "decision reason",
    "agencies": "agencies",
    "agencies_recommending": "agencies recommending",
    "agency_code": "agency",
    "recommends_exit": "recommends exit",
    "objections_received": "objections",
    "objections_upheld": "objections upheld",
    "objections_pending": "objections pending",
    "objections_outside_notice": "objections outside notice",
    "public_notice_start": "notice from",
    "public_notice_end": "notice to",
    "villages_surveyed": "villages surveyed",
    "counties_assessed": "assessed",
    "counties_meeting": "meeting",
    "counties_approved": "approved",
    "poverty_counties": "poverty counties",
    "poverty_counties_exited": "exited",
    "households_to_monitor": "households to monitor",
    "wrong_exit_persons_found": "wrong exits",
    "missed_persons_found": "missed",
    "zero_error_years": "zero-error years",
    "survey_id": "survey",
    "village_code": "village",
    "household_id": "household",
    "sample_frame": "frame",
    "household_size": "size",
    "per_capita_net_income": "income per person",
    "income_threshold": "monitoring line",
    "below_income_threshold": "below the line",
    "failed_conditions": "failed conditions",
    "failed_guarantees": "failed guarantees",
    "risk_reason": "risk",
    "source_file": "file",
    "source_table": "table",
    "line_number": "line",
    "column": "column",
    "rule": "rule",
    "masked_value": "value (masked)",
    "year": "year",
    "persons_in_poverty": "persons in poverty",
    "households": "households",
}
# Columns a table of the brief shows that no registry table holds.
EXTRA_HEADERS = {
    "item": {"en": "item", "zh": "项目"},
    "value": {"en": "value", "zh": "数值"},
    "field": {"en": "field", "zh": "字段"},
    "batch": {"en": "batch", "zh": "批次"},
    "exited_of": {"en": "exited", "zh": "已摘帽/贫困县"},
    "announcement": {"en": "announcement", "zh": "公告"},
}


def header(table: str, column: str, lang: str) -> str:
    """A column's header: the registry's Chinese label, or a short English one."""
    if column in EXTRA_HEADERS:
        return EXTRA_HEADERS[column][lang]
    if lang == "zh":
        return TABLES[table].column(column).label_zh
    return HEADERS_EN.get(column, column.replace("_", " "))


# --- coded values ------------------------------------------------------------------------

VALUES_ZH = {
    "verdict": {"meets": "达标", "fails": "未达标", "insufficient_data": "数据不足"},
    "decision": {
        "approved": "批准退出",
        "withheld": "暂缓退出",
        "rejected": "不予退出",
        "undecided": "待定",
    },
    "decision_reason": {
        "verdict_fails": "评估未达标",
        "verdict_insufficient_data": "数据不足",
        "agency_not_recommending": "评估机构未建议退出",
        "no_public_notice": "未公示",
        "objection_upheld": "异议属实",
        "objection_pending": "异议待核查",
    },
    "confidence": {
        "confident_meets": "确信达标",
        "likely_meets": "可能达标",
        "likely_fails": "可能未达标",
        "confident_fails": "确信未达标",
        "undetermined": "无法判定",
    },
    "risk_reason": {"unstable_exit": "脱贫不稳定户", "near_poor": "边缘易致贫户"},
    "sample_frame": {"exited": "已脱贫户", "poor": "未脱贫户", "non_registered": "非建档立卡户"},
    "region": {"west": "西部", "central": "中部", "east": "东部"},
    "indicator": {
        "incidence": "综合贫困发生率",
        "wrong_exit": "错退率",
        "missed": "漏评率",
        "acceptance": "群众认可度",
    },
    # the failed conditions of the rectification and monitoring lists
    "condition": {name: label for name, (label, _) in FAIL_LABELS.items()},
}
VALUES_ZH["verdict_confidence"] = VALUES_ZH["confidence"]
# English names of the conditions, for prose (the marts' names are single words)
CONDITIONS_EN = {name: text for name, (_, text) in FAIL_LABELS.items()}
INDICATORS_EN = {
    "incidence": "comprehensive poverty incidence",
    "wrong_exit": "wrong-exit rate",
    "missed": "missed-evaluation rate",
    "acceptance": "public acceptance",
}
BOOLEANS = {"en": {True: "yes", False: "no"}, "zh": {True: "是", False: "否"}}


def value(kind: str, code, lang: str):
    """A coded value in the language: Chinese where one is known, the code itself otherwise
    (and always in English: the marts' own vocabulary)."""
    if code is None or lang == "en":
        return code
    return VALUES_ZH.get(kind, {}).get(code, code)


def conditions(codes: str | None, lang: str) -> str | None:
    """A comma-separated list of failed conditions (`income,food`) in the language."""
    if codes is None or lang == "en":
        return codes
    return "、".join(value("condition", code.strip(), lang) for code in codes.split(",") if code)


# Parts of the text report's confidence cell (`pipeline.report.confidence_cell`).
CONFIDENCE_WORDS = {
    "en": {
        "confident": "confident",
        "likely": "likely",
        "undetermined": "undetermined",
        "no interval": "no interval",
        "empty": "empty",
        "no registry": "no registry",
        "open": " (",
        "close": ")",
        "colon": ": ",
        "space": " ",
        "indicator": {
            "incidence": "incidence",
            "wrong_exit": "wrong-exit",
            "missed": "missed",
            "acceptance": "accept",
        },
    },
    "zh": {
        "confident": "确信",
        "likely": "可能",
        "undetermined": "无法判定",
        "no interval": "无区间",
        "empty": "样本为空",
        "no registry": "无建档立卡户",
        "open": "（",
        "close": "）",
        "colon": "：",
        "space": "",
        "indicator": VALUES_ZH["indicator"] | {"incidence": "发生率", "acceptance": "认可度"},
    },
}


# --- provinces ---------------------------------------------------------------------------

# GB/T 2260 province codes: (Chinese name as the manifest spells it, English name).
PROVINCES = {
    "11": ("北京市", "Beijing"),
    "12": ("天津市", "Tianjin"),
    "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"),
    "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"),
    "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"),
    "35": ("福建省", "Fujian"),
    "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"),
    "41": ("河南省", "Henan"),
    "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"),
    "45": ("广西壮族自治区", "Guangxi"),
    "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"),
    "51": ("四川省", "Sichuan"),
    "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"),
    "54": ("西藏自治区", "Tibet"),
    "61": ("陕西省", "Shaanxi"),
    "62": ("甘肃省", "Gansu"),
    "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"),
    "65": ("新疆维吾尔自治区", "Xinjiang"),
}


def province(code: str | None, name: str | None, lang: str) -> str:
    """The province as the text names it: the manifest's name in Chinese; in English the
    province's English name when the manifest names the province its code says, else the
    manifest's name as given (a test province keeps its own name)."""
    known = PROVINCES.get(code or "")
    if lang == "en" and known and name in (None, known[0]):
        return known[1]
    if name:
        return name
    return known[1 if lang == "en" else 0] if known else f"province {code}"
