"""The application layer: use cases over the core, each one unit of work, called by the console, the CLI and
the drivers. Standard library and ``core`` only; adapters are injected through the Protocols of ``ports``.

* ``ports`` -- repository, unit-of-work and live-command Protocols, ``AuditEntry``
* ``orders`` -- ``place_order``, ``cancel_order``
* ``callbacks`` -- ``claim_callback``, ``claim_next_callback``, ``complete_callback``, ``release_callback``,
  ``expire_callbacks``
* ``calls`` -- ``record_call``; ``open_complaint``, ``work_on_complaint``, ``resolve_complaint``,
  ``close_complaint``
* ``customers`` -- ``register_customer``, ``update_customer``
* ``audit`` -- ``note_access`` (the audit row of a read)
* ``core_records`` -- ``persist_core_records`` (a core's event log and callback tickets)

A handler is ``handler(command, uow) -> result``: the command is a plain dataclass named as an order and
carries ``now`` (the core's own commands are reused where they exist: ``PlaceOrder``, ``ClaimCallback``,
``CompleteCallback``, ``ExpireCallbacks``); the handler enters the unit of work, does the work, writes its
audit entry and commits, so an exception stores nothing.
"""
