"""The quantile functions the SQL models call (SPEC 3.5), registered on a DuckDB connection.

The design-based intervals are sums and ratios, computed in SQL (`sql/marts/_indicator_design.sql`,
`sql/marts/indicator_confidence.sql`); only two quantile functions need a numerical library,
and they come from scipy:

- `povexit_t_quantile(p, df)`: Student's t quantile, `scipy.special.stdtrit(df, p)`
- `povexit_beta_quantile(p, a, b)`: the inverse beta, `scipy.special.betaincinv(a, b, p)`

These are the functions `scipy.stats.t.ppf` and `scipy.stats.beta.ppf` evaluate, called
directly: `scipy.stats` takes 2 s to import, `scipy.special` 0.3 s, once per process and only
on the first call (a connection that never calls them does not pay for it). DuckDB reads the
functions' annotations, so they name types imported at the top. Both are
vectorised (DuckDB hands them Arrow arrays, a chunk of rows at a time) and return NULL where
an argument is NULL or the quantile is undefined (scipy's NaN), never NaN.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

T_QUANTILE = "povexit_t_quantile"
BETA_QUANTILE = "povexit_beta_quantile"


def _values(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A float array of the values, NULL as NaN."""
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)


def _result(values: np.ndarray) -> pa.Array:
    """NaN (a NULL argument or an undefined quantile) as NULL."""
    return pa.array(values, type=pa.float64(), from_pandas=True)


def t_quantile(p: pa.Array, df: pa.Array) -> pa.Array:
    from scipy import special

    with np.errstate(invalid="ignore"):
        return _result(special.stdtrit(_values(df), _values(p)))


def beta_quantile(p: pa.Array, a: pa.Array, b: pa.Array) -> pa.Array:
    from scipy import special

    with np.errstate(invalid="ignore"):
        return _result(special.betaincinv(_values(a), _values(b), _values(p)))


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Define the quantile functions for `con` (once per connection)."""
    for name, function, parameters in (
        (T_QUANTILE, t_quantile, ["DOUBLE", "DOUBLE"]),
        (BETA_QUANTILE, beta_quantile, ["DOUBLE", "DOUBLE", "DOUBLE"]),
    ):
        con.create_function(
            name,
            function,
            parameters,
            "DOUBLE",
            type="arrow",
            # NULLs are passed in and handled here (NaN in, NULL out)
            null_handling="special",
        )
