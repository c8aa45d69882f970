"""Persistence: SQLModel tables, repositories and sinks over SQLite (default) or PostgreSQL
(``HOTLINE_DATABASE_URL``); the schema comes from the Alembic migrations in ``migrations/``.

* ``settings`` -- ``StoreSettings``, ``make_engine``, ``write_transaction``, ``StoreAccess`` (a repository's
  own transaction, or the unit of work's connection)
* ``uow`` -- ``SqlUnitOfWork``, the repositories of one use case in one transaction (``app.ports.UnitOfWork``)
* ``audit`` -- ``SqlAudit``, the audit log
* ``migrate`` -- ``open_store`` (engine + ``upgrade head``), ``upgrade``/``downgrade``
* ``models`` -- the tables (``event_log``, ``callback_ticket``; the business tables of migration 0002) and
  their Create/Public variants
* ``ids`` -- ``SqlIds``, an ``IdSource`` on the database (customer, order, record and complaint IDs)
* ``customers`` -- ``SqlCustomers`` (lookup by any spelling of a phone number, history newest first)
* ``catalog`` -- ``SqlCatalog`` (products, warehouses, couriers, stock levels and holds)
* ``orders`` -- ``SqlOrders`` (placing with atomic stock reservation, database order numbers, transitions)
* ``airings`` -- ``SqlAirings`` (the broadcast schedule)
* ``membership`` -- ``SqlMemberships`` (the points ledger)
* ``call_records`` -- ``SqlCallRecords`` (call records, complaints to closure)
* ``eventlog`` -- ``SqlEventLog``, ``EventLogSink``, ``FanOut``
* ``tickets`` -- ``SqlTickets`` (claim/outcome/retry/expiry in the database); ``ticket_sink`` -- ``TicketSink``
* ``periodic`` -- the callback housekeeping task
* ``anonymous_bank`` -- import of the Anonymous Bank call records
"""
