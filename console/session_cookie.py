"""The name of the cookie that carries a console login in a browser (the console's login page sets it,
HttpOnly; its value is the same token ``POST /api/login`` returns). One constant, read by every check."""

SESSION_COOKIE = "hotline_token"
