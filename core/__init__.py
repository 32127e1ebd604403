"""What every app shares and nothing above it: the API kit (``core.api``), beat schedule
registration (``core.beat``), the request-id and JSON-error middleware, the encryption key
format, and the test servers (``core.testing``). It imports no app of the hub."""
