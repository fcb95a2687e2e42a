"""`python -m fuzz`: the embedded system on a free port, then schemathesis (all checks, fixed
seed, bounded examples) over the merged OpenAPI document, anonymous and logged in.

Exit status: 0 when both runs pass, else the first failing run's (1 failures, 2 could not run).
FUZZ_EXAMPLES (per operation), FUZZ_SEED, FUZZ_RUNS (anonymous,logged-in) and FUZZ_ARGS (extra
`st run` arguments) tune it.
"""

import asyncio
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

import httpx

from lumi_embedded.harness import FAST, login
from lumi_embedded.system import running_system

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
SEED = int(os.environ.get("FUZZ_SEED", "20261130"))
ST = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")


def command(url: str, label: str, report_dir: Path) -> list[str]:
    args = [str(ST), "--config-file", str(CONFIG), "run", f"{url}/openapi.json",
            "--checks", "all", "--mode", "all",
            "--seed", str(SEED), "--max-examples", str(EXAMPLES), "--workers", "2",
            "--phases", "examples,coverage,fuzzing", "--generation-database", "none",
            "--suppress-health-check", "too_slow,filter_too_much,data_too_large",
            "--request-timeout", "20", "--max-failures", "200", "--no-color",
            "--report", "junit,har", "--report-junit-path", str(report_dir / f"{label}.xml"),
            "--report-har-path", str(report_dir / f"{label}.har")]
    return args + shlex.split(os.environ.get("FUZZ_ARGS", ""))


async def run(label: str, args: list[str], env: dict[str, str] | None = None) -> int:
    print(f"\n=== fuzz ({label}): {' '.join(args)}", flush=True)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz.hooks", **(env or {})}
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(*args, env=env)
    code = await proc.wait()
    print(f"=== fuzz ({label}): exit {code} in {time.monotonic() - started:.0f} s", flush=True)
    return code


async def main() -> int:
    reports = Path(os.environ.get("FUZZ_REPORT_DIR", "fuzz-report")).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lumi-fuzz-") as tmp:
        data_dir = Path(tmp)
        async with running_system(data_dir, overrides=FAST) as system:
            url = system.url.replace("localhost", "127.0.0.1")
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                session = await login(client, data_dir, "fuzzer@example.com")
                spare = await login(client, data_dir, "fuzzer-logout@example.com")
            runs = os.environ.get("FUZZ_RUNS", "anonymous,logged-in").split(",")
            codes = []
            if "anonymous" in runs:
                codes.append(await run("anonymous", command(url, "anonymous", reports),
                                       {"FUZZ_AUTH": ""}))
            if "logged-in" in runs:
                codes.append(await run("logged-in", command(url, "logged-in", reports), {
                    "FUZZ_AUTH": session["authorization"],
                    "FUZZ_LOGOUT_AUTH": spare["authorization"]}))
    return next((c for c in codes if c), 0)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
