"""`/health`, `/health/detailed` and `/` keep the old backend's shapes (api-contract §1.8)."""

from lumi_shared.testing import running


async def test_health_and_root_have_the_old_shapes(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as client:
        health = (await client.get("/health")).json()
        assert health["status"] == "success" and health["data"]["status"] == "ok"
        assert health["data"]["timestamp"].endswith("Z")
        detailed = await client.get("/health/detailed")
        assert detailed.status_code == 200
        data = detailed.json()["data"]
        assert data["status"] == "ok" and data["timestamp"].endswith("Z")
        assert data["checks"]["database"] is True and data["checks"]["redis"] is True
        assert data["checks"]["gallery"] is True
        root = await client.get("/")
        assert root.json() == {"service": "Lumi Server API", "version": "1.0.0",
                               "status": "running"}
        assert (await client.get("/healthz")).status_code == 200  # still next to them


async def test_detailed_health_is_a_503_fail_naming_the_service_that_is_down(gateway_factory,
                                                                            closed_url):
    app, _ = gateway_factory(GALLERY_URL=closed_url)
    async with running(app) as client:
        detailed = await client.get("/health/detailed")
        assert detailed.status_code == 503
        body = detailed.json()
        assert body["status"] == "fail" and body["data"]["message"]
        assert body["data"]["checks"]["database"] is False
        assert body["data"]["checks"]["gallery"] is False
        assert body["data"]["checks"]["auth"] is True
        assert (await client.get("/health")).status_code == 200  # liveness only
