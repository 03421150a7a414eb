"""The staff dashboard: a small Starlette app on uvicorn, served from the lead node (or alone,
against a broker, as the fleet view). Starlette and uvicorn are imported only here."""
