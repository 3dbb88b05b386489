"""Every raw column of SPEC section 1, defined once: name, Chinese label, type, meaning.

The pandera schemas (`raw.py`), the readers (header mapping) and the table registry
(`registry.py`: raw and staging tables, their types and Dagster column schemas) all read these
definitions; nothing else spells a raw column's type.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.schemas.names import layer_name


@dataclass(frozen=True)
class Field:
    name: str
    label_zh: str
    dtype: str  # one of: string, int, decimal, bool, date
    description: str
    nullable: bool = False
    pii: bool = False
    # A column the pipeline never uses may be absent from a file (the names: PII used for nothing).
    required: bool = True


@dataclass(frozen=True)
class RawTable:
    """One raw file of a batch and its columns, in SPEC order."""

    name: str  # the file stem and the table's base name, e.g. registry_households
    description: str
    fields: tuple[Field, ...]
    # An optional file may be absent from a batch: it then reads as a table without rows.
    optional: bool = False
    # Quarantined rows block the batch only above quarantine_share_max, or from the first one.
    any_quarantine_blocks: bool = False

    @property
    def asset(self) -> str:
        """The raw relation and asset key: `raw_<name>` (see `pipeline.schemas.registry`)."""
        return layer_name(self.name, "raw")

    @property
    def staging(self) -> str:
        """The staging table and asset key: `stg_<name>`."""
        return layer_name(self.name, "staging")

    @property
    def columns(self) -> list[str]:
        return [field.name for field in self.fields]

    @property
    def loaded_fields(self) -> list[Field]:
        """What ingestion keeps: everything but the names, which never leave the file."""
        return [field for field in self.fields if field.required]

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)


POVERTY_STATUSES = ("poor", "exited", "returned")
POVERTY_CAUSES = (
    "illness",
    "disability",
    "education",
    "disaster",
    "lack_land",
    "lack_water",
    "lack_skills",
    "lack_labour",
    "lack_capital",
    "poor_transport",
    "lack_motivation",
    "other",
)
REGIONS = ("west", "central", "east")
RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "other")
SEXES = ("M", "F")
SAMPLE_FRAMES = ("exited", "poor", "non_registered")
ACCEPTANCE_ANSWERS = ("accept", "not_accept", "unsure")
OBJECTION_STATUSES = ("upheld", "not_upheld", "pending")
SECURE_FLAGS = (
    "food_secure",
    "clothing_secure",
    "education_secure",
    "medical_secure",
    "housing_secure",
    "water_secure",
)
INCOME_COMPONENTS = ("wage_income", "operating_income", "property_income", "transfer_income")


def _money(name: str, label: str, description: str) -> Field:
    return Field(name, label, "decimal", f"{description}, yuan per year")


COUNTIES = RawTable(
    name="counties",
    description="Every county of the province: codes, region, rural population, exit status.",
    fields=(
        Field("county_code", "县代码", "string", "6-digit GB/T 2260 county code"),
        Field("county_name", "县名称", "string", "county name"),
        Field("prefecture_code", "市州代码", "string", "6-digit code of the prefecture"),
        Field("prefecture_name", "市州名称", "string", "prefecture name"),
        Field("region", "区域", "string", "west / central / east: sets the incidence threshold"),
        Field("rural_population", "乡村户籍人口", "int", "rural registered population"),
        Field("poverty_county", "是否贫困县", "bool", "a national poverty county"),
        Field("exit_year", "摘帽年度", "int", "year it left the list earlier", nullable=True),
        Field("in_exit_batch", "本批次申请退出", "bool", "assessed in this batch"),
    ),
)

REGISTRY_HOUSEHOLDS = RawTable(
    name="registry_households",
    description="建档立卡 households exported from the national information system.",
    fields=(
        Field("household_id", "户编号", "string", "household id; starts with its village code"),
        Field("county_code", "县代码", "string", "county of the household"),
        Field("village_code", "村代码", "string", "12-digit village code"),
        Field("head_name", "户主姓名", "string", "head's name", pii=True, required=False),
        Field("head_id_number", "户主证件号码", "string", "head's resident id number", pii=True),
        Field("household_size", "家庭人口数", "int", "household size as recorded"),
        Field("poverty_status", "贫困户状态", "string", "poor / exited / returned"),
        Field("year_registered", "识别年度", "int", "year the household was registered"),
        Field("year_exited", "脱贫年度", "int", "year it exited poverty", nullable=True),
        Field("poverty_cause", "主要致贫原因", "string", "main cause of poverty"),
        Field("per_capita_net_income", "人均纯收入", "decimal", "recorded per-capita net income"),
        Field("relocated", "是否易地扶贫搬迁", "bool", "moved under poverty relocation"),
    ),
)

REGISTRY_MEMBERS = RawTable(
    name="registry_members",
    description="建档立卡 persons, one row per registered person.",
    fields=(
        Field("household_id", "户编号", "string", "household of the person"),
        Field("member_no", "成员序号", "int", "number of the person within the household"),
        Field("name", "姓名", "string", "name", pii=True, required=False),
        Field("id_number", "证件号码", "string", "resident id number", pii=True),
        Field("relation", "与户主关系", "string", "relation to the head"),
        Field("sex", "性别", "string", "M / F"),
        Field("birth_date", "出生日期", "date", "date of birth"),
    ),
)

SURVEY_HOUSEHOLDS = RawTable(
    name="survey_households",
    description="Third-party field survey (实地评估调查), one row per interviewed household.",
    fields=(
        Field("survey_id", "问卷编号", "string", "questionnaire id"),
        Field("agency_code", "评估机构", "string", "evaluation agency"),
        Field("county_code", "县代码", "string", "county surveyed"),
        Field("village_code", "村代码", "string", "village surveyed"),
        Field("survey_date", "调查日期", "date", "date of the interview"),
        Field("sample_frame", "样本类型", "string", "exited / poor / non_registered"),
        Field("household_id", "户编号", "string", "registry household, if any", nullable=True),
        Field("household_size", "家庭人口数", "int", "household size counted by the assessor"),
        _money("wage_income", "工资性收入", "wage income"),
        _money("operating_income", "生产经营性收入", "operating income"),
        _money("property_income", "财产性收入", "property income"),
        _money("transfer_income", "转移性收入", "transfer income"),
        _money("production_cost", "生产经营性支出", "production cost"),
        Field("food_secure", "不愁吃", "bool", "no worry about food"),
        Field("clothing_secure", "不愁穿", "bool", "no worry about clothing"),
        Field("education_secure", "义务教育有保障", "bool", "compulsory education guaranteed"),
        Field("medical_secure", "基本医疗有保障", "bool", "basic medical care guaranteed"),
        Field("housing_secure", "住房安全有保障", "bool", "safe housing guaranteed"),
        Field("water_secure", "饮水安全有保障", "bool", "safe drinking water guaranteed"),
        Field("acceptance", "认可度", "string", "accept / not_accept / unsure"),
    ),
)

OBJECTIONS = RawTable(
    name="objections",
    description="Objections received during the public notice (公示异议), one row per objection.",
    fields=(
        Field("objection_id", "异议编号", "string", "objection id"),
        Field("county_code", "县代码", "string", "county objected to"),
        Field("received_date", "受理日期", "date", "date the objection was received"),
        Field("status", "核查结果", "string", "upheld / not_upheld / pending"),
        # Free text about persons: personal data, never read (like the names).
        Field("summary", "内容摘要", "string", "what the objection says", pii=True, required=False),
    ),
    optional=True,
    # An objection that cannot be read must not let a county through (SPEC section 1).
    any_quarantine_blocks=True,
)

# In validation order: each table's cross-table rules read only tables validated before it.
RAW_TABLES: tuple[RawTable, ...] = (
    COUNTIES,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_MEMBERS,
    SURVEY_HOUSEHOLDS,
    OBJECTIONS,
)
RAW_TABLES_BY_NAME = {table.name: table for table in RAW_TABLES}
