"""The WeChat protocol: webhook, routing, conversations, outbound API. Nothing about loyalty."""
