"""Persistence: SQLModel tables, repositories and sinks over SQLite (default) or PostgreSQL
(``HOTLINE_DATABASE_URL``); the schema comes from the Alembic migrations in ``migrations/``.

* ``settings`` -- ``StoreSettings``, ``make_engine``, ``write_transaction``
* ``migrate`` -- ``open_store`` (engine + ``upgrade head``), ``upgrade``/``downgrade``
* ``models`` -- the tables (``event_log``, ``callback_ticket``) and their Create/Public variants
* ``ports`` -- the repository Protocols
* ``eventlog`` -- ``SqlEventLog``, ``EventLogSink``, ``FanOut``
* ``tickets`` -- ``SqlTickets`` (claim/outcome/retry/expiry in the database), ``TicketSink``
* ``periodic`` -- the callback housekeeping task
* ``anonymous_bank`` -- import of the Anonymous Bank call records
"""
