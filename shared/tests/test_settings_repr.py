"""A settings object never shows a secret when printed or logged."""

from lumi_shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    DEVICE_SERVICE_TOKEN: str = ""
    S3_SECRET_KEY: str = ""
    KIE_API_KEY: str = ""
    PRINTER_DEVICES: str = "[]"


def test_secrets_credentials_and_api_keys_are_redacted_in_repr_and_str():
    settings = Settings(
        LUMI_ENV="test", IDENTITY_SECRET="identity-secret-value-0123456789-abcdef",
        DEVICE_SERVICE_TOKEN="device-token-value", S3_SECRET_KEY="s3-secret-value",
        KIE_API_KEY="kie-key-value", RABBITMQ_URL="amqp://lumi:broker-password@rabbit:5672/",
        MONGODB_URL="mongodb://app:db-password@mongo:27017/?replicaSet=rs0",
        PRINTER_DEVICES='[{"deviceName": "P1", "url": "http://p1", "apiKey": "printer-key-value"}]')
    for shown in (repr(settings), str(settings)):
        for secret in ("identity-secret-value", "device-token-value", "s3-secret-value",
                       "kie-key-value", "broker-password", "db-password", "printer-key-value"):
            assert secret not in shown
        assert "amqp://[redacted]@rabbit:5672/" in shown  # still says where it connects
        assert "deviceName" in shown and "PORT=8000" in shown
    assert settings.DEVICE_SERVICE_TOKEN == "device-token-value"  # the value itself is intact
    assert settings.RABBITMQ_URL.startswith("amqp://lumi:broker-password@")


def test_an_empty_secret_stays_visibly_empty():
    assert "DEVICE_SERVICE_TOKEN=''" in repr(Settings(LUMI_ENV="test"))
