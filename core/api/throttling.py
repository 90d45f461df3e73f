"""Rate limits of the API: DRF's anon, user and scoped throttles, counted in Redis in one atomic step.

DRF keeps each client's request history as a pickled list in the cache, which every request reads,
trims and writes back. Two requests at the same moment read the same history and each writes back
its own, so a burst of concurrent requests passed a limit one at a time would not, and the list
costs a read and a write of its whole length on every request (docs/benchmarks.md, finding 32).

Here a check is one Redis script (GCRA, the generic cell rate algorithm): the client's key holds
the theoretical arrival time of its next request, a limit of `n` per `duration` allows `n` at once
and then one every `duration / n`, and Redis runs the script alone, so concurrent requests are
counted one after the other. The clock is Redis's, shared by every web replica. With no Redis (the
embedded demo's local-memory cache) DRF counts as before; with Redis down, requests are let through,
as the cache-backed throttle did (the cache ignores Redis errors): the database's constraints, not
the throttle, keep points safe.
"""

import logging

from django.core.cache import cache, caches
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)

# KEYS[1]: the client's key. ARGV[1]: microseconds between requests at the rate; ARGV[2]: the
# burst allowance, duration - interval. Returns 0 (allowed) or the microseconds to wait.
_GCRA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - burst - now
if wait > 0 then return wait end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
return 0
"""

_scripts: dict[int, object] = {}


def _gcra_script():
    """The script registered on the cache's Redis client, or None when the cache is not Redis."""
    if type(caches["default"]).__module__.split(".")[0] != "django_redis":
        return None
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_GCRA)
    return script


class AtomicRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle counted by `_GCRA` (see the module's docstring)."""

    _wait_seconds: float | None = None

    def allow_request(self, request, view):
        script = _gcra_script()
        if script is None:
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        microseconds = self.duration * 1_000_000
        interval = max(1, microseconds // self.num_requests)
        try:
            wait = script(keys=[cache.make_key(self.key)], args=[interval, microseconds - interval])
        except (RedisError, OSError):  # Redis down or refusing: let the request through, as the cache would
            logger.warning("throttle %s not counted: Redis did not answer", self.key, exc_info=True)
            return True
        self._wait_seconds = int(wait) / 1_000_000
        return int(wait) == 0

    def wait(self):
        if self._wait_seconds is None:
            return super().wait()
        return self._wait_seconds


class AnonThrottle(AnonRateThrottle, AtomicRateThrottle):
    pass


class UserThrottle(UserRateThrottle, AtomicRateThrottle):
    pass


class ScopedThrottle(ScopedRateThrottle, AtomicRateThrottle):
    """A view's `throttle_scope`: ScopedRateThrottle reads the scope's rate, then counts here."""
