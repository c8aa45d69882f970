"""One module per page (``dash.register_page``); each page's data access lives in ``dashboards.<page>_data``
and its figures in ``dashboards.figures``. Component ids are prefixed with the page's name."""
