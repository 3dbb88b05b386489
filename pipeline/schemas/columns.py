"""What each column of the staging tables, intermediates and marts holds: one description per
name, so the same quantity reads the same everywhere (Dagster's column schema shows these)."""

from __future__ import annotations

from pipeline.schemas.fields import RAW_TABLES

DERIVED = {
    "batch_id": "assessment round of one province, e.g. guizhou-2020",
    "line_number": "line of the row in its source file (header = line 1)",
    "source_file": "raw file the row came from",
    "source_table": "raw table the row came from",
    "column": "column that broke the rule (empty: the row as a whole)",
    "rule": "the schema rule the value broke",
    "masked_value": "the offending value as read; resident id numbers masked",
    "province_code": "2-digit GB/T 2260 province code",
    "province_name": "province name",
    "assessment_year": "year of the assessment round",
    "poverty_line_yuan": "national poverty line, yuan per person per year",
    "quarantine_share_max": "share of a file's rows that may be quarantined",
    "incidence_max_west": "incidence threshold for west counties",
    "incidence_max_central": "incidence threshold for central counties",
    "incidence_max_east": "incidence threshold for east counties",
    "wrong_exit_rate_max": "wrong-exit rate threshold",
    "missed_rate_max": "missed-evaluation rate threshold",
    "acceptance_rate_min": "acceptance threshold (must be exceeded)",
    "monitoring_income_ratio": "monitoring line as a multiple of the poverty line (SPEC 3.6)",
    "public_notice_start": "first day of the public notice (公示) of the counties (null: none)",
    "public_notice_end": "last day of the public notice (公示) of the counties (null: none)",
    "member_count": "registered persons: the household's member rows",
    "registered_persons": "registered persons of the county (member rows)",
    "remaining_poor": "registered persons in poor or returned households",
    "exited_persons": "registered persons in exited households",
    "non_registered_population": "rural population less all registered persons (>= 0)",
    "sampled_exited_households": "surveyed households of the exited frame",
    "sampled_exited_persons": "persons (survey household_size) of the exited frame",
    "sampled_exited_persons_failing": "persons of exited-frame households not meeting the standard",
    "sampled_exited_net_income": "summed net income of the exited frame, yuan",
    "sampled_non_registered_households": "surveyed households of the non_registered frame",
    "sampled_non_registered_persons": "persons of the non_registered frame",
    "sampled_non_registered_persons_failing": "persons of non-registered households not meeting "
    "the standard",
    "wrong_exit_rate": "错退率: failing persons / persons, exited frame (null: empty frame)",
    "missed_rate": "漏评率: failing persons / persons, non_registered frame (null: empty frame)",
    "comprehensive_incidence": "综合贫困发生率 (SPEC 3.2), fraction of the rural population",
    "registry_incidence": "remaining_poor / rural_population",
    "surveyed_households": "surveyed households, every frame",
    "accepting_households": "households answering accept",
    "acceptance_rate": "群众认可度: accepting / surveyed households (unsure does not accept)",
    "exited_sample_income": "person-weighted per-capita net income of the exited frame, yuan",
    "incidence_max": "incidence threshold for the county's region",
    "wrong_exit_rate_max": "wrong-exit threshold applied",
    "missed_rate_max": "missed-evaluation threshold applied",
    "acceptance_rate_min": "acceptance threshold applied",
    "passes_incidence": "incidence below its threshold",
    "passes_wrong_exit_rate": "wrong-exit rate below its threshold",
    "passes_missed_rate": "missed rate below its threshold",
    "passes_acceptance_rate": "acceptance above its threshold",
    "verdict": (
        "meets (all four pass), fails (any fails), "
        "insufficient_data (none fails, a rate could not be computed)"
    ),
    "net_income": "wage + operating + property + transfer - production cost, yuan per year",
    "meets_income_line": "net income >= poverty line x household size",
    "meets_guarantees": "all of the two no-worries, three guarantees and safe water",
    "meets_standard": "meets the income line and every guarantee",
    "indicator": "food, clothing, education, medical, housing, water or income",
    "households": "households judged (exited and non_registered frames)",
    "households_secure": "households meeting the indicator",
    "rate": "households_secure / households",
    "counties_assessed": "counties in the exit batch",
    "counties_meeting": "counties whose verdict is meets",
    "mean_county_acceptance": "mean of the county acceptance rates",
    "income_over_line": "exited_sample_income - poverty line, yuan",
    "province_registry_income": "member-weighted average recorded income of all registered "
    "households, yuan",
    "income_over_province": "exited_sample_income - province_registry_income, yuan",
    "poverty_counties": "national poverty counties of the province",
    "poverty_counties_exited": "poverty counties exited earlier plus this batch's meets",
    "failed_conditions": "the conditions the household fails, comma-separated",
    **{
        f"fails_{name}": f"fails the {name} condition"
        for name in ("income", "food", "clothing", "education", "medical", "housing", "water")
    },
}

COLUMN_DESCRIPTIONS: dict[str, str] = {
    field.name: f"{field.description} ({field.label_zh})"
    for table in RAW_TABLES
    for field in table.fields
} | DERIVED
