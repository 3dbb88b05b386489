"""The batch's brief, written from the published marts: the offline HTML page and the office
workbook, in Chinese and in English, under <marts>/briefs/<batch_id>.<lang>.html|xlsx.

Each file is written beside its final name and renamed into place, as the marts are, so a
reader (a browser, Excel, a file share) never sees half of one."""

import dagster as dg

from pipeline import warehouse
from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.settings import marts_path

BRIEF_LANGUAGES = ("zh", "en")
BRIEF_FORMATS = ("html", "xlsx")


@dg.asset(
    name="brief",
    group_name="published",
    partitions_def=BATCH_PARTITIONS,
    # the batch's marts, and the province tables its history reads
    deps=["exit_assessment", "province_progress", "poverty_trajectory"],
    kinds={"html", "excel"},
    description=(
        "The batch's brief from the published marts: a self-contained offline HTML page with "
        "charts and an xlsx workbook, each in Chinese and English "
        "(<marts>/briefs/<batch_id>.<lang>.html|xlsx)."
    ),
)
def brief(context: dg.AssetExecutionContext, paths: PovexitPaths) -> dg.MaterializeResult:
    # Imported here: the brief's modules (Altair, vl-convert, xlsxwriter) load only to write it.
    from pipeline.brief.html import write_html
    from pipeline.brief.output import default_path, write_atomically
    from pipeline.brief.workbook import write_workbook

    batch_id = context.partition_key
    writers = {"html": write_html, "xlsx": write_workbook}
    metadata: dict = {}
    # A reader of the marts as any client is: a publish renaming a new file over it meanwhile
    # leaves this connection on the file it opened, so the brief is of one publish.
    with warehouse.connect(marts_path(paths.marts), read_only=True) as con:
        for lang in BRIEF_LANGUAGES:
            for fmt in BRIEF_FORMATS:
                target = default_path(paths.marts, batch_id, lang, fmt)
                write_atomically(
                    target,
                    lambda path, write=writers[fmt], lang=lang: write(con, batch_id, lang, path),
                )
                metadata[f"{fmt}_{lang}"] = dg.MetadataValue.path(str(target.resolve()))
                metadata[f"{fmt}_{lang}_bytes"] = target.stat().st_size
    return dg.MaterializeResult(metadata=metadata)
