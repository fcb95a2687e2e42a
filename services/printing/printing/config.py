from lumi_shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    SERVICE_NAME: str = "printing"
    PORT: int = 8004
