"""The Uzum tests: auth and routing, the five operations, refusals, states, races, checkout."""
