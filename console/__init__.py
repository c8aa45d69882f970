"""The agent console's web service (``hotline serve``): a FastAPI app over the use cases of ``app/`` and the
store.

* ``app`` -- ``create_app(settings)``, the composition root; ``settings`` -- ``ConsoleSettings`` (the store's
  plus token TTL, area code);
* ``deps`` -- ``EngineDep``, ``UnitOfWorkDep``, ``CurrentUser``, ``require(permission)``, ``Unmasked``, ``AuditDep``;
* ``permissions`` -- roles, their permissions, phone masking;
* ``models`` -- the console's tables (users, tokens; migration 0003); ``accounts`` -- their
  repositories (argon2 passwords, hashed tokens);
* ``schemas`` -- request/response bodies; ``errors`` -- domain errors -> 404/409/422;
* ``routers/`` -- one module per resource (the schedule upload parses with ``reports.airings``).
"""
