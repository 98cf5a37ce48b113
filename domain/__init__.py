"""The case domain: aggregates, events, rules, deadline calendar, application."""
