"""The marts layer (`sql/marts/`) on the hand-built batch of `mart_batch`.

Every expected value is worked out by hand from the rows in `mart_batch.py`; the arithmetic
sits next to it. Persons in the registry are member rows; persons in a survey are the surveyed
household_size.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from mart_batch import ALL_SECURE, MANIFEST, NO_HOUSING, REGISTRY, SURVEYS, build_marts, rows, wages

from pipeline.sql_models import load_models

# SPEC section 4, column lists as written there.
SPEC_COLUMNS = {
    "county_assessment": [
        "batch_id", "county_code", "county_name", "region", "rural_population",
        "remaining_poor", "exited_persons", "non_registered_population",
        "sampled_exited_households", "sampled_exited_persons", "wrong_exit_rate",
        "sampled_non_registered_households", "sampled_non_registered_persons", "missed_rate",
        "comprehensive_incidence", "registry_incidence", "surveyed_households",
        "accepting_households", "acceptance_rate", "exited_sample_income", "verdict",
        "decision", "decision_reason", "villages_surveyed", "verdict_confidence",
    ],
    "survey_household_income": [
        "batch_id", "survey_id", "county_code", "sample_frame", "household_id",
        "household_size", "net_income", "per_capita_net_income", "meets_income_line",
        "meets_guarantees", "meets_standard",
    ],
    "guarantee_compliance": [
        "batch_id", "county_code", "indicator", "households", "households_secure", "rate",
    ],
    "batch_summary": [
        "batch_id", "province_code", "assessment_year", "poverty_line_yuan",
        "counties_assessed", "counties_meeting", "acceptance_rate", "mean_county_acceptance",
        "exited_sample_income", "income_over_line", "province_registry_income",
        "income_over_province", "poverty_counties", "poverty_counties_exited",
        "agencies", "agencies_recommending", "households_to_monitor",
    ],
    "rectification_list": [
        "batch_id", "survey_id", "county_code", "village_code", "household_id", "sample_frame",
    ],
    "agency_findings": [
        "batch_id", "agency_code", "county_code", "surveyed_households", "wrong_exit_rate",
        "missed_rate", "comprehensive_incidence", "acceptance_rate", "recommends_exit",
    ],
    "monitoring_list": [
        "batch_id", "survey_id", "county_code", "village_code", "household_id",
        "per_capita_net_income", "risk_reason",
    ],
    "indicator_confidence": [
        "batch_id", "county_code", "indicator", "estimate", "threshold", "se", "df",
        "households", "n_kish", "n_eff", "ci_low", "ci_high", "lower95", "upper95",
        "confidence", "households_to_certify",
    ],
}  # fmt: skip

INDICATORS = ["food", "clothing", "education", "medical", "housing", "water", "income"]


def county(con, county_code: str) -> dict:
    (row,) = rows(con, f"select * from county_assessment where county_code = '{county_code}'")
    return row


def survey(con, survey_id: str) -> dict:
    (row,) = rows(con, f"select * from survey_household_income where survey_id = '{survey_id}'")
    return row


def compliance(con, county_code: str) -> dict[str, tuple]:
    found = rows(
        con,
        "select indicator, households, households_secure, rate from guarantee_compliance "
        f"where county_code = '{county_code}'",
    )
    return {r["indicator"]: (r["households"], r["households_secure"], r["rate"]) for r in found}


def test_marts__every_published_mart_has_the_spec_columns_batch_id_first(marts):
    published = {
        name
        for name, model in load_models().items()
        if model.layer == "marts" and not name.startswith("_")
    }
    assert set(SPEC_COLUMNS) <= published
    for table, required in SPEC_COLUMNS.items():
        columns = [row[0] for row in marts.execute(f'describe "{table}"').fetchall()]
        assert columns[0] == "batch_id", table
        assert set(required) <= set(columns), (table, set(required) - set(columns))


def test_marts__no_personal_data_column(marts):
    for table in SPEC_COLUMNS:
        columns = {row[0] for row in marts.execute(f'describe "{table}"').fetchall()}
        assert not columns & {"name", "head_name", "id_number", "head_id_number"}, table


def test_county_assessment__one_row_per_county_in_the_exit_batch(marts):
    found = rows(marts, "select batch_id, county_code from county_assessment")
    # 520201..520203 are not in the exit batch; 520105 has no registry rows and no surveys
    assert found == [
        {"batch_id": "test-2020", "county_code": code}
        for code in ["520101", "520102", "520103", "520104", "520105"]
    ]


def test_county_assessment__west_county_at_incidence_0025_meets(marts):
    row = county(marts, "520101")
    # registered persons = member rows 10 + 10 + 5 + 3 + 2 = 30
    assert row["registered_persons"] == 30
    # poor A1 10 + returned A2 10 + poor A3 5 member rows (A3 records household_size 4) = 25
    assert row["remaining_poor"] == 25
    assert row["exited_persons"] == 3 + 2
    assert row["non_registered_population"] == 1000 - 30  # 970
    assert row["sampled_exited_households"] == 2
    assert row["sampled_exited_persons"] == 3 + 2
    assert row["wrong_exit_rate"] == 0.0  # 0 / 5
    assert row["sampled_non_registered_households"] == 1
    assert row["sampled_non_registered_persons"] == 4
    assert row["missed_rate"] == 0.0  # 0 / 4
    # (25 + 0 * 5 + 0 * 970) / 1000 = 0.025 < 0.03 (west)
    assert row["comprehensive_incidence"] == pytest.approx(0.025)
    assert row["registry_incidence"] == pytest.approx(0.025)  # 25 / 1000
    assert row["incidence_max"] == 0.03
    assert row["passes_incidence"] is True
    assert row["surveyed_households"] == 4
    assert row["accepting_households"] == 4
    assert row["acceptance_rate"] == 1.0  # 4 / 4
    # (12000 + 10000) / (3 + 2) = 4400
    assert row["exited_sample_income"] == pytest.approx(4400.0)
    assert row["verdict"] == "meets"


def test_county_assessment__central_county_at_incidence_0025_fails(marts):
    row = county(marts, "520102")
    # poor B1 20 + returned B2 5 = 25 persons still poor
    assert row["remaining_poor"] == 25
    assert row["exited_persons"] == 4
    assert row["non_registered_population"] == 1000 - 29  # 971
    # (25 + 0 * 4 + 0 * 971) / 1000 = 0.025, not < 0.02 (central)
    assert row["comprehensive_incidence"] == pytest.approx(0.025)
    assert row["incidence_max"] == 0.02
    assert row["passes_incidence"] is False
    assert row["passes_wrong_exit_rate"] is True
    assert row["passes_missed_rate"] is True
    assert row["passes_acceptance_rate"] is True
    assert row["exited_sample_income"] == pytest.approx(8250.0)  # 33000 / 4
    assert row["verdict"] == "fails"


def test_county_assessment__wrong_exit_rate_weights_households_by_persons(marts):
    row = county(marts, "520103")
    # C-01: 5 persons, housing unsafe; C-02..C-06: five 1-person households that pass
    assert row["sampled_exited_households"] == 6
    assert row["sampled_exited_persons"] == 5 + 5 * 1  # 10
    assert row["sampled_exited_persons_failing"] == 5
    # 5 / 10 = 0.5 (by households it would be 1 / 6)
    assert row["wrong_exit_rate"] == pytest.approx(0.5)
    assert row["passes_wrong_exit_rate"] is False
    # (50000 + 5 * 5000) / (5 + 5) = 7500
    assert row["exited_sample_income"] == pytest.approx(7500.0)


def test_county_assessment__missed_rate_and_comprehensive_incidence(marts):
    row = county(marts, "520103")
    assert row["remaining_poor"] == 2  # C1
    assert row["exited_persons"] == 5 + 5 * 1  # C2 5, C3..C7 1 each
    assert row["non_registered_population"] == 2000 - 12  # 1988
    # C-07 (1 person, one cent below the line) fails, C-08 (1) and C-09 (2) pass
    assert row["sampled_non_registered_households"] == 3
    assert row["sampled_non_registered_persons"] == 1 + 1 + 2  # 4
    assert row["missed_rate"] == pytest.approx(0.25)  # 1 / 4
    assert row["passes_missed_rate"] is False
    # (2 + 0.5 * 10 + 0.25 * 1988) / 2000 = (2 + 5 + 497) / 2000 = 0.252
    assert row["comprehensive_incidence"] == pytest.approx(0.252)
    assert row["registry_incidence"] == pytest.approx(0.001)  # 2 / 2000
    assert row["verdict"] == "fails"


def test_county_assessment__unsure_is_not_accepting_and_090_fails(marts):
    row = county(marts, "520103")
    # 10 surveys in all frames: C-09 answers unsure, the other 9 accept
    assert row["surveyed_households"] == 10
    assert row["accepting_households"] == 9
    assert row["acceptance_rate"] == pytest.approx(0.9)  # 9 / 10, not > 0.90
    assert row["acceptance_rate_min"] == 0.9
    assert row["passes_acceptance_rate"] is False


def test_county_assessment__empty_frame_with_a_failing_veto_fails(marts):
    row = county(marts, "520104")
    assert row["sampled_non_registered_households"] == 0
    assert row["sampled_non_registered_persons"] == 0
    assert row["missed_rate"] is None
    assert row["comprehensive_incidence"] is None
    assert row["passes_missed_rate"] is None
    assert row["passes_incidence"] is None
    # the other rates still computed: D-01 fails with all 4 persons
    assert row["wrong_exit_rate"] == 1.0  # 4 / 4
    assert row["acceptance_rate"] == pytest.approx(0.5)  # 1 accept / 2
    assert row["registry_incidence"] == pytest.approx(0.4)  # 2 / 5
    assert row["exited_sample_income"] == pytest.approx(2000.0)  # 8000 / 4
    # wrong-exit (100% >= 2%) and acceptance (50% <= 90%) fail: each is a veto, so the
    # missing missed_rate cannot save the county
    assert row["passes_wrong_exit_rate"] is False
    assert row["passes_acceptance_rate"] is False
    assert row["verdict"] == "fails"


def test_county_assessment__non_registered_population_clamped_at_zero(marts):
    row = county(marts, "520104")
    # registered persons 2 + 4 = 6 exceed the rural population 5: max(0, 5 - 6) = 0
    assert row["registered_persons"] == 6
    assert row["non_registered_population"] == 0


def test_county_assessment__county_without_registry_or_surveys_keeps_its_row(marts):
    row = county(marts, "520105")
    assert row["rural_population"] == 300
    assert row["remaining_poor"] == 0
    assert row["exited_persons"] == 0
    assert row["non_registered_population"] == 300  # 300 - 0
    assert row["sampled_exited_households"] == 0
    assert row["surveyed_households"] == 0
    assert row["accepting_households"] == 0
    assert row["wrong_exit_rate"] is None
    assert row["missed_rate"] is None
    assert row["acceptance_rate"] is None
    assert row["exited_sample_income"] is None
    assert row["registry_incidence"] == 0.0  # 0 / 300
    # no veto fails and none can be decided
    assert row["verdict"] == "insufficient_data"


# 520105 (central, rural population 300) has no registry households; surveyed here with rates
# that would all pass. Its exited household is one the registry lacks: validation would reject
# that row, but the verdict must not lean on validation.
# fmt: off
SURVEYS_OF_520105 = [
    ("E-01", "520105", "exited", "E1", 3, wages("15000"), ALL_SECURE, "accept"),
    ("E-02", "520105", "non_registered", None, 2, wages("10000"), ALL_SECURE, "accept"),
]
# fmt: on


def test_county_assessment__no_registry_households_with_passing_rates_is_insufficient_data():
    con = build_marts(MANIFEST, surveys=SURVEYS + SURVEYS_OF_520105)
    try:
        row = county(con, "520105")
    finally:
        con.close()
    # E-01: 15000 / 3 = 5000 >= 4000, all secure: 0 of 3 persons fail
    assert row["wrong_exit_rate"] == 0.0
    # E-02: 10000 / 2 = 5000 >= 4000, all secure: 0 of 2 persons fail
    assert row["missed_rate"] == 0.0
    assert row["acceptance_rate"] == 1.0  # 2 / 2
    # (0 + 0 * 0 + 0 * 300) / 300 = 0 < 0.02: every rate passes on its own figures
    assert row["comprehensive_incidence"] == 0.0
    assert row["registered_persons"] == 0
    # but with no registry households there is nothing to count as still poor or exited
    assert row["verdict"] == "insufficient_data"


@pytest.mark.parametrize(
    ("survey_id", "flags", "acceptance", "failing"),
    [
        # E-01 housing unsafe: 3 of 3 persons fail, 1.0 >= 0.02
        ("E-01", NO_HOUSING, "accept", "passes_wrong_exit_rate"),
        # E-02 does not accept: 1 of 2 = 0.5, not > 0.90
        ("E-02", ALL_SECURE, "not_accept", "passes_acceptance_rate"),
    ],
    ids=["wrong_exit", "acceptance"],
)
def test_county_assessment__no_registry_households_with_a_failing_veto_fails(
    survey_id, flags, acceptance, failing
):
    surveys = [
        (sid, code, frame, short, size, money, flags, acceptance)
        if sid == survey_id
        else (sid, code, frame, short, size, money, old_flags, old_acceptance)
        for sid, code, frame, short, size, money, old_flags, old_acceptance in SURVEYS_OF_520105
    ]
    con = build_marts(MANIFEST, surveys=SURVEYS + surveys)
    try:
        row = county(con, "520105")
    finally:
        con.close()
    assert row["registered_persons"] == 0
    assert row[failing] is False
    # a failing veto decides even without a registry
    assert row["verdict"] == "fails"


# registry_members.csv with its header alone: every registry household, no member rows
REGISTRY_WITHOUT_MEMBERS = [
    (short, code, size, status, 0, income) for short, code, size, status, _, income in REGISTRY
]


def test_county_assessment__registry_households_without_members_never_meet():
    con = build_marts(MANIFEST, registry=REGISTRY_WITHOUT_MEMBERS)
    try:
        found = {row["county_code"]: row for row in rows(con, "select * from county_assessment")}
        (summary,) = rows(con, "select * from batch_summary")
    finally:
        con.close()
    first = found["520101"]
    # no member rows: 0 persons registered, poor or exited; the whole rural population of
    # 1000 is non-registered
    assert first["registered_persons"] == 0
    assert first["remaining_poor"] == 0
    assert first["exited_persons"] == 0
    assert first["non_registered_population"] == 1000
    # the survey rates do not use the registry's persons: A 0 / 5, 0 / 4, 4 / 4
    assert first["wrong_exit_rate"] == 0.0
    assert first["missed_rate"] == 0.0
    assert first["acceptance_rate"] == 1.0
    # (0 + 0 * 0 + 0 * 1000) / 1000 = 0 and 0 / 1000 = 0
    assert first["comprehensive_incidence"] == 0.0
    assert first["registry_incidence"] == 0.0
    # 520101 and 520102 pass every rate (B: 0 / 4 exited, B-02 9000 / 2 = 4500 >= 4000, 2 / 2
    # accept) but have no registered person; 520103 (wrong exits 5 / 10) and 520104 (4 / 4)
    # fail a veto; 520105 has neither registry nor survey
    assert {code: row["verdict"] for code, row in found.items()} == {
        "520101": "insufficient_data",
        "520102": "insufficient_data",
        "520103": "fails",
        "520104": "fails",
        "520105": "insufficient_data",
    }
    assert summary["counties_meeting"] == 0
    # 520201 exited in 2019; no county of this batch meets
    assert summary["poverty_counties_exited"] == 1
    # sum of income * 0 persons over 0 persons: no average, null rather than NaN
    assert summary["province_registry_income"] is None
    assert summary["income_over_province"] is None


@pytest.mark.parametrize(
    "registry", [REGISTRY_WITHOUT_MEMBERS, []], ids=["no_member_rows", "no_registry_rows"]
)
def test_marts__no_nan_or_infinity_without_registry_persons(registry):
    con = build_marts(MANIFEST, registry=registry)
    try:
        tables = [name for name, model in load_models().items() if model.layer == "marts"]
        found = []
        for table in tables:
            for column, kind, *_ in con.execute(f'describe "{table}"').fetchall():
                if kind in ("DOUBLE", "FLOAT"):
                    (bad,) = con.execute(
                        f'select count(*) from "{table}" '
                        f'where isnan("{column}") or isinf("{column}")'
                    ).fetchone()
                    found.extend([(table, column)] * bad)
    finally:
        con.close()
    assert found == []


def test_survey_household_income__income_exactly_at_the_line_meets(marts):
    row = survey(marts, "A-01")
    # 8000 + 3000 + 500 + 1500 - 1000 = 12000.00 = 4000.00 * 3 persons
    assert row["net_income"] == Decimal("12000.00")
    assert row["per_capita_net_income"] == 4000.0
    assert row["meets_income_line"] is True
    assert row["meets_standard"] is True
    # 4000.00 for one person
    assert survey(marts, "C-08")["meets_income_line"] is True


def test_survey_household_income__one_cent_below_the_line_fails(marts):
    row = survey(marts, "C-07")
    # 3000 + 1000 - 0.01 = 3999.99 < 4000.00 * 1
    assert row["net_income"] == Decimal("3999.99")
    assert row["meets_income_line"] is False
    assert row["meets_guarantees"] is True
    assert row["meets_standard"] is False
    assert row["household_id"] is None
    assert row["sample_frame"] == "non_registered"


def test_survey_household_income__guarantee_failure_fails_the_standard(marts):
    row = survey(marts, "C-01")
    # 50000 / 5 = 10000 per person, above the line, but housing unsafe
    assert row["meets_income_line"] is True
    assert row["housing_secure"] is False
    assert row["meets_guarantees"] is False
    assert row["meets_standard"] is False


def test_survey_household_income__one_row_per_survey(marts):
    found = rows(marts, "select batch_id, survey_id from survey_household_income")
    assert len(found) == 18  # A 4 + B 2 + C 10 + D 2
    assert {row["batch_id"] for row in found} == {"test-2020"}


def test_guarantee_compliance__counts_exited_and_non_registered_households(marts):
    # A: A-01, A-02 (exited), A-03 (non_registered); A-04 is poor-frame, left out
    assert compliance(marts, "520101") == {name: (3, 3, 1.0) for name in INDICATORS}
    # C: 6 exited + 3 non_registered = 9; C-01 housing unsafe, C-07 below the line
    found = compliance(marts, "520103")
    assert found["housing"] == (9, 8, pytest.approx(8 / 9))
    assert found["income"] == (9, 8, pytest.approx(8 / 9))
    assert found["food"] == (9, 9, 1.0)
    # D: only D-01 (D-02 is poor-frame); 2000 per person < 4000 and housing unsafe
    found = compliance(marts, "520104")
    assert found["housing"] == (1, 0, 0.0)
    assert found["income"] == (1, 0, 0.0)
    assert found["water"] == (1, 1, 1.0)


def test_guarantee_compliance__zero_households_keep_every_indicator_row(marts):
    assert compliance(marts, "520105") == {name: (0, 0, None) for name in INDICATORS}
    counts = rows(marts, "select count(*) as n from guarantee_compliance")
    assert counts == [{"n": 5 * 7}]  # 5 counties in the exit batch x 7 indicators


def test_rectification_list__failing_exited_and_non_registered_households(marts):
    found = rows(
        marts,
        "select batch_id, survey_id, county_code, village_code, household_id, sample_frame, "
        "fails_income, fails_housing, fails_food, failed_conditions from rectification_list",
    )
    # poor-frame A-04, C-10 and D-02 fall below the line too but are not listed
    assert found == [
        {
            "batch_id": "test-2020",
            "survey_id": "C-01",
            "county_code": "520103",
            "village_code": "520103001001",
            "household_id": "520103001001C2",
            "sample_frame": "exited",
            "fails_income": False,
            "fails_housing": True,
            "fails_food": False,
            "failed_conditions": "housing",
        },
        {
            "batch_id": "test-2020",
            "survey_id": "C-07",
            "county_code": "520103",
            "village_code": "520103001001",
            "household_id": None,
            "sample_frame": "non_registered",
            "fails_income": True,
            "fails_housing": False,
            "fails_food": False,
            "failed_conditions": "income",
        },
        {
            "batch_id": "test-2020",
            "survey_id": "D-01",
            "county_code": "520104",
            "village_code": "520104001001",
            "household_id": "520104001001D2",
            "sample_frame": "exited",
            "fails_income": True,
            "fails_housing": True,
            "fails_food": False,
            "failed_conditions": "income,housing",
        },
    ]


def test_batch_summary__press_release_figures(marts):
    (row,) = rows(marts, "select * from batch_summary")
    assert row["batch_id"] == "test-2020"
    assert row["province_code"] == "52"
    assert row["assessment_year"] == 2020
    assert row["poverty_line_yuan"] == Decimal("4000.00")
    assert row["counties_assessed"] == 5
    assert row["counties_meeting"] == 1  # 520101
    # pooled: accepting 4 + 2 + 9 + 1 = 16 of 4 + 2 + 10 + 2 = 18 surveyed
    assert row["acceptance_rate"] == pytest.approx(16 / 18)
    # county rates 1.0, 1.0, 0.9, 0.5 (520105 has none): 3.4 / 4 = 0.85
    assert row["mean_county_acceptance"] == pytest.approx(0.85)
    # exited sample: (12000 + 10000 + 33000 + 50000 + 5 * 5000 + 8000)
    #   / (3 + 2 + 4 + 5 + 5 * 1 + 4) = 138000 / 23 = 6000
    assert row["exited_sample_income"] == pytest.approx(6000.0)
    assert row["income_over_line"] == pytest.approx(2000.0)  # 6000 - 4000
    # registry, weighted by member rows: 77 persons at 5000 (counties 520101..520104:
    # 30 + 29 + 12 + 6) + F1 3 at 9000 + G1 1 at 9200 (household_size 2 is not used)
    #   = (385000 + 27000 + 9200) / 81 = 421200 / 81 = 5200
    assert row["province_registry_income"] == pytest.approx(5200.0)
    assert row["income_over_province"] == pytest.approx(800.0)  # 6000 - 5200
    # poverty counties: 520101..520105, 520201, 520203 = 7 (520202 is not one)
    assert row["poverty_counties"] == 7
    # 520201 exited in 2019 + 520101 approved now (it meets, AG01 recommends it, the notice is
    # given, its objections are not upheld); 520102..520105 do not meet, 520203 not assessed
    assert row["poverty_counties_exited"] == 2


def test_county_assessment__manifest_thresholds_override_the_official_ones():
    con = build_marts({**MANIFEST, "incidence_max_central": 0.03})
    try:
        row = county(con, "520102")
        # 0.025 < 0.03 once the manifest raises the central threshold
        assert row["incidence_max"] == 0.03
        assert row["verdict"] == "meets"
    finally:
        con.close()


def test_marts__rebuilding_gives_the_same_rows(marts):
    again = build_marts(MANIFEST)
    try:
        for table in SPEC_COLUMNS:
            query = f'select * from "{table}"'
            assert again.execute(query).fetchall() == marts.execute(query).fetchall(), table
    finally:
        again.close()
