"""The Paynet JSON-RPC tests: auth and transport, methods, refusals, races, the worked exchange."""
