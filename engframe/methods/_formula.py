"""Derived metrics as data: a formula is a ratio of two weighted sums of components.

A ratio of sums is the only shape of formula that stays right at every grain: sum the
numerator's and the denominator's components over whatever rows a group holds, then
divide once (MetricFlow's ratio metrics). That is why a :class:`Formula` keeps its two sums
apart instead of holding a Python callable. The catalogue's methods define theirs with it
(:mod:`engframe.methods.engactivity` ...); :mod:`engframe.derive` evaluates them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, TypeAlias

from engframe.errors import MetricError
from engframe.limits import MAX_METRICS

__all__ = [
    "HOURS",
    "Formula",
    "Terms",
    "formula",
]

#: The pseudo-component "hours of the period" [h]: the length of the periods a group
#: covers, counted once per period (not once per skill or agent). See ``derive``.
HOURS: Final = "hours"

#: How a caller may spell a weighted sum: one name, several names (each weight 1),
#: or a mapping of name to weight.
Terms: TypeAlias = str | Sequence[str] | Mapping[str, float]


def _as_terms(terms: Terms | None, *, where: str) -> Mapping[str, float]:
    if terms is None:
        return MappingProxyType({})
    if isinstance(terms, str):
        pairs: dict[str, float] = {terms: 1.0}
    elif isinstance(terms, Mapping):
        pairs = {}
        for name, weight in terms.items():
            if not isinstance(weight, int | float) or isinstance(weight, bool):
                raise MetricError(f"{where}: weight of {name!r} must be a number, found {weight!r}")
            pairs[name] = float(weight)
    elif isinstance(terms, Sequence):
        pairs = {}
        for name in terms:
            pairs[name] = pairs.get(name, 0.0) + 1.0
    else:
        raise MetricError(
            f"{where}: expected a metric name, a list of names or a mapping of name to weight, "
            f"found {type(terms).__name__}"
        )
    for name in pairs:
        if not isinstance(name, str) or not name:
            raise MetricError(f"{where}: component names must be non-empty strings, found {name!r}")
    return MappingProxyType(pairs)


@dataclass(frozen=True, slots=True)
class Formula:
    """A derived metric: ``scale * sum(numerator) / sum(denominator)``.

    Components are metric names of the tidy frame (``totalHandlingTime``...) or
    :data:`HOURS`. With no denominator the metric is the scaled weighted sum itself.

    Attributes
    ----------
    name : str
        The ``metric`` value the derived rows get.
    numerator, denominator : mapping of str to float
        Component name to weight; an empty denominator means "no division".
    unit : str
        Unit of the result, for axis labels and documentation (``"s"``, ``"chats"``...).
    description : str
        One sentence saying what the metric means.
    scale : float
        Factor applied after dividing (``100`` for a percentage, ``1/60`` for minutes).
    label : str
        Plain words for charts and tables ("Average interactive handling time"); the
        name when empty.
    """

    name: str
    numerator: Mapping[str, float]
    denominator: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    unit: str = ""
    description: str = ""
    scale: float = 1.0
    label: str = ""

    @property
    def title(self) -> str:
        """The plain-words label, else the name."""
        return self.label or self.name

    @property
    def components(self) -> tuple[str, ...]:
        """Every component the formula reads, numerator first, without repeats."""
        return tuple(dict.fromkeys([*self.numerator, *self.denominator]))

    @property
    def is_ratio(self) -> bool:
        """Whether the formula divides (so a zero denominator gives a missing value)."""
        return bool(self.denominator)

    def __str__(self) -> str:
        top = _show(self.numerator)
        text = f"{top} / {_show(self.denominator)}" if self.is_ratio else top
        if self.scale != 1.0:
            text = f"{self.scale:g} * {text}"
        return f"{self.name} = {text}" + (f"  [{self.unit}]" if self.unit else "")


def _show(terms: Mapping[str, float]) -> str:
    parts = [name if weight == 1.0 else f"{weight:g}*{name}" for name, weight in terms.items()]
    return parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"


def formula(
    name: str,
    numerator: Terms,
    denominator: Terms | None = None,
    *,
    unit: str = "",
    description: str = "",
    scale: float = 1.0,
    label: str = "",
) -> Formula:
    """Define a derived metric of your own, usable wherever a built-in one is.

    ``numerator`` may also be a whole expression as text, ``"a / (b + c)"``: sums and
    differences of components, each optionally times a number, divided at most once.
    Anything else (a product of two components, a division inside a sum) is refused,
    because it would not stay a ratio of sums.

    Parameters
    ----------
    name : str
        The ``metric`` value of the derived rows; must not be empty.
    numerator : str, sequence of str, mapping of str to float, or expression text
        What to sum on top.
    denominator : same as numerator, optional
        What to sum below; omit for a plain weighted sum.
    unit : str
        Unit of the result [free text, used for axis labels].
    description : str
        What the metric means.
    scale : float
        Factor applied after dividing.
    label : str
        Plain words for charts and tables (default: the name).

    Returns
    -------
    Formula

    Raises
    ------
    MetricError
        If the name is empty, a weight is not a number, or an expression is not a ratio
        of two weighted sums.

    Examples
    --------
    >>> from engframe.methods import formula
    >>> aht_min = formula("ahtMinutes", "totalHandlingTime / totalInteractiveChats",
    ...                   unit="min", scale=1 / 60)
    >>> aht_min.components
    ('totalHandlingTime', 'totalInteractiveChats')
    >>> str(formula("handled", ["totalInteractiveChats", "totalNonInteractiveChats"]))
    'handled = (totalInteractiveChats + totalNonInteractiveChats)'
    """
    where = f"formula {name!r}"
    if not isinstance(name, str) or not name:
        raise MetricError(f"formula: name must be a non-empty string, found {name!r}")
    if isinstance(numerator, str) and denominator is None and not numerator.isidentifier():
        top, bottom = _parse(numerator, where=where)
        return Formula(name, top, bottom, unit, description, float(scale), label)
    return Formula(
        name,
        _as_terms(numerator, where=f"{where} numerator"),
        _as_terms(denominator, where=f"{where} denominator"),
        unit,
        description,
        float(scale),
        label,
    )


#: The most components a formula's text may name (the flattener keeps at most as many
#: metrics, :data:`engframe.limits.MAX_METRICS`).
MAX_TERMS: Final = MAX_METRICS
_NAMES: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _quote(text: str) -> str:
    """``text`` quoted for a message, shortened when long."""
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _parse(text: str, *, where: str) -> tuple[Mapping[str, float], Mapping[str, float]]:
    terms = len(_NAMES.findall(text))
    if terms > MAX_TERMS:
        raise MetricError(f"{where}: the expression names {terms:,} components; a formula "
                          f"holds at most {MAX_TERMS:,}")
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise MetricError(f"{where}: cannot parse {_quote(text)}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise MetricError(f"{where}: the expression is nested too deeply to read") from None
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div):
        return _linear(tree.left, text, where), _linear(tree.right, text, where)
    return _linear(tree, text, where), MappingProxyType({})


def _linear(node: ast.expr, text: str, where: str) -> Mapping[str, float]:
    terms: dict[str, float] = {}
    order = {name: i for i, name in enumerate(dict.fromkeys(_NAMES.findall(text)))}
    # an explicit stack, not recursion: "a + b + ... " is a left-deep tree as long as the text
    pending: list[tuple[ast.expr, float]] = [(node, 1.0)]
    while pending:
        part, sign = pending.pop()
        if isinstance(part, ast.Name):
            terms[part.id] = terms.get(part.id, 0.0) + sign
        elif isinstance(part, ast.BinOp) and isinstance(part.op, ast.Add | ast.Sub):
            pending.append((part.right, sign if isinstance(part.op, ast.Add) else -sign))
            pending.append((part.left, sign))
        elif isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.USub):
            pending.append((part.operand, -sign))
        elif isinstance(part, ast.BinOp) and isinstance(part.op, ast.Mult):
            number, name = (part.left, part.right)
            if isinstance(name, ast.Constant):
                number, name = name, number
            if not (isinstance(number, ast.Constant) and isinstance(number.value, int | float)
                    and isinstance(name, ast.Name)):
                raise MetricError(
                    f"{where}: {_quote(text)}: only a number times a component may be multiplied"
                )
            terms[name.id] = terms.get(name.id, 0.0) + sign * float(number.value)
        else:
            raise MetricError(
                f"{where}: {_quote(text)}: expected sums of components divided at most once, "
                f"found {ast.unparse(part)!r}"
            )
    return MappingProxyType(dict(sorted(terms.items(), key=lambda item: order[item[0]])))
