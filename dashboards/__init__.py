"""Dash dashboards for planners and managers: compare staffing plans in the twin, the live day against a saved
plan, media ROI per airing, and the history of KPIs. They read the store and run the twin; they never talk to
Asterisk (an import contract). ``app.create_dash`` builds the app; ``hotline dash`` serves it alone and
``hotline serve`` mounts it at /dash behind the console's login."""
