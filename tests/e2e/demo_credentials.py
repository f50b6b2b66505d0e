"""The demo app's fixed credentials, as the README documents them (tests/unit/test_demo_app.py
checks that the README and the server agree)."""

from __future__ import annotations

APP_ID = "app_0123456789abcdef"
FEISHU_APP_ID = "cli_0123456789abcdef"
FEISHU_APP_SECRET = "chatpinsDemoFeishuSecret00000000"
IMKIT_CLIENT_KEY = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJhcHBJZCI6ImFwcF8wMTIzNDU2Nzg5YWJjZGVmIiwiZGVtbyI6dHJ1ZX0"
    ".chatpins-demo-client-key"
)
IMKIT_API_KEY = "chatpinsDemoImkitApiKeyForLocalUse0000000000"
ZIM_APP_ID = 1234567890
ZIM_SERVER_SECRET = "0123456789abcdef0123456789abcdef"
NATIVE_API_KEY = "cpk_0123456789abcdef0123456789abcdef01234567"

# The secrets among them: a local server shows them (the README does too), a production one never.
SECRETS = (FEISHU_APP_SECRET, IMKIT_API_KEY, ZIM_SERVER_SECRET, NATIVE_API_KEY)
