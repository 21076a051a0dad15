"""One message in mail flow: through the HTTP service's analyzer and verdict cache, to a stamp.

The relay and the milter call `Checker.check(raw)`. It never raises: a message that is too large,
unreadable, past an input limit, slower than INVITEGUARD_ANALYSIS_TIME_BUDGET_SECONDS, or met with
Redis down comes back `unchecked` (with the reason), so mail flows on unchanged but for the stamp.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import redis

from ..banner.render import banner
from ..banner.texts import resolve_locale
from ..detect.analyzer import NO_FEEDBACK
from ..detect.model import ParsedMessage, Verdict
from ..detect.parse import InputError, parse_raw
from ..runtime.config import Settings
from ..runtime.organisation import load_org_settings
from ..web.api import RedisSteps, Services, judge, log_safe
from ..web.cache import cache_key
from ..web.feedback import NO_STANDING
from ..web.limits import InputLimits, LimitError, check_raw_message
from .bodies import BodyBanner
from .metrics import MailflowMetrics
from .records import StampRecords
from .stamp import UNCHECKED

log = logging.getLogger(__name__)
BANNERED = ("phishing", "suspicious")
WARM_UP = (b"From: PayPal <service@paypal.example>\r\nSubject: Your receipt\r\n\r\n"
           b"You paid $599.00. Not you? Call +1 (808) 555-0199.\r\n")


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    fingerprint: str
    cached: bool
    degraded: bool


def campaign_verdict(svc: Services, message: ParsedMessage) -> Judgement:
    """What POST /api/v1/analyze decides for `message`, step for step as web.api.analyze does it
    (same engine, report feedback, cache key, cache and metrics), so a campaign costs one analysis
    whichever door its copies come in by. web.api has this only inside the Flask view today; once
    it offers it as a function of (services, message), this body becomes that one call."""
    fingerprint = svc.engine.fingerprint(message)
    snapshot = svc.texts.snapshot()
    steps = RedisSteps(snapshot.degraded)
    standing = steps.run("report feedback", lambda: svc.feedback.standing(fingerprint), NO_STANDING)
    key = cache_key(fingerprint, svc.engine.rules_version(), snapshot.version, standing.cache_tag)
    verdict = steps.run("verdict cache", lambda: svc.cache.get(key), None)
    cached = verdict is not None
    if verdict is None:
        feedback = steps.run("reported phone numbers", lambda: svc.feedback.feedback(message, standing), NO_FEEDBACK)
        verdict = judge(svc, message, feedback)
        steps.run("verdict cache", lambda: svc.cache.put(key, verdict), None)
    (svc.metrics.cache_hits if cached else svc.metrics.cache_misses).inc()
    if steps.degraded:
        svc.metrics.degraded.labels("verdict_cache").inc()
    svc.metrics.verdicts.labels(verdict.level).inc()
    return Judgement(verdict, fingerprint, cached, steps.degraded)


@dataclass(frozen=True)
class Outcome:
    """What mail flow does with one message: the verdict to stamp and, when bannering, the banner."""

    verdict: str  # phishing | suspicious | clean | unchecked
    judgement: Judgement | None = None
    unchecked_because: str = ""  # oversize | limits | unreadable | timeout | redis | error
    banner: BodyBanner | None = None


class Checker:
    """Analyses messages for the relay and the milter; one per process, shared by its threads."""

    def __init__(self, svc: Services, settings: Settings, metrics: MailflowMetrics, records: StampRecords,
                 threads: int = 4) -> None:
        self.svc = svc
        self.settings = settings
        self.metrics = metrics
        self.records = records
        self.limits = InputLimits.from_settings(settings)
        # Python cannot stop a thread: an analysis over its budget finishes here while the message
        # goes on unchecked. The input limits bound how long that takes.
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="inviteguard-mailflow")

    def warm_up(self) -> None:
        """Loads the rules and the parsers' data now, so the first message is not the slow one. A failure
        is logged, not raised: mail still flows, stamped unchecked, while someone looks."""
        try:
            self.svc.engine.judge(parse_raw(WARM_UP))
        except Exception:
            log.exception("the analyzer failed its warm-up; messages will be stamped unchecked until it works")

    def check(self, raw: bytes) -> Outcome:
        """The outcome for `raw` (inbound X-InviteGuard-* fields already removed) within the time budget."""
        started = time.perf_counter()
        if len(raw) > self.settings.mailflow_max_analyze_bytes:
            return self.oversize()
        future = self.pool.submit(self._analyse, raw)
        try:
            outcome = future.result(timeout=self.settings.analysis_time_budget_seconds)
        except FutureTimeout:
            future.cancel()  # still queued behind slow ones: never started, nothing to wait for
            log.warning("analysis over its %.1f s budget; the message goes on unchecked",
                        self.settings.analysis_time_budget_seconds)
            outcome = Outcome(UNCHECKED, unchecked_because="timeout")
        self.metrics.analysis_seconds.observe(time.perf_counter() - started)
        return self._counted(outcome)

    def oversize(self) -> Outcome:
        """The outcome of a message larger than INVITEGUARD_MAILFLOW_MAX_ANALYZE_BYTES: not analysed."""
        return self._counted(Outcome(UNCHECKED, unchecked_because="oversize"))

    def _counted(self, outcome: Outcome) -> Outcome:
        self.metrics.messages.labels(outcome.verdict).inc()
        if outcome.unchecked_because:
            self.metrics.unchecked.labels(outcome.unchecked_because).inc()
        return outcome

    def _analyse(self, raw: bytes) -> Outcome:
        try:
            self.svc.gate.client()  # raises at once while Redis is known to be down: no analysis to throw away
            check_raw_message(raw, self.limits)
            judgement = campaign_verdict(self.svc, parse_raw(raw))
            if judgement.degraded:
                return Outcome(UNCHECKED, unchecked_because="redis")
            self.records.remember(judgement.verdict, judgement.fingerprint)
            return Outcome(judgement.verdict.level, judgement, banner=self._banner(judgement.verdict))
        except redis.RedisError as exc:
            log.warning("Redis unavailable; the message goes on unchecked: %s", log_safe(str(exc)))
            return Outcome(UNCHECKED, unchecked_because="redis")
        except LimitError as exc:
            log.info("message past an input limit (%s); it goes on unchecked", exc.code)
            return Outcome(UNCHECKED, unchecked_because="limits")
        except InputError as exc:
            log.info("message unreadable (%s); it goes on unchecked", exc.code)
            return Outcome(UNCHECKED, unchecked_because="unreadable")
        except Exception:
            log.exception("analysis failed; the message goes on unchecked")
            return Outcome(UNCHECKED, unchecked_because="error")

    def _banner(self, verdict: Verdict) -> BodyBanner | None:
        """The banner as the awareness team wrote it, in the organisation's default language."""
        if not self.settings.mailflow_banner or verdict.level not in BANNERED:
            return None
        snapshot = self.svc.texts.snapshot()
        texts = snapshot.texts[resolve_locale([self.svc.default_locale], snapshot.texts.keys(),
                                              self.svc.default_locale)]
        organisation = load_org_settings(self.svc.gate.client()).banner_context()
        rendered = banner(verdict, texts, organisation)
        return BodyBanner(rendered["level"], rendered["title"], rendered["text"], texts.locale)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

