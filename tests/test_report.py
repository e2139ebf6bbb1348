"""The report: built only from the records, written as HTML, Word, Markdown, JSON and CSV,
extensible through the renderer and section hooks."""

from __future__ import annotations

import csv
import math
import re
import types
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from mdsrs_core import hookimpl, load_example
from mdsrs_core.cli import main
from mdsrs_core.endpoint import Endpoint
from mdsrs_core.plugins import Registry
from mdsrs_core.records import records_from_json
from mdsrs_core.report.document import Paragraph, Section, Table
from mdsrs_core.report.formatting import fmt_num, fmt_p, fmt_pct
from mdsrs_core.report.write import write_report
from mdsrs_core.runner import run

ROOT = Path(__file__).resolve().parents[1]
SUMMARY_ID = "table-summary-of-the-between-arm-comparisons"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    """``mdsrs run`` on the example cohort, every format."""
    out = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(
        main, ["run", "--out", str(out), "--format", "md,html,docx,csv"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def records(report_dir):
    return records_from_json((report_dir / "results.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ helpers


class _Tables(HTMLParser):
    """Collects the text of every cell of every <table> by the table's id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.row_tags: dict[str, list[str | None]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("id", "")
            self.tables[self._table] = []
            self.row_tags[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
            self.row_tags[self._table].append(dict(attrs).get("data-tag"))
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_tables(text: str, tags: bool = False):
    """The tables of an HTML text by id (and, with ``tags``, each row's ``data-tag``)."""
    parser = _Tables()
    parser.feed(text)
    return (parser.tables, parser.row_tags) if tags else parser.tables


def formatted_values(records) -> set[str]:
    """Every way the report formats a record's number."""
    out: set[str] = set()
    for r in records:
        v = r.value
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            continue
        out.update(fmt_num(v, d) for d in range(4))
        out.update(fmt_pct(v, d) for d in (1, 2))
        out.add(fmt_p(v))
        if float(v).is_integer():
            out.add(str(int(v)))
    return out


_NUMBER = re.compile(r"<?-?\d+(?:\.\d+)?%?")


def unmatched(cells, records) -> list[str]:
    """The numeric tokens of ``cells`` that no record formats to."""
    known = formatted_values(records)
    return [t for c in cells for t in _NUMBER.findall(c) if t not in known]


def record(records, endpoint, variable, stat, arm=None, level=None):
    found = [
        r
        for r in records
        if (r.endpoint, r.variable, r.stat, r.arm, r.level)
        == (endpoint, variable, stat, arm, level)
    ]
    assert len(found) == 1, (endpoint, variable, stat, arm, level, found)
    return found[0]


# ------------------------------------------------------------------ files


def test_run_writes_every_format(report_dir):
    for name in ("results.json", "results.csv", "report.html", "report.docx", "report.md"):
        assert (report_dir / name).stat().st_size > 0, name
    svgs = sorted((report_dir / "report_files").glob("*.svg"))
    assert svgs, "no figure written beside report.md"
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# mdsrs report")
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    for svg in svgs:  # every figure file is linked, relatively, and is the HTML's drawing
        assert f"](report_files/{svg.name})" in md
        assert f'<figure id="{svg.stem}">' in html
        assert "<svg" in svg.read_text(encoding="utf-8")


def test_default_formats_and_unknown_format(tmp_path):
    out = CliRunner().invoke(main, ["run", "--only", "response", "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "report.html",
        "report.md",
        "results.json",
    ]
    assert out.stderr == ""  # no progress display when stderr is not a terminal
    bad = CliRunner().invoke(main, ["run", "--format", "pdf", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2
    assert "unknown format pdf; available: html, docx, md, json, csv" in bad.output


def test_csv_holds_the_records(report_dir, records):
    with open(report_dir / "results.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(records)
    for row, r in zip(rows, records, strict=True):
        assert (row["endpoint"], row["variable"], row["stat"]) == (r.endpoint, r.variable, r.stat)
        if isinstance(r.value, float) and math.isfinite(r.value):
            assert float(row["value"]) == r.value  # full precision


def test_run_records_settings_software_and_formulas(records):
    assert record(records, "run", "setting", "alpha").value == 0.05
    versions = {r.stat for r in records if r.endpoint == "run" and r.variable == "software"}
    assert {"python", "mdsrs", "numpy", "pandas", "scipy", "statsmodels", "patsy"} <= versions
    assert record(records, "os", "formula", "cox").value == "Surv(os_months, death) ~ arm"
    assert record(records, "hematology", "formula", "hgb").value == "hgb_post ~ arm + hgb_base"


# ------------------------------------------------------------------ HTML


def test_every_number_of_the_html_summary_table_comes_from_a_record(report_dir, records):
    text = (report_dir / "report.html").read_text(encoding="utf-8")
    tables, tags = html_tables(text, tags=True)
    header, body, endpoints = tables[SUMMARY_ID][0], tables[SUMMARY_ID][1:], tags[SUMMARY_ID][1:]
    assert len(body) >= 10  # response, 3 labs, IPSS-R, 2 AE, 2 AML, OS
    assert set(endpoints) == {"response", "hematology", "ipssr", "adverse_events", "aml", "os"}
    text_columns = ("Measure", "Test of the estimate", "Primary test", "Between-arm effect")
    numeric_columns = [i for i, h in enumerate(header) if h not in text_columns]
    assert unmatched(header[1:3], [r for r in records if r.variable == "flow"]) == []
    n_tokens = 0
    for row, endpoint in zip(body, endpoints, strict=True):
        own = [r for r in records if r.endpoint == endpoint]  # the row's own endpoint
        cells = [row[i] for i in numeric_columns]
        n_tokens += sum(len(_NUMBER.findall(c)) for c in cells)
        assert unmatched(cells, own) == [], (endpoint, row)
    assert n_tokens > 60
    # the check can fail: a number no record of the endpoint holds is caught
    response_records = [r for r in records if r.endpoint == "response"]
    assert unmatched(["12/24 (50.1%)", "0.0333"], response_records) == ["50.1%", "0.0333"]
    # the rows mirror the abstract
    response = next(r for r in body if r[0].startswith("Responder rate"))
    assert response[1:3] == ["9/38 (23.7%)", "12/24 (50.0%)"]
    os_row = next(r for r in body if r[0].startswith("Overall survival at 60 months"))
    assert os_row[1:3] == ["44.7%", "75.0%"]


def test_summary_pairs_every_estimate_with_its_own_test(report_dir, records):
    """The p-value beside an estimate is that estimate's test; the endpoint's primary test
    (log-rank, Gray's, the test gtsummary's rule chose) has columns of its own."""
    text = (report_dir / "report.html").read_text(encoding="utf-8")
    table = html_tables(text)[SUMMARY_ID]
    header, body = table[0], table[1:]
    col = {h: header.index(h) for h in header}
    p, test = col["p-value"], col["Test of the estimate"]
    primary, primary_p = col["Primary test"], col["Primary test p-value"]
    term = "arm[T.lenalidomide]"

    def row(prefix):
        return next(r for r in body if r[0].startswith(prefix))

    expected = {
        # measure: (own p record, own test, primary p record, primary test)
        "Responder rate": (
            ("response", "responder", term),
            "Wald test (logistic regression)",
            ("response", "responder", "chosen_test"),
            "Pearson's Chi-squared test",
        ),
        "Transformation to AML, n/N": (
            ("aml", "aml", term),
            "Wald test (logistic regression)",
            ("aml", "aml", "chosen_test"),
            "Fisher's exact test",
        ),
        "Cumulative incidence of AML": (
            ("aml", "aml_subdistribution", term),
            "Wald test (Fine-Gray model)",
            ("aml", "aml_cif", "gray_test"),
            "Gray's test",
        ),
        "Overall survival": (
            ("os", "os_cox", term),
            "Wald test (Cox model)",
            ("os", "os_logrank", None),
            "Log-rank test",
        ),
    }
    for prefix, (own, own_test, prim, prim_test) in expected.items():
        r = row(prefix)
        assert r[p] == fmt_p(record(records, own[0], own[1], "p_value", level=own[2]).value)
        assert r[test] == own_test
        assert r[primary] == prim_test
        assert r[primary_p] == fmt_p(
            record(records, prim[0], prim[1], "p_value", level=prim[2]).value
        )
    # the AML odds ratio is shown with its own Wald p (0.375), not Fisher's (0.511)
    assert row("Transformation to AML, n/N")[p] == "0.375"
    assert row("Transformation to AML, n/N")[primary_p] == "0.511"
    # where the estimate's test is the endpoint's test, the primary columns stay empty
    hgb = row("HGB after treatment")
    assert hgb[test] == "t-test (ANCOVA)" and hgb[primary] == hgb[primary_p] == ""
    assert hgb[p] == fmt_p(record(records, "hematology", "hgb", "p_value", level=term).value)
    # a conclusion that depends on the test is a lettered footnote of its row
    assert row("Responder rate")[0].endswith("ᵃ")
    caveat = "ᵃ The conclusion depends on the test: Pearson's Chi-squared test p = 0.033"
    assert escape(caveat) in text


def test_html_is_self_contained(report_dir):
    text = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "<link" not in text.lower()
    assert text.count("<svg") >= 1  # the forest plot at least, inline
    assert "Content-Security-Policy" in text


def test_methods_warnings_and_flow_are_in_the_report(report_dir, records):
    text = (report_dir / "report.html").read_text(encoding="utf-8")
    methods = {r.method for r in records if r.endpoint == "os" and r.method}
    assert methods and all(escape(m) in text for m in methods)
    version = record(records, "run", "software", "statsmodels").value
    assert f"statsmodels {version}" in text
    for r in records:  # every note of every endpoint
        if r.variable == "endpoint" and r.stat == "note":
            assert escape(str(r.value)) in text
    flow = html_tables(text)["table-patient-flow-response"]
    assert flow[-1] == ["Analysed", "38", "24", "62"]


# ------------------------------------------------------------------ Word


def _docx_tables(path):
    import docx

    document = docx.Document(str(path))
    return document, [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]


def test_docx_tables_equal_the_records(report_dir, records):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document, tables = _docx_tables(report_dir / "report.docx")
    from mdsrs_baseline.table import style_percent
    from mdsrs_core.report.formatting import style_pvalue

    table1 = next(t for t in tables if t[0][0] == "Characteristic")
    age = next(row for row in table1 if row[0] == "Age, years")
    # superscripts are superscript runs in Word: the letter itself in the cell's text
    assert age[4] == style_pvalue(record(records, "baseline", "age", "p_value").value) + "a"
    sex_f = table1[[row[0] for row in table1].index("Sex") + 1]
    n = record(records, "baseline", "sex", "n", arm="thalidomide", level="F").value
    p = record(records, "baseline", "sex", "p", arm="thalidomide", level="F").value
    assert sex_f[0] == "F" and sex_f[2] == f"{n} ({style_percent(p)}%)"
    # the whole of Table 1 is the baseline endpoint's formatting of its records
    from mdsrs_core.plugins import get_registry

    expected = (
        get_registry()
        .endpoints["baseline"]
        .tables([r for r in records if r.endpoint == "baseline"])["Table 1"]
    )
    plain = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹ᵃᵇᶜᵈ", "0123456789abcd")
    assert [row[1:] for row in table1[1:]] == [
        [c.translate(plain) for c in row] for row in expected.astype(str).values.tolist()
    ]

    summary = next(t for t in tables if t[0][0] == "Measure")
    p_column = summary[0].index("p-value")
    p_values = {fmt_p(r.value) for r in records if r.stat == "p_value"}
    assert all(row[p_column] in p_values for row in summary[1:])
    aml = next(row for row in summary if row[0].startswith("Transformation to AML"))
    assert aml[p_column] == fmt_p(
        record(records, "aml", "aml", "p_value", level="arm[T.lenalidomide]").value
    )
    assert aml[summary[0].index("Primary test p-value")] == fmt_p(
        record(records, "aml", "aml", "p_value", level="chosen_test").value
    )
    # journal layout: numbers right-aligned, header row repeated on each page
    word_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Measure")
    cell = word_table.rows[1].cells[p_column]
    assert cell.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert word_table.rows[1].cells[0].paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT
    assert "w:tblHeader" in word_table.rows[0]._tr.xml


def test_docx_has_titles_and_300_dpi_figures(report_dir):
    document, _ = _docx_tables(report_dir / "report.docx")
    texts = ["".join(p._p.xpath(".//w:t/text()")) for p in document.paragraphs]
    assert "Table 1. Summary of the between-arm comparisons." in texts
    assert any(t.endswith(". Table 1.") for t in texts)  # Table 1 of the baseline endpoint
    pictures = document.inline_shapes
    assert len(pictures) >= 1
    blob = pictures[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    image = document.part.related_parts[blob].image
    assert (image.horz_dpi, image.vert_dpi) == (300, 300)
    assert image.px_width >= 1500  # a print-resolution figure, not a screen one


# ------------------------------------------------------------------ hooks


class _Failing(Endpoint):
    name = "always_fails"
    title = "Always fails"

    def analyze(self, cohort, config):
        raise RuntimeError("no luck")


class _ReportPlugin:
    """A plugin object: a text format, a section, and an endpoint that fails."""

    @hookimpl
    def mdsrs_register_endpoints(self, register):
        register(_Failing())

    @hookimpl
    def mdsrs_register_renderers(self, register):
        def render_txt(document, path):
            path.write_text(
                "\n".join([document.title, *document.subtitle]) + "\n", encoding="utf-8"
            )

        register("txt", ".txt", render_txt)

    @hookimpl
    def mdsrs_report_sections(self, run, add):
        deaths = {
            r.arm: r.value
            for r in run.records
            if r.endpoint == "os" and r.variable == "os" and r.stat == "n_event"
        }
        add(
            Section(
                "Deaths by arm (plugin)",
                [
                    Paragraph("Added by a plugin."),
                    Table("Deaths", ["Arm", "Deaths"], [[a, str(k)] for a, k in deaths.items()]),
                ],
            )
        )


class _BrokenReportPlugin:
    @hookimpl
    def mdsrs_report_sections(self, run, add):
        raise ValueError("section hook broke")

    @hookimpl
    def mdsrs_register_renderers(self, register):
        def broken(document, path):
            raise OSError("disk full")

        register("broken", ".broken", broken)


@pytest.fixture
def registry():
    reg = Registry()
    reg.load_entry_points()
    return reg


def test_a_plugin_adds_a_format_and_a_section(registry, tmp_path):
    info = registry.register(_ReportPlugin())
    assert info.error is None
    result = run(load_example(), only=["os", "always_fails"], registry=registry)
    written = write_report(result, tmp_path, ["txt", "html", "md"], registry=registry)
    assert [(w.format, w.error) for w in written] == [
        ("json", None),
        ("txt", None),
        ("html", None),
        ("md", None),
    ]
    assert (tmp_path / "report.txt").read_text(encoding="utf-8").startswith("mdsrs report\n")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Deaths by arm (plugin)" in html
    deaths = html_tables(html)["table-deaths"]
    assert deaths[1:] == [["thalidomide", "23"], ["lenalidomide", "7"]]
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Always fails (`always_fails`)" in md
    assert "**Failed**: RuntimeError: no luck" in md
    assert "Endpoints that failed: always_fails" in md


def test_a_broken_renderer_or_section_costs_only_itself(registry, tmp_path):
    registry.register(_BrokenReportPlugin())
    result = run(load_example(), only=["response"], registry=registry)
    written = {
        w.format: w for w in write_report(result, tmp_path, ["broken", "html"], registry=registry)
    }
    assert "OSError: disk full" in written["broken"].error
    assert written["html"].error is None
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "section hook broke" in html  # named in the run status


def test_builtin_formats_come_through_the_hook(registry):
    renderers = registry.renderers()
    assert {n: r.plugin for n, r in renderers.items()} == {
        n: "mdsrs-report" for n in ("html", "docx", "md", "json", "csv")
    }
    assert renderers["json"].filename() == "results.json"
    assert renderers["html"].filename() == "report.html"


def test_docs_example_plugin_works(tmp_path):
    """The example in docs/report.md, run as it is written there."""
    text = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    code = re.search(
        r"<!-- tested: tests/test_report.py -->\s*```python\n(.*?)```", text, re.DOTALL
    ).group(1)
    module = types.ModuleType("mdsrs_docs_example")
    exec(compile(code, "docs/report.md", "exec"), module.__dict__)
    reg = Registry()
    reg.load_entry_points()
    assert reg.register(module).error is None
    result = run(load_example(), only=["os"], registry=reg)
    written = write_report(result, tmp_path, ["html", "txt"], registry=reg)
    assert all(w.error is None for w in written)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Deaths by arm" in html
    assert html_tables(html)["table-deaths-by-arm"][1:] == [
        ["thalidomide", "23", "38"],
        ["lenalidomide", "7", "24"],
    ]
    assert "mdsrs report" in (tmp_path / "report.txt").read_text(encoding="utf-8")


def test_every_exclusion_is_in_the_patient_flow(make_frame, tmp_path):
    from mdsrs_core import Cohort
    from mdsrs_core.report.build import build_document

    frame = make_frame()
    frame.loc[0, "response"] = None  # P1, arm "len"
    result = run(Cohort(frame, reference="thal"), only=["response"])
    flow = [t for t in build_document(result).tables() if t.title == "Patient flow (response)"]
    assert flow[0].header == ["", "thal", "len", "Total"]
    assert flow[0].rows == [
        ["Patients in the cohort", "4", "4", "8"],
        ["Excluded: response missing", "0", "1", "1"],
        ["Analysed", "4", "3", "7"],
    ]
    assert flow[0].footnotes == ["Patients excluded: P1 (len)."]
    excluded = [r for r in result.records if r.endpoint == "response" and r.stat == "n_excluded"]
    assert [(r.arm, r.level, r.value) for r in excluded] == [("len", "response missing", 1)]
