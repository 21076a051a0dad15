"""Prometheus metrics of one app.

Each app gets its own registry so several apps (tests) can live in one process. Under gunicorn
`inviteguard serve` sets PROMETHEUS_MULTIPROC_DIR, values go to files shared by the workers,
and /metrics sums them, so any worker answers for all.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

# Labelled children kept per metric for the answers' hot path; past this many distinct label sets
# (methods are the caller's text) children are looked up through labels() again, not kept twice.
CHILDREN_KEPT = 1024
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("inviteguard_http_requests", "HTTP requests answered",
                                ["endpoint", "method", "status"], registry=r)
        self.latency = Histogram("inviteguard_http_request_duration_seconds", "Time to answer a request",
                                 ["endpoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.verdicts = Counter("inviteguard_verdicts", "Analyze answers by verdict level", ["level"],
                                registry=r)
        self.cache_hits = Counter("inviteguard_verdict_cache_hits", "Verdicts served from the cache",
                                  registry=r)
        self.cache_misses = Counter("inviteguard_verdict_cache_misses", "Verdicts the analyzer had to judge",
                                    registry=r)
        self.analysis_latency = Histogram("inviteguard_analysis_duration_seconds",
                                          "Time the analyzer spent judging one message",
                                          buckets=LATENCY_BUCKETS, registry=r)
        self.degraded = Counter("inviteguard_degraded", "Answers given without Redis, by what failed",
                                ["operation"], registry=r)
        self.errors = Counter("inviteguard_errors", "Error answers by error code", ["code"], registry=r)
        self._children: dict[tuple[object, ...], Any] = {}

    def child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """`metric.labels(*labels)`, looked up once: labels() checks and converts its arguments under
        a lock on every call (about 2.6 us), and every answer asks for two or three."""
        key = (metric, *labels)
        found = self._children.get(key)
        if found is None:
            found = metric.labels(*labels)
            if len(self._children) < CHILDREN_KEPT:
                self._children[key] = found
        return found

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)
