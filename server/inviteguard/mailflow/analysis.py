"""One message in mail flow: through the HTTP service's analyzer and verdict cache, to a stamp.

The relay and the milter call `Checker.check(raw)`. It never raises: a message that is too large,
unreadable, past an input limit, slower than INVITEGUARD_ANALYSIS_TIME_BUDGET_SECONDS, or met with
Redis down comes back `unchecked` (with the reason), so mail flows on unchanged but for the stamp.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

from ..banner.render import banner
from ..banner.texts import resolve_locale
from ..detect import budget
from ..detect.model import Verdict
from ..detect.parse import CalendarLimits, InputError, parse_raw
from ..runtime.config import Settings
from ..runtime.organisation import load_org_settings
from ..web.api import Decision, Services, decide, log_safe
from ..web.limits import InputLimits, LimitError, check_raw_message
from .bodies import BodyBanner
from .metrics import MailflowMetrics
from .records import StampRecords
from .stamp import UNCHECKED

log = logging.getLogger(__name__)
BANNERED = ("phishing", "suspicious")


@dataclass(frozen=True)
class Outcome:
    """What mail flow does with one message: the verdict to stamp and, when bannering, the banner."""

    verdict: str  # phishing | suspicious | clean | unchecked
    judgement: Decision | None = None
    unchecked_because: str = ""  # oversize | limits | unreadable | timeout | redis | error
    banner: BodyBanner | None = None


class Checker:
    """Analyses messages for the relay and the milter; one per process, shared by its threads."""

    def __init__(self, svc: Services, settings: Settings, metrics: MailflowMetrics, records: StampRecords) -> None:
        self.svc = svc
        self.settings = settings
        self.metrics = metrics
        self.records = records
        self.limits = InputLimits.from_settings(settings)

    def check(self, raw: bytes) -> Outcome:
        """The outcome for `raw` (inbound X-InviteGuard-* fields already removed) within the time budget."""
        started = time.perf_counter()
        if len(raw) > self.settings.mailflow_max_analyze_bytes:
            return self.oversize()
        try:
            # The analysis checks this deadline in every loop over input: past it, the work stops.
            with budget.limit(self.settings.analysis_time_budget_seconds):
                outcome = self._analyse(raw)
        except budget.BudgetExceeded:
            log.warning("analysis over its %.1f s budget, stopped; the message goes on unchecked",
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
            judgement = decide(self.svc, parse_raw(raw, CalendarLimits(self.limits.ics_components,
                                                                       self.limits.ics_properties)))
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
        """Nothing to release: analyses run on the caller's thread under their own deadline."""

