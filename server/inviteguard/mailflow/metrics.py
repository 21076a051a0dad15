"""Prometheus metrics of the relay and the milter, on the same registry as the analyzer's.

The relay and the milter build the service's app (same analyzer, cache and metrics), so
`inviteguard_verdicts_total`, `inviteguard_verdict_cache_hits_total`, `..._misses_total`,
`inviteguard_analysis_duration_seconds` and `inviteguard_degraded_total` count mail flow too;
these add what only mail flow has. `--metrics-port` serves them all.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from ..web.metrics import LATENCY_BUCKETS


class MailflowMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.messages = Counter("inviteguard_mailflow_messages", "Messages stamped, by the stamped verdict",
                                ["verdict"], registry=registry)
        self.unchecked = Counter("inviteguard_mailflow_unchecked", "Messages stamped unchecked, by why",
                                 ["reason"], registry=registry)
        self.forged = Counter("inviteguard_mailflow_inbound_stamp_fields",
                              "X-InviteGuard-* fields that arrived from outside and were removed", registry=registry)
        self.bannered = Counter("inviteguard_mailflow_bannered", "Messages whose bodies got the banner",
                                registry=registry)
        self.analysis_seconds = Histogram("inviteguard_mailflow_analysis_seconds",
                                          "Time from a whole message to its stamp (analysis, cache, banner)",
                                          buckets=LATENCY_BUCKETS, registry=registry)
        self.relayed = Counter("inviteguard_mailflow_relay_transactions",
                               "Relay transactions by what the sender was told (accepted, deferred, rejected)",
                               ["outcome"], registry=registry)

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        start_http_server(port, addr=host, registry=self.registry)
