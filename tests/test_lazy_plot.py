"""The plots of a history (its folder, or engframe.scan) draw what they draw in memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest

import engframe
from engframe import plot
from tests.test_lazy_derive import BASE_MS, MINUTE, simulated_history

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plans = [(BASE_MS + h * 60 * MINUTE + 7_123, 5, 1440) for h in (0, 20)]
    return simulated_history(tmp_path_factory.mktemp("history"), plans)


def _drawn(ax: Any) -> list[tuple[str, np.ndarray, np.ndarray]]:
    return [(line.get_label(), np.asarray(line.get_xdata()),
             np.asarray(line.get_ydata(), np.float64)) for line in ax.get_lines()]


def _texts(ax: Any) -> list[str]:
    return [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(),
            *(t.get_text() for t in ax.texts), *(t.get_text() for t in ax.get_yticklabels())]


@pytest.mark.parametrize("options", [
    {"metric": "avgInteractiveHandlingTime", "by": "agent", "top": 3},
    {"metric": "totalChats", "by": "skill", "grain": "hour"},
    {"metric": "connectedEngagementsPerHour", "grain": "day", "tz": "Europe/Paris"},
    {"metric": "avgHandlingTime", "by": "agent_group", "grain": "hour", "partial": "omit"},
])
def test_a_time_series_of_a_history_is_drawn_as_in_memory(history: Path,
                                                           options: dict) -> None:
    import matplotlib.pyplot as plt

    options = dict(options)
    metric = options.pop("metric")
    expected = plot.timeseries(engframe.read_dataset(history, names=True), metric, **options)
    got = plot.timeseries(engframe.scan(history), metric, **options)
    assert _texts(got) == _texts(expected)
    assert got.get_legend_handles_labels()[1] == expected.get_legend_handles_labels()[1]
    for (label, x, y), (label_e, x_e, y_e) in zip(_drawn(got), _drawn(expected), strict=True):
        assert label == label_e
        assert np.array_equal(x, x_e)
        np.testing.assert_allclose(y, y_e, rtol=1e-12)
    plt.close("all")


@pytest.mark.parametrize(("metric", "by"), [("avgInteractiveHandlingTime", "agent"),
                                            ("connectedEngagementsPerHour", "skill"),
                                            ("avgHandlingTime", "agent_group")])
def test_a_ranking_of_a_history_is_drawn_as_in_memory(history: Path, metric: str,
                                                      by: str) -> None:
    import matplotlib.pyplot as plt

    expected = plot.ranking(engframe.read_dataset(history, names=True), metric, by=by,
                            min_volume=0)
    got = plot.ranking(history, metric, by=by, min_volume=0)
    assert _texts(got) == _texts(expected)
    np.testing.assert_allclose([p.get_width() for p in got.patches],
                               [p.get_width() for p in expected.patches], rtol=1e-12)
    plt.close("all")
