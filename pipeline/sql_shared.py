"""Repeated expressions of one SELECT computed once, in a projection beneath it.

ibis compiles some operations by repeating an argument: a substring from a computed position
becomes `CASE WHEN p + 1 >= 1 THEN p + 1 ELSE p + 1 + length(s) END`, and DuckDB evaluates
every copy. The check character of a resident id (`pipeline.schemas.raw.resident_id_valid`)
sums 17 digits that way, twice a row over millions of rows. Computing each repeated expression
once, as a column of a projection under the SELECT, halves that rule's cost without touching
the rule.

A repeated expression is moved only where it was already evaluated for every row: at least one
copy must lie outside the branches of a CASE and the later arguments of a COALESCE, so an
expression that could fail (an overflowing sum, a cast) fails on no row where it did not fail
before. Expressions holding a subquery, window, aggregate, lambda or random value stay put.
"""

from __future__ import annotations

from collections import defaultdict

from sqlglot import exp

SHARED_PREFIX = "_shared_"
# A cheaper expression (a column test, one function call) costs less to repeat than to carry;
# a regular expression's match is costly enough alone (the form of an id, tested by three rules).
MIN_FUNCTION_CALLS = 2
_COSTLY = (exp.RegexpLike, exp.RegexpILike, exp.RegexpExtract, exp.RegexpReplace)
_OWN_SCOPE = (exp.Subquery, exp.Select, exp.Lambda)
_NOT_MOVABLE = (*_OWN_SCOPE, exp.Window, exp.AggFunc, exp.Rand)
# Not work in themselves: what they choose between is.
_BRANCHING = (exp.Case, exp.If, exp.Coalesce)
_VOLATILE_FUNCTIONS = {"random", "uuid", "gen_random_uuid", "nextval"}
_LEAVES = (exp.Column, exp.Literal, exp.Identifier, exp.Star, exp.Null, exp.Boolean, exp.DataType)


def compute_shared_once(select: exp.Select, first_index: int = 0) -> exp.Select:
    """`select` with each repeated expression computed once beneath it (changed in place).

    Only a plain `SELECT ... FROM <one aliased table or subquery>` is rewritten; any other
    shape comes back as it was.
    """
    source = select.args.get("from_")
    if source is None or not _plain(select) or not source.this.alias:
        return select
    alias = source.this.alias
    shared: list[exp.Expression] = []
    while (repeated := _largest_repeated(select.expressions)) is not None:
        name = f"{SHARED_PREFIX}{first_index + len(shared)}"
        shared.append(exp.alias_(repeated[0].copy(), name, quoted=True))
        for copy in repeated:
            copy.replace(exp.column(name, table=alias, quoted=True))
    if shared:
        beneath = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(alias, True)))
        beneath = beneath.select(*shared).from_(source.this.copy())
        # What was moved may itself repeat a part (the digits of an id, read from one cast):
        # the projection beneath gets the same treatment.
        beneath = compute_shared_once(beneath, first_index + len(shared))
        _read_computed_beneath(select.expressions, _computed_beneath(beneath), alias)
        select.set("from_", exp.From(this=beneath.subquery(alias, copy=False)))
    return select


def _computed_beneath(beneath: exp.Select) -> dict[str, str]:
    """Each expression computed once at some depth of `beneath`, as printed, and its column."""
    computed: dict[str, str] = {}
    for node in beneath.find_all(exp.Alias):
        if isinstance(node.parent, exp.Select) and node.alias.startswith(SHARED_PREFIX):
            computed.setdefault(node.this.sql(), node.alias)
    return computed


def _read_computed_beneath(nodes: list[exp.Expression], computed: dict[str, str], alias: str):
    """Replace in `nodes` each copy of an expression computed beneath by a read of its column.

    A part of a moved expression can also stand on its own above it: the digits of an id are
    summed for its check character, which moves beneath, and compared with the birth date,
    which stays. Each level reads the columns of every level under it (`alias.*`), and what is
    computed there is computed for every row, so the copy left above is read, not evaluated.
    """
    for node in nodes:
        if isinstance(node, _OWN_SCOPE):
            continue
        name = computed.get(node.sql()) if not isinstance(node, (*_LEAVES, exp.Alias)) else None
        if name is not None:
            node.replace(exp.column(name, table=alias, quoted=True))
            continue
        _read_computed_beneath(list(node.iter_expressions()), computed, alias)


def _plain(select: exp.Select) -> bool:
    clauses = ("joins", "where", "group", "having", "qualify", "order", "limit", "distinct")
    return not any(select.args.get(clause) for clause in clauses)


def _largest_repeated(projections: list[exp.Expression]) -> list[exp.Expression] | None:
    """Every copy of the largest movable expression found more than once, or None."""
    copies: dict[int, list[exp.Expression]] = defaultdict(list)
    shapes: dict[tuple, int] = {}
    sizes: dict[int, int] = {}
    for projection in projections:
        _index(projection, shapes, copies, sizes)
    best = None
    for shape, found in copies.items():
        if len(found) < 2 or not _movable(found[0]):
            continue
        if not any(_always_evaluated(copy) for copy in found):
            continue
        if best is None or sizes[shape] > sizes[best]:
            best = shape
    return copies[best] if best is not None else None


def _index(node: exp.Expression, shapes: dict, copies: dict, sizes: dict) -> tuple[int, int]:
    """The shape id and size of `node`, recording every node under it by shape.

    A shape is the node's type and arguments with each child replaced by its shape id, so two
    nodes share one exactly when they print the same (sqlglot's own equality ignores case).
    A subquery or lambda reads names of its own scope: it is one opaque shape, and nothing in
    it is recorded.
    """
    if isinstance(node, _OWN_SCOPE):
        shape = shapes.setdefault((type(node).__name__, node.sql()), len(shapes))
        return shape, 1
    parts: list = [type(node).__name__]
    size = 1
    for name in sorted(node.args):
        value = node.args[name]
        if isinstance(value, exp.Expression):
            child, child_size = _index(value, shapes, copies, sizes)
            parts.append((name, child))
            size += child_size
        elif isinstance(value, list):
            children = []
            for item in value:
                if isinstance(item, exp.Expression):
                    child, child_size = _index(item, shapes, copies, sizes)
                    children.append(child)
                    size += child_size
                else:
                    children.append(("value", item))
            parts.append((name, tuple(children)))
        else:
            parts.append((name, value))
    shape = shapes.setdefault(tuple(parts), len(shapes))
    copies[shape].append(node)
    sizes[shape] = size
    return shape, size


def _movable(node: exp.Expression) -> bool:
    if isinstance(node, (*_LEAVES, exp.Paren, exp.Alias)):
        return False
    calls = 0
    for inner in node.walk():
        if isinstance(inner, _NOT_MOVABLE):
            return False
        if isinstance(inner, exp.Anonymous) and inner.name.lower() in _VOLATILE_FUNCTIONS:
            return False
        if isinstance(inner, exp.Column) and inner.name.startswith(SHARED_PREFIX):
            return False  # computed beside it, in the same projection
        calls += isinstance(inner, exp.Func) and not isinstance(inner, _BRANCHING)
        calls += MIN_FUNCTION_CALLS * isinstance(inner, _COSTLY)
    return calls >= MIN_FUNCTION_CALLS


def _always_evaluated(node: exp.Expression) -> bool:
    """Whether DuckDB evaluates `node` for every row its projection reads.

    DuckDB evaluates both sides of AND and OR in a projection; it skips a CASE branch, a
    later WHEN and a COALESCE argument after the first for rows that do not reach them.
    """
    child, parent = node, node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        if isinstance(parent, exp.If) and child is not parent.this:
            return False
        case = parent.parent
        if (
            isinstance(parent, exp.If)
            and isinstance(case, exp.Case)
            and case.args["ifs"][0] is not parent
        ):
            return False
        if isinstance(parent, exp.Case) and child is parent.args.get("default"):
            return False
        if isinstance(parent, exp.Coalesce) and child is not parent.this:
            return False
        child, parent = parent, parent.parent
    return True
