"""The public route table: which service owns which `/api/...` path (most specific first)."""

import re
from dataclasses import dataclass
from enum import Enum


class Access(str, Enum):
    PUBLIC = "public"      # identity forwarded when present, never required
    LOGIN = "login"        # the gateway answers 401 without a valid session


@dataclass(frozen=True)
class Route:
    pattern: str           # `*` = one path segment, a trailing `/**` = any rest
    service: str
    access: Access = Access.PUBLIC
    methods: frozenset[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        body = re.escape(self.pattern).replace(r"/\*\*", r"(?:/.*)?").replace(r"\*", r"[^/]+")
        return re.compile(f"^{body}/?$")

    @property
    def specificity(self) -> tuple[int, int, int]:
        segments = self.pattern.strip("/").split("/")
        literal = sum(1 for s in segments if "*" not in s)
        return (0 if self.pattern.endswith("/**") else 1, literal, len(segments))


def _r(pattern: str, service: str, access: Access = Access.PUBLIC,
       methods: str | None = None) -> Route:
    return Route(pattern, service, access, frozenset(methods.split()) if methods else None)


L = Access.LOGIN
ROUTES: list[Route] = [
    _r("/api/auth/**", "auth"),
    _r("/api/users/update", "auth", L),
    _r("/api/users/modify-password", "auth", L),
    _r("/api/users/*", "auth", L, "GET"),  # public profile card; literal /api/users/x win
    _r("/api/credits/**", "auth", L),
    _r("/api/admin/credits/**", "auth", L),
    _r("/api/admin/queues/image_generation/**", "generation", L),  # lumi_shared.queues_api
    _r("/api/admin/queues/model_generation/**", "modeling", L),
    _r("/api/admin/queues/slicing/**", "printing", L),  # the print pipeline's job queue
    _r("/api/tasks/**", "generation", L),
    _r("/api/oc-apps/**", "generation"),
    _r("/api/anime-generation/**", "generation", L),
    _r("/api/generation/**", "generation"),  # status of public generations; signed webhook
    _r("/api/tasks", "generation", L),
    _r("/api/users/models", "modeling", L),
    _r("/api/users/my-models", "modeling", L),
    _r("/api/models/**", "modeling", L),
    _r("/api/gallery/**", "gallery"),
    _r("/api/users/favorites", "gallery", L),
    _r("/api/users/likes", "gallery", L),
    _r("/api/tasks/*/print", "printing", L, "POST"),
    _r("/api/tasks/*/print-status", "printing", L, "GET"),
    _r("/api/slices", "printing", L),
    _r("/api/slices/**", "printing", L),
    _r("/api/printers/**", "printing", L),
    _r("/api/devices/**", "printing", L),
]


def _area(path: str) -> str:
    """The segment after `/api/` (`/api/gallery/models` -> `gallery`)."""
    return path.split("/", 3)[2] if path.startswith("/api/") else ""


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = sorted(routes, key=lambda r: r.specificity, reverse=True)
        self._compiled = [(r, r.regex) for r in self.routes]
        # Every pattern names its area literally, so a path is tried only against the routes
        # of its own area, still most specific first (26 regexes per request -> at most 6).
        assert all(_area(r.pattern) and "*" not in _area(r.pattern) for r in self.routes)
        self._by_area: dict[str, list[tuple[Route, re.Pattern[str]]]] = {}
        for route, regex in self._compiled:
            self._by_area.setdefault(_area(route.pattern), []).append((route, regex))

    def match(self, path: str, method: str) -> Route | None:
        for route, regex in self._by_area.get(_area(path), ()):
            if regex.match(path) and (route.methods is None or method in route.methods):
                return route
        return None
