"""`povexit report` on the tiny batch: text and markdown in English and Chinese, --out and the
default paths of the files, errors, and the announcement of a batch where a county fails.

Two batches run once for the module: `test-2020` (the valid tiny batch) and `fail-2020` (its
county 529901 fails). Both are 2020 rounds of province 52, so their province_progress rows
share a year: the zero-error run of either is 0, which no assertion here relies on but the
failing one's ("no streak claim").

Hand-worked figures of the tiny batch (tests/batch_builder.py):
- exited frame: S1 (529901, 3 persons) 12,000 + 1,000 + 0 + 500 - 500 = 13,000 yuan; S3 (529902,
  2 persons) 9,000 + 1,000 + 500 - 500 = 10,000: (13,000 + 10,000) / 5 = 4,600.00 yuan, 600.00
  above the line of 4,000;
- registry: 9,000 x 3 + 9,000 x 2 + 9,000 x 2 + 3,000 x 1 = 66,000 over 8 persons = 8,250.00,
  so the survey income is 3,650.00 below the provincial registry average;
- poverty counties 3: 529903 exited in 2018, 529901 and 529902 approved now: 3 exited.
- fail-2020: S1 fails the food guarantee, so 529901's wrong-exit rate is 3 / 3 = 100% and its
  comprehensive incidence (0 + 100% x 5 exited persons + 0) / 100 = 5%, over the west's 3%:
  529901 fails and is rejected; 529902 meets and is approved; 2 of 3 poverty counties exited.
"""

from __future__ import annotations

import re

import pytest

from pipeline.cli import main
from tests.batch_builder import default_batch, write_batch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    root = tmp_path_factory.mktemp("brief_text")
    raw = root / "raw"
    write_batch(raw, default_batch())
    failing = default_batch()
    failing["survey_households"][0]["food_secure"] = "false"
    write_batch(raw, failing, batch_id="fail-2020")
    assert main(["run", "--raw", str(raw), "--marts", str(root)]) == 0
    return root


def report(capsys, marts, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["report", "--marts", str(marts), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- text and markdown ------------------------------------------------------------------------


def test_text_en__the_figures_the_announcement_and_the_tables(marts, capsys):
    code, out, err = report(capsys, marts, "--batch", "test-2020")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Exit assessment test-2020 (province 52, 2020)"
    assert "  counties assessed: 2, meeting the standard: 2" in lines
    assert "  poverty counties: 3, exited: 3" in lines
    assert "  public acceptance (pooled): 100.00%; mean of counties: 100.00%" in lines
    assert (
        "  surveyed exited households' per-capita net income: 4,600.00 yuan, 600.00 above the "
        "line of 4,000.00, 3,650.00 below the provincial registry average of 8,250.00"
    ) in lines
    paragraph = lines[lines.index("Announcement") + 1]
    assert "approved 2 poverty counties, 甲县 and 乙县" in paragraph
    assert "marking that all 3 poverty counties of 测试省 have exited poverty" in paragraph
    assert "4,600.00 yuan, 600.00 yuan above the 2020 poverty line of 4,000 yuan" in paragraph
    assert "3,650.00 yuan below the provincial average of 8,250.00 yuan" in paragraph
    assert "From November 16 to 22" in paragraph and "no objections were received" in paragraph
    county = next(line for line in lines if line.startswith("529901"))
    assert re.search(r"甲县\s+0\.00%\s+0\.00%\s+0\.00%\s+100\.00%\s+4,333\.33\s+meets", county)
    assert county.endswith("  approved")
    assert "County verdicts" in lines
    assert "Agencies' findings on their own households (agency_findings)" in lines


def test_text_zh__chinese_headings_labels_and_values(marts, capsys):
    code, out, _ = report(capsys, marts, "--batch", "test-2020", "--lang", "zh")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "测试省2020年贫困县退出评估（批次 test-2020，省代码 52）"
    assert "  评估县数：2，达标县数：2" in lines
    assert "  贫困县数：3，已摘帽：3" in lines
    assert "  群众认可度（全部调查户）：100.00%；各县平均：100.00%" in lines
    paragraph = lines[lines.index("公告") + 1]
    assert paragraph.startswith("测试省批准甲县、乙县等2个贫困县退出贫困县序列")
    assert "标志着测试省3个贫困县全部实现脱贫摘帽" in paragraph
    assert (
        "抽样调查脱贫户人均纯收入为4,600.00元，比2020年扶贫标准（4,000元）高600.00元" in paragraph
    )
    assert "比测试省建档立卡贫困户人均纯收入8,250.00元低3,650.00元" in paragraph
    assert "11月16日至22日" in paragraph and "公示期间未收到异议" in paragraph
    header = lines[lines.index("各县评估结论") + 1]
    assert header.split() == [
        "县代码", "县名称", "综合贫困发生率", "错退率", "漏评率", "群众认可度",
        "抽查脱贫户人均纯收入", "评估结论", "结论把握度", "退出决定",
    ]  # fmt: skip
    county = next(line for line in lines if line.startswith("529901"))
    assert "  达标  " in county and county.endswith("批准退出")
    assert "meets" not in out and "approved" not in out


def test_markdown__headings_and_tables_in_either_language(marts, capsys):
    code, out, _ = report(capsys, marts, "--batch", "test-2020", "--format", "md")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "# Exit assessment test-2020 (province 52, 2020)"
    assert "- poverty counties: 3, exited: 3" in lines
    assert "## Announcement" in lines and "## County verdicts" in lines
    header = lines.index("## County verdicts") + 2
    assert lines[header].startswith("| county | name | incidence | wrong-exit |")
    assert lines[header + 1].startswith("|---|---|---:|---:|")
    assert lines[header + 2].startswith("| 529901 | 甲县 | 0.00% |")

    code, out, _ = report(capsys, marts, "--batch", "test-2020", "--format", "md", "--lang", "zh")
    lines = out.splitlines()
    assert lines[0].startswith("# 测试省2020年贫困县退出评估")
    assert "## 公告" in lines and "## 各县评估结论" in lines
    assert "- 贫困县数：3，已摘帽：3" in lines
    assert any(line.startswith("| 县代码 | 县名称 | 综合贫困发生率 |") for line in lines)


def test_out__text_goes_to_the_file_and_its_path_is_printed(marts, capsys, tmp_path):
    _, shown, _ = report(capsys, marts, "--batch", "test-2020", "--lang", "zh")
    target = tmp_path / "reports" / "test-2020.zh.txt"
    code, out, _ = report(
        capsys, marts, "--batch", "test-2020", "--lang", "zh", "--out", str(target)
    )
    assert code == 0
    assert out == f"wrote {target.resolve()}\n"
    assert target.read_text(encoding="utf-8") == shown
    assert [p.name for p in target.parent.iterdir()] == ["test-2020.zh.txt"]  # no temporary


def test_xlsx__written_beside_the_marts_by_default_and_the_path_printed(marts, capsys):
    for lang in ("en", "zh"):
        code, out, _ = report(
            capsys, marts, "--batch", "test-2020", "--format", "xlsx", "--lang", lang
        )
        expected = marts / "briefs" / f"test-2020.{lang}.xlsx"
        assert code == 0
        assert out == f"wrote {expected.resolve()}\n"
        assert expected.read_bytes()[:2] == b"PK"  # a zip: the workbook
    # no temporary file left beside them (the folder may hold other briefs)
    assert not [p for p in (marts / "briefs").iterdir() if p.name.startswith(".")]


def test_xlsx__default_language_is_english_and_out_names_the_file(marts, capsys, tmp_path):
    target = tmp_path / "book.xlsx"
    code, out, _ = report(
        capsys, marts, "--batch", "test-2020", "--format", "xlsx", "--out", str(target)
    )
    assert (code, out) == (0, f"wrote {target.resolve()}\n")
    assert target.is_file()


def test_html__write_html_gets_a_temporary_path_renamed_into_place(marts, capsys, monkeypatch):
    import pipeline.brief.html as html

    seen = []

    def fake(con, batch_id, lang, path):
        seen.append((batch_id, lang, path))
        path.write_text("<html>brief</html>", encoding="utf-8")

    monkeypatch.setattr(html, "write_html", fake)
    code, out, _ = report(capsys, marts, "--batch", "test-2020", "--format", "html", "--lang", "zh")
    expected = marts / "briefs" / "test-2020.zh.html"
    assert (code, out) == (0, f"wrote {expected.resolve()}\n")
    assert expected.read_text(encoding="utf-8") == "<html>brief</html>"
    [(batch_id, lang, path)] = seen
    assert (batch_id, lang) == ("test-2020", "zh")
    assert path.parent == expected.parent and path != expected and not path.exists()

    def broken(con, batch_id, lang, path):
        path.write_text("<html>half", encoding="utf-8")
        raise RuntimeError("boom")

    monkeypatch.setattr(html, "write_html", broken)
    code, _, err = report(capsys, marts, "--batch", "test-2020", "--format", "html", "--lang", "zh")
    assert code == 3 and err.startswith("internal error")
    # the page a reader had stays whole, and no temporary file is left beside it
    assert expected.read_text(encoding="utf-8") == "<html>brief</html>"
    assert not [p for p in expected.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--batch", "absent-2020"], "no published batch 'absent-2020'"),
        (["--batch", "Bad_Id"], "invalid batch id 'Bad_Id'"),
    ],
)
def test_errors__one_line_exit_2(marts, capsys, args, message):
    code, out, err = report(capsys, marts, *args)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err


def test_errors__no_marts_file_is_one_line_exit_2(tmp_path, capsys):
    assert main(["report", "--batch", "test-2020", "--marts", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "no published marts yet" in err[0]


def test_errors__an_unknown_language_or_format_is_refused(marts, capsys):
    assert main(["report", "--batch", "test-2020", "--lang", "fr"]) == 2
    assert main(["report", "--batch", "test-2020", "--format", "pdf"]) == 2


# --- the announcement of a batch where a county fails ------------------------------------------


def _announcement(capsys, marts, batch_id: str, lang: str) -> str:
    code, out, _ = report(capsys, marts, "--batch", batch_id, "--lang", lang)
    assert code == 0
    lines = out.splitlines()
    return lines[lines.index("公告" if lang == "zh" else "Announcement") + 1]


def test_failing_county__the_announcement_says_so_in_chinese(marts, capsys):
    text = _announcement(capsys, marts, "fail-2020", "zh")
    assert text.startswith("测试省批准乙县退出贫困县序列")
    assert "测试省3个贫困县中已有2个脱贫摘帽，尚有1个未摘帽" in text
    assert "错退率最高为100.00%（甲县）" in text
    assert (
        "甲县综合贫困发生率为5.00%（标准为低于3%），错退率为100.00%（标准为低于2%），"
        "未达到国家贫困县退出标准，不予退出"
    ) in text
    assert "其中1个县符合国家贫困县退出标准和要求" in text
    assert "AG01未建议甲县退出" in text
    assert "发现错退3人（甲县3人）" in text
    for claim in ("批准甲县", "全部实现脱贫摘帽", "均符合", "均建议退出", "未发现错退", "连续"):
        assert claim not in text, claim


def test_failing_county__the_announcement_says_so_in_english(marts, capsys):
    text = _announcement(capsys, marts, "fail-2020", "en")
    assert text.startswith("测试省 approved 乙县 to exit the list of poverty counties")
    assert "2 of the 3 poverty counties of 测试省 have now exited poverty, and 1 remains" in text
    assert (
        "甲县 does not meet the standard (comprehensive poverty incidence 5.00%, must be below "
        "3%; wrong-exit rate 100.00%, must be below 2%) and is not approved to exit (rejected)"
    ) in text
    assert "1 of the 2 counties meets the national standards" in text
    assert "AG01 did not recommend the exit of 甲县" in text
    assert "found 3 wrongly exited persons (甲县 3)" in text
    for claim in ("approved 2", "all 3", "All 2", "Both counties", "recommended their exit"):
        assert claim not in text, claim
    assert "no wrong exit" not in text and "consecutive" not in text


def test_failing_county__the_tables_show_the_decision_and_its_reason(marts, capsys):
    _, out, _ = report(capsys, marts, "--batch", "fail-2020")
    county = next(line for line in out.splitlines() if line.startswith("529901"))
    assert "  fails  " in county and county.endswith("rejected (verdict_fails)")
    _, out, _ = report(capsys, marts, "--batch", "fail-2020", "--lang", "zh")
    county = next(line for line in out.splitlines() if line.startswith("529901"))
    assert "  未达标  " in county and county.endswith("不予退出（评估未达标）")
