"""The registry of every table the pipeline writes, layer by layer: its name, grain (the columns
that key one row), description, and its columns with type, Chinese label, description and
whether they hold personal data.

One table, one base name: a raw file `<base>.csv` is the raw relation `raw_<base>` and the
staging table `stg_<base>` (`pipeline.schemas.names`); marts carry their own names. Raw and
staging tables are derived from the raw fields of `pipeline.schemas.fields` (SPEC section 1);
the tables the pipeline computes are written out below. From this registry come the Dagster
column schemas, the DDL of test fixtures, the columns a publish copies, the DuckDB comments of
every published table and column, and the blocking check that each staging and mart table is
what it says.

A column's description is per table: `county_code` is "county assessed" in county_assessment
and "county surveyed" in survey_household_income. Columns that mean the same wherever they
appear take their text from `SHARED`, so the same quantity reads the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.schemas.fields import (
    RAW_TABLES,
    SECURE_FLAGS,
    SURVEY_HOUSEHOLDS,
    Field,
    RawTable,
)
from pipeline.schemas.names import layer_name
from pipeline.schemas.values import code_types
from pipeline.validation_plan import checked_table as validation_checked_table


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # as DuckDB's information_schema spells it (`contracts.spelt` compares them)
    label_zh: str
    description: str
    personal: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    layer: str  # raw, staging, marts (intermediates start with `_`), or python (written by code)
    grain: tuple[str, ...]
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def published(self) -> bool:
        return self.layer == "marts" and not self.name.startswith("_")

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


# --- raw and staging, from the raw fields ------------------------------------------------

STAGING_TYPES = {
    "string": "varchar",
    "int": "integer",
    "decimal": "decimal(12,2)",
    "bool": "boolean",
    "date": "date",
}
LINE_NUMBER = Column(
    "line_number", "bigint", "源文件行号", "line of the row in its source file (header = line 1)"
)
# What identifies a row of each raw file: its unique key of SPEC section 1.
RAW_GRAIN = {
    "counties": ("county_code",),
    "registry_households": ("household_id",),
    "registry_members": ("household_id", "member_no"),
    "survey_households": ("survey_id",),
    "objections": ("objection_id",),
}


def _field_column(field: Field, dtype: str) -> Column:
    return Column(field.name, dtype, field.label_zh, field.description, field.pii)


def raw_table(raw: RawTable) -> Table:
    """The raw relation: each loaded column as the text read, beside its line number."""
    return Table(
        name=layer_name(raw.name, "raw"),
        layer="raw",
        grain=("line_number",),
        description=f"{raw.description} As read from {raw.name}: text, one row per line.",
        columns=(LINE_NUMBER, *(_field_column(f, "varchar") for f in raw.loaded_fields)),
    )


def staging_table(raw: RawTable) -> Table:
    """The accepted rows of a raw file, typed, personal data left behind."""
    return Table(
        name=layer_name(raw.name, "staging"),
        layer="staging",
        grain=RAW_GRAIN[raw.name],
        description=f"{raw.description} The rows that passed every rule, typed; no personal data.",
        columns=(
            LINE_NUMBER,
            *(_field_column(f, STAGING_TYPES[f.dtype]) for f in raw.loaded_fields if not f.pii),
        ),
    )


def checked_table(raw: RawTable) -> Table:
    """The accepted rows of a raw table with their values as validation parsed them: what
    staging reads (`pipeline.validation`). Written by the quarantine's asset, not an asset of
    its own."""
    staged = staging_table(raw)
    # A coded column is stored as the ENUM of its codes (one byte a row); staging reads it as text.
    stored_as = code_types(raw)
    return Table(
        name=validation_checked_table(raw.name),
        layer="validation",
        grain=("line_number",),
        description=f"The accepted rows of {raw.name}, typed by validation.",
        columns=tuple(
            replace(column, dtype=stored_as.get(column.name, column.dtype))
            for column in staged.columns
        ),
    )


# --- columns shared by several computed tables -------------------------------------------


def _c(name: str, dtype: str, label_zh: str, description: str) -> Column:
    return Column(name, dtype, label_zh, description)


SHARED = {
    c.name: c
    for c in (
        _c("batch_id", "varchar", "批次", "assessment round of one province, e.g. guizhou-2020"),
        _c("province_code", "varchar", "省代码", "2-digit GB/T 2260 province code"),
        _c("province_name", "varchar", "省名称", "province name"),
        _c("assessment_year", "integer", "评估年度", "year of the assessment round"),
        _c(
            "poverty_line_yuan",
            "decimal(12,2)",
            "贫困线",
            "national poverty line, yuan per person per year",
        ),
        _c("county_name", "varchar", "县名称", "county name"),
        _c("prefecture_code", "varchar", "市州代码", "6-digit code of the prefecture"),
        _c("prefecture_name", "varchar", "市州名称", "prefecture name"),
        _c("region", "varchar", "区域", "west / central / east: sets the incidence threshold"),
        _c("poverty_county", "boolean", "是否贫困县", "a national poverty county"),
        _c("rural_population", "integer", "乡村户籍人口", "rural registered population"),
        _c("registered_persons", "bigint", "建档立卡人口", "registered persons (member rows)"),
        _c(
            "remaining_poor",
            "bigint",
            "剩余贫困人口",
            "registered persons in poor or returned households",
        ),
        _c("exited_persons", "bigint", "已脱贫人口", "registered persons in exited households"),
        _c(
            "sampled_exited_households",
            "bigint",
            "抽查脱贫户数",
            "surveyed households of the exited frame",
        ),
        _c(
            "sampled_exited_persons",
            "bigint",
            "抽查脱贫人口",
            "persons (survey household_size) of the exited frame",
        ),
        _c(
            "sampled_exited_persons_failing",
            "bigint",
            "错退人口",
            "persons of exited-frame households not meeting the standard",
        ),
        _c(
            "sampled_non_registered_households",
            "bigint",
            "抽查非建档立卡户数",
            "surveyed households of the non_registered frame",
        ),
        _c(
            "sampled_non_registered_persons",
            "bigint",
            "抽查非建档立卡人口",
            "persons of the non_registered frame",
        ),
        _c(
            "sampled_non_registered_persons_failing",
            "bigint",
            "漏评人口",
            "persons of non-registered households not meeting the standard",
        ),
        _c("surveyed_households", "bigint", "调查户数", "surveyed households, every frame"),
        _c("accepting_households", "bigint", "认可户数", "households answering accept"),
        _c(
            "exited_sample_income",
            "double",
            "抽查脱贫户人均纯收入",
            "person-weighted per-capita net income of the exited frame, yuan",
        ),
        _c("sample_frame", "varchar", "样本类型", "exited / poor / non_registered"),
        _c("survey_id", "varchar", "问卷编号", "questionnaire id"),
        _c("agency_code", "varchar", "评估机构", "evaluation agency"),
        _c("village_code", "varchar", "村代码", "12-digit village code of the surveyed household"),
        _c(
            "household_id",
            "varchar",
            "户编号",
            "registry household of the surveyed household (null: non_registered)",
        ),
        _c("household_size", "integer", "家庭人口数", "household size counted by the assessor"),
        _c(
            "per_capita_net_income",
            "double",
            "人均纯收入",
            "survey net income / household_size, yuan per person per year (SPEC 3.1)",
        ),
    )
}


def shared(name: str, description: str | None = None) -> Column:
    """A shared column, its description made specific to one table where it needs to be."""
    column = SHARED[name]
    return column if description is None else replace(column, description=description)


# The six guarantees, as the survey records them (SPEC section 1).
SECURE_COLUMNS = tuple(
    _field_column(SURVEY_HOUSEHOLDS.field(name), "boolean") for name in SECURE_FLAGS
)
FAIL_LABELS = {
    "income": ("收入未达标", "per-capita net income below the poverty line"),
    "food": ("愁吃", "worries about food"),
    "clothing": ("愁穿", "worries about clothing"),
    "education": ("义务教育无保障", "compulsory education not guaranteed"),
    "medical": ("基本医疗无保障", "basic medical care not guaranteed"),
    "housing": ("住房安全无保障", "housing not safe"),
    "water": ("饮水安全无保障", "drinking water not safe"),
}


# --- tables written by Python ------------------------------------------------------------

# What names a batch and its line, first in the manifest and in the batch's summary.
BATCH_IDENTITY = tuple(
    shared(name)
    for name in (
        "batch_id",
        "province_code",
        "province_name",
        "assessment_year",
        "poverty_line_yuan",
    )
)

BATCH_MANIFEST = Table(
    name="batch_manifest",
    layer="raw",
    grain=("batch_id",),
    description="The batch's batch.toml: province, assessment year, poverty line, thresholds.",
    columns=(
        *BATCH_IDENTITY,
        _c("incidence_max_west", "double", "西部贫困发生率上限", "incidence threshold, west"),
        _c("incidence_max_central", "double", "中部贫困发生率上限", "incidence threshold, central"),
        _c("incidence_max_east", "double", "东部贫困发生率上限", "incidence threshold, east"),
        _c("wrong_exit_rate_max", "double", "错退率上限", "wrong-exit rate threshold"),
        _c("missed_rate_max", "double", "漏评率上限", "missed-evaluation rate threshold"),
        _c("acceptance_rate_min", "double", "认可度下限", "acceptance threshold (to exceed)"),
        _c(
            "quarantine_share_max",
            "double",
            "隔离行比例上限",
            "share of a file's rows that may be quarantined",
        ),
        _c(
            "monitoring_income_ratio",
            "double",
            "监测线倍数",
            "monitoring line as a multiple of the poverty line (SPEC 3.6)",
        ),
        _c("public_notice_start", "date", "公示开始", "first day of the public notice"),
        _c("public_notice_end", "date", "公示结束", "last day of the public notice"),
    ),
)

REJECTED_ROWS = Table(
    name="rejected_rows",
    layer="marts",
    grain=("batch_id", "source_table", "line_number", "column", "rule"),
    description=(
        "Quarantined input: one row per (source line, column, rule) failing the batch's "
        "pandera schemas, with the file, line number and the value (personal data masked)."
    ),
    columns=(
        shared("batch_id"),
        _c("source_file", "varchar", "源文件", "raw file the row came from"),
        _c("source_table", "varchar", "源表", "raw table the row came from"),
        LINE_NUMBER,
        _c("column", "varchar", "列", "column that broke the rule (empty: the row as a whole)"),
        _c("rule", "varchar", "规则", "the schema rule the value broke"),
        _c(
            "masked_value",
            "varchar",
            "值(已脱敏)",
            "the offending value as read; resident id numbers and names masked",
        ),
    ),
)


# --- marts and their intermediates -------------------------------------------------------

REGISTRY_HOUSEHOLD_PERSONS = Table(
    name="_registry_household_persons",
    layer="marts",
    grain=("household_id",),
    description="Each registered household with its persons counted as its member rows.",
    columns=(
        _c("household_id", "varchar", "户编号", "registry household"),
        _c("county_code", "varchar", "县代码", "county of the household"),
        _c("village_code", "varchar", "村代码", "village of the household"),
        _c("poverty_status", "varchar", "贫困户状态", "poor / exited / returned"),
        _c("year_registered", "integer", "识别年度", "year the household was registered"),
        _c("year_exited", "integer", "脱贫年度", "year it exited poverty (null: not exited)"),
        _c("household_size", "integer", "家庭人口数", "household size as recorded"),
        _c(
            "per_capita_net_income",
            "decimal(12,2)",
            "人均纯收入",
            "recorded per-capita net income, yuan per year",
        ),
        _c("member_count", "bigint", "成员数", "registered persons: the household's member rows"),
    ),
)

COUNTY_REGISTRY_PERSONS = Table(
    name="_county_registry_persons",
    layer="marts",
    grain=("county_code",),
    description="Registered persons of each county with registry households: all, poor, exited.",
    columns=(
        _c("county_code", "varchar", "县代码", "county of the registered households"),
        shared("registered_persons"),
        shared("remaining_poor"),
        shared("exited_persons"),
    ),
)

COUNTY_SURVEY_FRAMES = Table(
    name="_county_survey_frames",
    layer="marts",
    grain=("county_code",),
    description="Survey totals of each surveyed county, by sample frame.",
    columns=(
        _c("county_code", "varchar", "县代码", "county surveyed"),
        shared("sampled_exited_households"),
        shared("sampled_exited_persons"),
        shared("sampled_exited_persons_failing"),
        _c(
            "sampled_exited_net_income",
            "decimal(18,2)",
            "抽查脱贫户纯收入合计",
            "summed net income of the exited frame, yuan",
        ),
        shared("sampled_non_registered_households"),
        shared("sampled_non_registered_persons"),
        shared("sampled_non_registered_persons_failing"),
        shared("surveyed_households"),
        shared("accepting_households"),
    ),
)

AGENCY_SURVEY_FRAMES = Table(
    name="_agency_survey_frames",
    layer="marts",
    grain=("county_code", "agency_code"),
    description=(
        "Survey totals of each county and agency that surveyed it, by sample frame; summed over "
        "agencies they are the county's."
    ),
    columns=(
        _c("county_code", "varchar", "县代码", "county surveyed"),
        shared("agency_code"),
        *COUNTY_SURVEY_FRAMES.columns[1:],
    ),
)

COUNTY_ASSESSMENT = Table(
    name="county_assessment",
    layer="marts",
    grain=("batch_id", "county_code"),
    description=(
        "One row per county assessed in the batch: the SPEC 3.2 rates, each indicator's "
        "threshold and pass flag, the verdict, and the decision on its exit (SPEC 3.6)."
    ),
    columns=(
        shared("batch_id"),
        _c("county_code", "varchar", "县代码", "county assessed (6-digit GB/T 2260 code)"),
        shared("county_name"),
        shared("prefecture_code"),
        shared("prefecture_name"),
        shared("region"),
        shared("poverty_county"),
        shared("rural_population"),
        shared("registered_persons", "registered persons of the county (member rows)"),
        shared("remaining_poor"),
        shared("exited_persons"),
        _c(
            "non_registered_population",
            "bigint",
            "非建档立卡人口",
            "rural population less all registered persons (>= 0)",
        ),
        shared("sampled_exited_households"),
        shared("sampled_exited_persons"),
        shared("sampled_exited_persons_failing"),
        _c(
            "wrong_exit_rate",
            "double",
            "错退率",
            "错退率: failing persons / persons, exited frame (null: empty frame)",
        ),
        _c("wrong_exit_rate_max", "double", "错退率上限", "wrong-exit threshold applied"),
        _c("passes_wrong_exit_rate", "boolean", "错退率达标", "wrong-exit rate below threshold"),
        shared("sampled_non_registered_households"),
        shared("sampled_non_registered_persons"),
        shared("sampled_non_registered_persons_failing"),
        _c(
            "missed_rate",
            "double",
            "漏评率",
            "漏评率: failing persons / persons, non_registered frame (null: empty frame)",
        ),
        _c("missed_rate_max", "double", "漏评率上限", "missed-evaluation threshold applied"),
        _c("passes_missed_rate", "boolean", "漏评率达标", "missed rate below its threshold"),
        _c(
            "comprehensive_incidence",
            "double",
            "综合贫困发生率",
            "综合贫困发生率 (SPEC 3.2), fraction of the rural population",
        ),
        _c(
            "incidence_max",
            "double",
            "贫困发生率上限",
            "incidence threshold for the county's region",
        ),
        _c("passes_incidence", "boolean", "贫困发生率达标", "incidence below its threshold"),
        _c(
            "registry_incidence",
            "double",
            "建档立卡贫困发生率",
            "remaining_poor / rural_population",
        ),
        shared("surveyed_households", "surveyed households of the county, every frame"),
        shared("accepting_households"),
        _c(
            "acceptance_rate",
            "double",
            "群众认可度",
            "群众认可度: accepting / surveyed households of the county (unsure does not accept)",
        ),
        _c("acceptance_rate_min", "double", "认可度下限", "acceptance threshold applied"),
        _c("passes_acceptance_rate", "boolean", "认可度达标", "acceptance above its threshold"),
        shared("exited_sample_income"),
        _c(
            "verdict",
            "varchar",
            "评估结论",
            "meets (all four pass), fails (any fails), "
            "insufficient_data (none fails, a rate could not be computed)",
        ),
        _c("agencies", "bigint", "评估机构数", "evaluation agencies that surveyed the county"),
        _c(
            "agencies_recommending",
            "bigint",
            "建议退出机构数",
            "agencies recommending exit on their own surveyed households (agency_findings); "
            "a null recommendation does not count",
        ),
        _c(
            "objections_received",
            "bigint",
            "受理异议数",
            "objections received about the county, whatever their date",
        ),
        _c("objections_upheld", "bigint", "异议属实数", "objections found upheld"),
        _c("objections_pending", "bigint", "异议待核查数", "objections not yet checked"),
        _c(
            "objections_outside_notice",
            "bigint",
            "公示期外异议数",
            "objections received outside the public notice (all when none is given): a finding; "
            "they still count for the decision",
        ),
        replace(
            BATCH_MANIFEST.column("public_notice_start"),
            description="first day of the batch's public notice (null: none given)",
        ),
        replace(
            BATCH_MANIFEST.column("public_notice_end"),
            description="last day of the batch's public notice (null: none given)",
        ),
        _c(
            "decision",
            "varchar",
            "退出决定",
            "approved (meets, every agency recommends, public notice given, no objection upheld "
            "or pending), withheld (meets, one of those does not hold), rejected (fails), "
            "undecided (insufficient_data)",
        ),
        _c(
            "decision_reason",
            "varchar",
            "决定原因",
            "the first that applies of verdict_fails, verdict_insufficient_data, "
            "agency_not_recommending, no_public_notice, objection_upheld, objection_pending "
            "(null: approved)",
        ),
        _c(
            "villages_surveyed",
            "bigint",
            "调查村数",
            "villages with a surveyed household, any frame: the design's primary sampling "
            "units (SPEC 3.5; 0: no survey)",
        ),
        _c(
            "verdict_confidence",
            "varchar",
            "结论把握度",
            "the worst class of the four indicators in indicator_confidence, worst first "
            "confident_fails, likely_fails, undetermined, likely_meets, confident_meets; "
            "undetermined at best without registered persons (SPEC 3.5)",
        ),
    ),
)

AGENCY_FINDINGS = Table(
    name="agency_findings",
    layer="marts",
    grain=("batch_id", "agency_code", "county_code"),
    description=(
        "One row per evaluation agency and county of the exit batch it surveyed: the SPEC 3.2 "
        "rates on the agency's own households, each indicator's pass flag, and whether the "
        "agency recommends the county's exit (SPEC 3.6)."
    ),
    columns=(
        shared("batch_id"),
        shared("agency_code"),
        _c("county_code", "varchar", "县代码", "county assessed, surveyed by the agency"),
        shared(
            "surveyed_households", "the agency's surveyed households of the county, every frame"
        ),
        shared("sampled_exited_households"),
        shared("sampled_exited_persons"),
        shared("sampled_exited_persons_failing"),
        _c(
            "wrong_exit_rate",
            "double",
            "错退率",
            "错退率 on the agency's exited frame (null: it surveyed none)",
        ),
        _c("passes_wrong_exit_rate", "boolean", "错退率达标", "wrong-exit rate below threshold"),
        shared("sampled_non_registered_households"),
        shared("sampled_non_registered_persons"),
        shared("sampled_non_registered_persons_failing"),
        _c(
            "missed_rate",
            "double",
            "漏评率",
            "漏评率 on the agency's non_registered frame (null: it surveyed none)",
        ),
        _c("passes_missed_rate", "boolean", "漏评率达标", "missed rate below its threshold"),
        _c(
            "comprehensive_incidence",
            "double",
            "综合贫困发生率",
            "综合贫困发生率 from the agency's rates and the county's registry figures (SPEC 3.2)",
        ),
        _c(
            "passes_incidence",
            "boolean",
            "贫困发生率达标",
            "incidence below the threshold of the county's region",
        ),
        shared("accepting_households"),
        _c(
            "acceptance_rate",
            "double",
            "群众认可度",
            "群众认可度: accepting / surveyed households of the agency in the county",
        ),
        _c("passes_acceptance_rate", "boolean", "认可度达标", "acceptance above its threshold"),
        _c(
            "recommends_exit",
            "boolean",
            "建议退出",
            "every indicator passes on the agency's households (null: a rate it cannot compute; "
            "counts as not recommending)",
        ),
    ),
)

INDICATOR_DESIGN = Table(
    name="_indicator_design",
    layer="marts",
    grain=("county_code", "indicator"),
    description=(
        "The SPEC 3.5 design sums of each surveyed county's three survey rates: villages, "
        "households, totals, the ratio, its Taylor-linearised variance, Kish's effective "
        "size and the degrees of freedom."
    ),
    columns=(
        _c("county_code", "varchar", "县代码", "county surveyed (a stratum of the design)"),
        _c("indicator", "varchar", "指标", "wrong_exit, missed or acceptance"),
        _c(
            "villages",
            "bigint",
            "调查村数",
            "k: the county's surveyed villages, any frame (the primary sampling units)",
        ),
        _c(
            "frame_villages",
            "bigint",
            "样本框村数",
            "k_f: villages holding a household of the rate's frame",
        ),
        _c("households", "bigint", "样本框户数", "n: households of the rate's frame"),
        _c(
            "y_total",
            "bigint",
            "Y合计",
            "sum of y_h: persons of failing households (failure rates), accepting households "
            "(acceptance)",
        ),
        _c(
            "m_total",
            "bigint",
            "M合计",
            "sum of m_h: persons (failure rates), households (acceptance)",
        ),
        _c("estimate", "double", "估计值", "R = Y / M, the rate (null: empty frame)"),
        _c(
            "variance",
            "double",
            "方差",
            "V = k / (k - 1) * sum z_i^2, z_i = (Y_i - R * M_i) / M (null: one village)",
        ),
        _c(
            "n_kish",
            "double",
            "Kish有效样本量",
            "(sum m_h)^2 / sum m_h^2, in households (null: empty frame)",
        ),
        _c("df", "bigint", "自由度", "k_f - 1 (null: empty frame)"),
    ),
)

INDICATOR_CONFIDENCE = Table(
    name="indicator_confidence",
    layer="marts",
    grain=("batch_id", "county_code", "indicator"),
    description=(
        "One row per county assessed in the batch and indicator: the estimate, its "
        "design-based 95% interval and one-sided 95% bounds, the confidence class against "
        "the threshold, and the households a likely pass would need to be certain (SPEC 3.5)."
    ),
    columns=(
        shared("batch_id"),
        _c("county_code", "varchar", "县代码", "county assessed"),
        _c("indicator", "varchar", "指标", "incidence, wrong_exit, missed or acceptance"),
        _c(
            "estimate",
            "double",
            "估计值",
            "the indicator as county_assessment has it (null: empty frame)",
        ),
        _c(
            "threshold",
            "double",
            "阈值",
            "SPEC 3.4 threshold: to stay below, or for acceptance to exceed",
        ),
        _c(
            "se",
            "double",
            "标准误",
            "design-based standard error (null: no interval, and for incidence)",
        ),
        _c(
            "df",
            "bigint",
            "自由度",
            "villages holding the frame - 1 (null: empty frame, and for incidence)",
        ),
        _c(
            "households",
            "bigint",
            "样本框户数",
            "households of the rate's frame (null for incidence)",
        ),
        _c(
            "n_kish",
            "double",
            "Kish有效样本量",
            "(sum m_h)^2 / sum m_h^2 over the frame's households (null for incidence)",
        ),
        _c(
            "n_eff",
            "double",
            "有效样本量",
            "Korn-Graubard effective size at 95% (null: no interval, and for incidence)",
        ),
        _c("ci_low", "double", "95%区间下限", "lower end of the 95% interval (null: none)"),
        _c("ci_high", "double", "95%区间上限", "upper end of the 95% interval (null: none)"),
        _c(
            "lower95",
            "double",
            "95%单侧下限",
            "one-sided 95% lower bound: the lower end of the 90% interval (null: none)",
        ),
        _c(
            "upper95",
            "double",
            "95%单侧上限",
            "one-sided 95% upper bound: the upper end of the 90% interval (null: none)",
        ),
        _c(
            "confidence",
            "varchar",
            "把握度",
            "confident_meets, likely_meets, likely_fails, confident_fails or undetermined "
            "(no estimate)",
        ),
        _c(
            "households_to_certify",
            "bigint",
            "确证所需户数",
            "for a survey rate likely_meets with an interval: households of its frame needed, "
            "at the same estimate and households per effective size, for the one-sided bound "
            "to clear the threshold (null otherwise)",
        ),
    ),
)

SURVEY_HOUSEHOLD_INCOME = Table(
    name="survey_household_income",
    layer="marts",
    grain=("batch_id", "survey_id"),
    description=(
        "One row per accepted survey questionnaire: net income, per-capita net income and "
        "whether the household meets the income line, the guarantees and the standard."
    ),
    columns=(
        shared("batch_id"),
        shared("survey_id"),
        shared("agency_code"),
        _c("county_code", "varchar", "县代码", "county surveyed"),
        shared("village_code"),
        shared("sample_frame"),
        shared("household_id"),
        shared("household_size"),
        _c(
            "net_income",
            "decimal(18,2)",
            "家庭纯收入",
            "wage + operating + property + transfer - production cost, yuan per year",
        ),
        shared("per_capita_net_income"),
        *SECURE_COLUMNS,
        _c(
            "meets_income_line",
            "boolean",
            "收入达标",
            "per-capita net income >= the poverty line",
        ),
        _c(
            "meets_guarantees",
            "boolean",
            "两不愁三保障及饮水安全达标",
            "all of the two no-worries, three guarantees and safe water",
        ),
        _c("meets_standard", "boolean", "达到脱贫标准", "meets income line and guarantees"),
        _c("acceptance", "varchar", "认可度", "accept / not_accept / unsure"),
    ),
)

GUARANTEE_COMPLIANCE = Table(
    name="guarantee_compliance",
    layer="marts",
    grain=("batch_id", "county_code", "indicator"),
    description="Per county and indicator: surveyed households judged and those meeting it.",
    columns=(
        shared("batch_id"),
        _c("county_code", "varchar", "县代码", "county assessed"),
        _c(
            "indicator",
            "varchar",
            "指标",
            "food, clothing, education, medical, housing, water or income",
        ),
        _c("households", "bigint", "户数", "households judged (exited and non_registered frames)"),
        _c("households_secure", "bigint", "达标户数", "households meeting the indicator"),
        _c("rate", "double", "达标率", "households_secure / households"),
    ),
)

# A batch's figures across the province (SPEC 3.7): its registry snapshot over every county and
# what its surveys found; in batch_summary, and in province_progress round by round.
PROVINCE_SNAPSHOT = (
    _c(
        "rural_population",
        "bigint",
        "乡村户籍人口",
        "rural registered population of the province (every county)",
    ),
    _c(
        "registered_persons",
        "bigint",
        "建档立卡人口",
        "registered persons of the province in the batch's snapshot (member rows)",
    ),
    _c(
        "remaining_poor",
        "bigint",
        "剩余贫困人口",
        "registered persons in poor or returned households, whole province",
    ),
    _c(
        "registry_incidence",
        "double",
        "建档立卡贫困发生率",
        "remaining_poor / rural_population, whole province",
    ),
    _c(
        "wrong_exit_persons_found",
        "bigint",
        "发现错退人口",
        "persons of surveyed exited households not meeting the standard, this round",
    ),
    _c(
        "missed_persons_found",
        "bigint",
        "发现漏评人口",
        "persons of surveyed non-registered households not meeting the standard, this round",
    ),
)

BATCH_SUMMARY = Table(
    name="batch_summary",
    layer="marts",
    grain=("batch_id",),
    description="One row per batch: the press-release figures.",
    columns=(
        *BATCH_IDENTITY,
        _c("counties_assessed", "bigint", "评估县数", "counties in the exit batch"),
        _c("counties_meeting", "bigint", "达标县数", "counties whose verdict is meets"),
        shared("surveyed_households", "surveyed households of the batch, every frame"),
        shared("accepting_households"),
        _c(
            "acceptance_rate",
            "double",
            "群众认可度",
            "群众认可度 pooled over the batch's surveyed households",
        ),
        _c(
            "mean_county_acceptance",
            "double",
            "平均群众认可度",
            "mean of the county acceptance rates",
        ),
        shared("exited_sample_income", "exited_sample_income over the batch's exited frame, yuan"),
        _c(
            "income_over_line",
            "double",
            "高于贫困线",
            "exited_sample_income - poverty line, yuan",
        ),
        _c(
            "province_registry_income",
            "double",
            "全省建档立卡户人均纯收入",
            "member-weighted average recorded income of all registered households, yuan",
        ),
        _c(
            "income_over_province",
            "double",
            "高于全省平均",
            "exited_sample_income - province_registry_income, yuan",
        ),
        _c("poverty_counties", "bigint", "贫困县数", "national poverty counties of the province"),
        _c(
            "poverty_counties_exited",
            "bigint",
            "已摘帽贫困县数",
            "poverty counties exited earlier plus this batch's approved (SPEC 3.6)",
        ),
        _c("agencies", "bigint", "评估机构数", "evaluation agencies of the batch's survey"),
        _c(
            "agencies_recommending",
            "bigint",
            "建议退出机构数",
            "agencies recommending the exit of every county they surveyed",
        ),
        _c("households_to_monitor", "bigint", "监测户数", "households on the monitoring list"),
        _c("counties_approved", "bigint", "批准退出县数", "counties whose decision is approved"),
        BATCH_MANIFEST.column("public_notice_start"),
        BATCH_MANIFEST.column("public_notice_end"),
        *PROVINCE_SNAPSHOT,
    ),
)

RECTIFICATION_LIST = Table(
    name="rectification_list",
    layer="marts",
    grain=("batch_id", "survey_id"),
    description=(
        "Surveyed households of the exited and non_registered frames not meeting the standard, "
        "with the conditions they fail. No name, no id number."
    ),
    columns=(
        shared("batch_id"),
        shared("survey_id"),
        _c("county_code", "varchar", "县代码", "county surveyed"),
        shared("village_code"),
        shared("household_id"),
        shared("sample_frame"),
        shared("household_size"),
        shared("per_capita_net_income"),
        *(_c(f"fails_{name}", "boolean", *FAIL_LABELS[name]) for name in FAIL_LABELS),
        _c(
            "failed_conditions",
            "varchar",
            "未达标项",
            "the conditions the household fails, comma-separated",
        ),
    ),
)

MONITORING_LIST = Table(
    name="monitoring_list",
    layer="marts",
    grain=("batch_id", "survey_id"),
    description=(
        "Surveyed households to monitor (防返贫监测, SPEC 3.6): exited households below the "
        "monitoring line or failing a guarantee, non-registered households below the line. "
        "No name, no id number."
    ),
    columns=(
        shared("batch_id"),
        shared("survey_id"),
        shared("agency_code"),
        _c("county_code", "varchar", "县代码", "county surveyed"),
        shared("village_code"),
        shared("household_id"),
        shared("sample_frame"),
        shared("household_size"),
        shared("per_capita_net_income"),
        _c(
            "income_threshold",
            "decimal(12,2)",
            "监测收入线",
            "monitoring line: monitoring_income_ratio x the poverty line, yuan per person per year",
        ),
        _c(
            "below_income_threshold",
            "boolean",
            "低于监测线",
            "per-capita net income below the monitoring line",
        ),
        *(
            _c(f"fails_{name}", "boolean", *FAIL_LABELS[name])
            for name in FAIL_LABELS
            if name != "income"
        ),
        _c(
            "failed_guarantees",
            "varchar",
            "未保障项",
            "the guarantees the household fails, comma-separated (empty: none)",
        ),
        _c(
            "risk_reason",
            "varchar",
            "监测类型",
            "unstable_exit (脱贫不稳定户: exited, below the line or a guarantee failing) or "
            "near_poor (边缘易致贫户: non-registered, below the line)",
        ),
    ),
)

REGISTRY_COHORTS = Table(
    name="registry_cohorts",
    layer="marts",
    grain=("batch_id", "poverty_status", "year_registered", "year_exited"),
    description=(
        "The batch's registry snapshot by status, year registered and year exited: households "
        "and persons of each cohort, what the province's poverty trajectory reads."
    ),
    columns=(
        shared("batch_id"),
        _c("poverty_status", "varchar", "贫困户状态", "poor / exited / returned"),
        _c("year_registered", "integer", "识别年度", "year the households were registered"),
        _c("year_exited", "integer", "脱贫年度", "year they exited poverty (null: not exited)"),
        _c("households", "bigint", "户数", "registered households of the cohort"),
        _c("persons", "bigint", "人数", "registered persons (member rows) of the cohort"),
    ),
)

# --- across batches of one province (sql/province/, built in the marts file) --------------

PROVINCE_PROGRESS = Table(
    name="province_progress",
    layer="province",
    grain=("batch_id",),
    description=(
        "One row per published batch: the province's progress at that round (SPEC 3.7), with "
        "the run of consecutive years whose surveys found no wrong exit and no missed person."
    ),
    columns=(
        shared("batch_id"),
        shared("province_code"),
        shared("province_name"),
        shared("assessment_year"),
        _c("counties_assessed", "bigint", "评估县数", "counties in the batch's exit batch"),
        _c("counties_meeting", "bigint", "达标县数", "counties whose verdict is meets"),
        _c("counties_approved", "bigint", "批准退出县数", "counties whose decision is approved"),
        _c("poverty_counties", "bigint", "贫困县数", "national poverty counties of the province"),
        _c(
            "poverty_counties_exited",
            "bigint",
            "累计摘帽贫困县数",
            "poverty counties exited by this round: earlier rounds plus this one's approved",
        ),
        *PROVINCE_SNAPSHOT,
        _c(
            "zero_error_years",
            "integer",
            "连续零错退零漏评年数",
            "consecutive assessment years up to this one with a published batch that found no "
            "wrong-exit and no missed person (a year without a batch ends the run)",
        ),
    ),
)

POVERTY_TRAJECTORY = Table(
    name="poverty_trajectory",
    layer="province",
    grain=("batch_id", "year"),
    description=(
        "Persons in poverty at the end of each year, from the first registration to the "
        "assessment year, as each batch's registry snapshot tells it (SPEC 3.7)."
    ),
    columns=(
        shared("batch_id"),
        _c("year", "integer", "年度", "calendar year"),
        _c(
            "persons_in_poverty",
            "bigint",
            "年末贫困人口",
            "registered persons of households registered by then and not exited by year end "
            "(returned households count from registration on)",
        ),
    ),
)

PROVINCE_TABLES = (PROVINCE_PROGRESS, POVERTY_TRAJECTORY)

COMPUTED_TABLES = (
    REGISTRY_HOUSEHOLD_PERSONS,
    COUNTY_REGISTRY_PERSONS,
    COUNTY_SURVEY_FRAMES,
    AGENCY_SURVEY_FRAMES,
    INDICATOR_DESIGN,
    INDICATOR_CONFIDENCE,
    COUNTY_ASSESSMENT,
    AGENCY_FINDINGS,
    SURVEY_HOUSEHOLD_INCOME,
    GUARANTEE_COMPLIANCE,
    BATCH_SUMMARY,
    RECTIFICATION_LIST,
    MONITORING_LIST,
    REGISTRY_COHORTS,
)

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        BATCH_MANIFEST,
        *(raw_table(raw) for raw in RAW_TABLES),
        REJECTED_ROWS,
        *(checked_table(raw) for raw in RAW_TABLES),
        *(staging_table(raw) for raw in RAW_TABLES),
        *COMPUTED_TABLES,
        *PROVINCE_TABLES,
    )
}
PUBLISHED_TABLES: list[str] = sorted(name for name, table in TABLES.items() if table.published)


def ddl(table: Table) -> str:
    """`create table` with the registry's columns and types (test fixtures build from it)."""
    columns = ",\n    ".join(f'"{column.name}" {column.dtype}' for column in table.columns)
    return f'create table "{table.name}" (\n    {columns}\n);'


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_statements(table: Table) -> list[str]:
    """DuckDB `comment on` the table and each column: what `describe` and SQL clients show."""
    statements = [f'comment on table "{table.name}" is {_quote(table.description)}']
    for column in table.columns:
        text = f"{column.label_zh}: {column.description}" if column.label_zh else column.description
        statements.append(f'comment on column "{table.name}"."{column.name}" is {_quote(text)}')
    return statements
