"""The PromQL name extractor the deploy tests rely on."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from tests.deploy.queries import exported_series, metric_names, substitute


def test_names_skip_functions_labels_keywords_and_strings() -> None:
    expr = (
        'histogram_quantile(0.5, sum by (portal, le) (rate(kabar_body_words_bucket{portal=~"a|b"}'
        "[1h] offset 1w))) < 0.5 * sum without (x) (kabar_queue_depth) "
        'and on (portal) group_left up{job="kabar"} unless vector(1)'
    )
    assert metric_names(expr) == {"kabar_body_words_bucket", "kabar_queue_depth", "up"}


def test_names_after_template_substitution() -> None:
    expr = substitute('sum(rate(kabar_fetches_total{portal=~"$portal"}[$__rate_interval])) * 60')
    assert expr == 'sum(rate(kabar_fetches_total{portal=~".*"}[1m])) * 60'
    assert metric_names(expr) == {"kabar_fetches_total"}


def test_exported_series_cover_every_metric_type() -> None:
    registry = CollectorRegistry()
    Counter("a_total", "x", ["l"], registry=registry)
    Gauge("b", "x", registry=registry)
    Histogram("c_seconds", "x", registry=registry)
    names = exported_series(registry)
    assert {"a_total", "b", "c_seconds_bucket", "c_seconds_count", "c_seconds_sum"} <= names
    assert "a" not in names
