"""The bureau's web pages: HTML on the same service and read models as the API."""
