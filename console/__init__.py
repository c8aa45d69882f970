"""The agent console's web service (``hotline serve``): a FastAPI app over the store and the core.

* ``app`` -- ``create_app(settings)``; ``settings`` -- ``ConsoleSettings`` (the store's plus token TTL, area code);
* ``deps`` -- ``EngineDep``, ``CurrentUser``, ``require(permission)``, ``Unmasked``, ``AuditDep``;
* ``permissions`` -- roles, their permissions, phone masking;
* ``models`` -- the console's tables (users, tokens, audit log; migration 0003); ``accounts`` -- their
  repositories (argon2 passwords, hashed tokens);
* ``schemas`` -- request/response bodies; ``errors`` -- domain errors -> 404/409/422;
* ``routers/`` -- one module per resource (the schedule upload parses with ``reports.airings``).
"""
