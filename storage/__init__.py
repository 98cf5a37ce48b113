"""Storage adapters for both stores: event recorders, case keys, users,
idempotency records and the read models' database. Imports only domain/."""
