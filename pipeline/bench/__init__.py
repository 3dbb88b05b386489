"""The benches: `make bench`, `make bench-national` and `make bench-scales`.

Every measured command (the generator, `povexit run`, the DuckDB floor) runs as its own child
process, so its wall time and peak resident memory (`wait4`'s ru_maxrss) are its own. Generated
batches are kept under the bench folder (`.bench/`, not tracked) and reused while scale and
seed are unchanged; the report is printed and written to `.bench/results*.md` (markdown, to
paste) and `.json`.

    python -m pipeline.bench [--scale 1] [--repeat 3]   run vs floor, median, Dagster steps
    python -m pipeline.bench --national [--scale 10]     one large run: wall, peak, disk
    python -m pipeline.bench --scales 1,3,10            one run per scale: does the peak grow
"""
