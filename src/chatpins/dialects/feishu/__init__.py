"""The Feishu/Lark open platform dialect (``/open-apis/...``), as lark-oapi speaks it."""
