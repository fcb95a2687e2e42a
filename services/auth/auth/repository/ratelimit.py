"""The shared sliding-window limiter (lumi_shared.ratelimit), used by auth's login rules."""

from lumi_shared.ratelimit import Limit, RateLimiter

__all__ = ["Limit", "RateLimiter"]
