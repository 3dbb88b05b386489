"""How a raw file's tables are named in each layer: one base name, one rule.

A raw file `<base>.csv` (or `.xlsx`, `.csv.gz`) is the raw relation `raw_<base>` and the staging
table `stg_<base>`; both are also their Dagster asset keys. Marts have names of their own
(SPEC section 4); tables starting with `_` are intermediates, never published.
"""

LAYER_PREFIX = {"raw": "raw_", "staging": "stg_"}


def layer_name(base: str, layer: str) -> str:
    """The table of raw file `base` in `layer`: raw_<base>, stg_<base>."""
    return LAYER_PREFIX[layer] + base
